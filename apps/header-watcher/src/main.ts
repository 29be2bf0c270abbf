import { loadConfig, describeConfig } from '@tapbridge/config';
import { HeaderSync } from '@tapbridge/light-client';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { HeaderApi } from './header-api.js';
import { HeaderQueries } from './header-queries.js';
import { headerWatcherConfig } from './config.js';
import { PostgresHeaderStore } from './header-store.js';
import { metricsObserver, setBestHeight } from './metrics.js';
import { serveHeaderApi } from './nats-api.js';
import { createSources } from './sources.js';

const logger = createLogger('header-watcher');
try {
  const config = loadConfig(headerWatcherConfig);
  logger.info({ config: describeConfig(headerWatcherConfig, config), sources: config.BTC_SOURCES.map((s) => s.name) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'header-watcher', config, logger, mainModuleUrl: import.meta.url });
  const store = new PostgresHeaderStore({
    pool: runtime.pool,
    schema: runtime.schema,
    network: config.BITCOIN_NETWORK,
    transaction: (fn) => runtime.transaction(fn),
  });
  let bestHeight = () => 0;
  const sync = await HeaderSync.open({
    network: config.BITCOIN_NETWORK,
    store,
    sources: createSources(config.BTC_SOURCES),
    ...(config.HEADER_CHECKPOINT ? { checkpoint: config.HEADER_CHECKPOINT } : {}),
    batchSize: config.SYNC_BATCH_SIZE,
    concurrency: config.SYNC_CONCURRENCY,
    logger,
    observer: metricsObserver(() => bestHeight()),
  });
  bestHeight = () => sync.tip.height;
  setBestHeight(sync.tip.height);
  const api = new HeaderApi(new HeaderQueries(runtime.pool, runtime.schema), sync);
  const natsApi = serveHeaderApi(runtime.messaging, api);
  await bootstrapService({
    module: AppModule.forRoot(runtime, api) as never,
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge header-watcher',
    description: 'Bitcoin light client: validated headers, forks and sync state; btc.header.* events on JetStream',
    onListening: () => sync.start(config.POLL_INTERVAL_MS),
    onShutdown: async () => {
      for (const sub of natsApi) sub.unsubscribe();
      await sync.stop();
    },
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
