import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, describeConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { headerWatcherConfig } from './config.js';

const logger = createLogger('header-watcher');
try {
  const config = loadConfig(headerWatcherConfig);
  logger.info({ config: describeConfig(headerWatcherConfig, config) }, 'configuration loaded');
  const runtime = await ServiceRuntime.start({
    service: 'header-watcher',
    schema: 'header_watcher',
    databaseUrl: config.DATABASE_URL,
    natsUrl: config.NATS_URL,
    redisUrl: config.REDIS_URL,
    streamPrefix: config.STREAM_PREFIX,
    logger,
    migrationsDir: path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url))),
  });
  await bootstrapService({ module: AppModule.forRoot(runtime) as never, runtime, port: config.HTTP_PORT, title: 'tapbridge header-watcher' });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
