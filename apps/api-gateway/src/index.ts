export { AppModule } from './app.module.js';
export { apiGatewayConfig, type ApiGatewayConfig } from './config.js';
export { publicDocument } from './openapi.js';
export { signDelivery, verifyDelivery, SIGNATURE_HEADER, DELIVERY_HEADER, EVENT_HEADER } from './webhooks/signature.js';
export { UPSTREAM_SUBJECTS } from './reads.service.js';
