import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { channelServiceConfig } from './config.js';

const logger = createLogger('channel-service');
try {
  const config = loadConfig(channelServiceConfig);
  logger.info({ config: describeConfig(channelServiceConfig, config) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'channel-service', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge channel-service',
    description: "State channels with the custody: custody's side of every channel, the L2 channel ledger, the watchtower; channel.* events; rpc.channels.*",
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
