import { loadConfig, describeConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { headerWatcherConfig } from './config.js';

const logger = createLogger('header-watcher');
try {
  const config = loadConfig(headerWatcherConfig);
  logger.info({ config: describeConfig(headerWatcherConfig, config), sources: config.BTC_SOURCES.map((s) => s.name) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'header-watcher', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge header-watcher',
    description: 'Bitcoin light client: validated headers, forks and sync state; btc.header.* events on JetStream; rpc.btc.headers.*',
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
