export { AppModule } from './app.module.js';
export { channelServiceConfig, type ChannelServiceConfig } from './config.js';
export { NATS_API_SUBJECTS } from './channels/channels.rpc.js';
