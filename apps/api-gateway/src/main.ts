import { loadConfig, describeConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { apiGatewayConfig } from './config.js';
import { publicDocument } from './openapi.js';

const logger = createLogger('api-gateway');
try {
  const config = loadConfig(apiGatewayConfig);
  logger.info({ config: describeConfig(apiGatewayConfig, config) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'api-gateway', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge API',
    description: 'The public API of the tapbridge Bitcoin bridge: deposits, withdrawals, reserves, chain and signer status, webhooks and live status. Errors are application/problem+json (RFC 9457).',
    openApi: { jsonPath: 'v1/openapi.json', uiPath: 'v1/docs', transform: publicDocument },
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
