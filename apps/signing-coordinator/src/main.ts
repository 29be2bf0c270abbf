import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { coordinatorConfig } from './config.js';

const logger = createLogger('signing-coordinator');
try {
  const config = loadConfig(coordinatorConfig);
  logger.info({ config: describeConfig(coordinatorConfig, config) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'signing-coordinator', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge signing-coordinator',
    description: 'DKG on first start, ROAST threshold signing sessions, custody address; API over REST and NATS (rpc.signing.*)',
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
