import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HeaderSync } from '@tapbridge/light-client';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import type { HeaderWatcherConfig } from './config.js';
import { PostgresHeaderStore } from './header-store.js';
import { metricsObserver, setBestHeight } from './metrics.js';
import { createSources } from './sources.js';

/** Rebuilds the in-memory chain from the store (or starts at the checkpoint) before anything is served. */
async function openHeaderSync(config: HeaderWatcherConfig, runtime: ServiceRuntime, store: PostgresHeaderStore): Promise<HeaderSync> {
  // The observer reads the best height for its lag gauge; the sync it observes exists only once open returns.
  const opened: { sync?: HeaderSync } = {};
  const sync = await HeaderSync.open({
    network: config.BITCOIN_NETWORK,
    store,
    sources: createSources(config.BTC_SOURCES),
    ...(config.HEADER_CHECKPOINT ? { checkpoint: config.HEADER_CHECKPOINT } : {}),
    batchSize: config.SYNC_BATCH_SIZE,
    concurrency: config.SYNC_CONCURRENCY,
    logger: runtime.logger,
    observer: metricsObserver(() => opened.sync?.tip.height ?? 0),
  });
  opened.sync = sync;
  setBestHeight(sync.tip.height);
  return sync;
}

/** Polls the sources while the app runs: starts once everything is up, drains on shutdown. */
@Injectable()
export class SyncLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(HeaderSync) private readonly sync: HeaderSync,
    @InjectConfig() private readonly config: HeaderWatcherConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sync.start(this.config.POLL_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sync.stop();
  }
}

/** Header sync: the Postgres store, the light client over it and its polling loop. */
@Module({
  providers: [
    {
      provide: PostgresHeaderStore,
      inject: [RUNTIME, APP_CONFIG],
      useFactory: (runtime: ServiceRuntime, config: HeaderWatcherConfig) =>
        new PostgresHeaderStore({ pool: runtime.pool, schema: runtime.schema, network: config.BITCOIN_NETWORK, transaction: (fn) => runtime.transaction(fn) }),
    },
    { provide: HeaderSync, inject: [APP_CONFIG, RUNTIME, PostgresHeaderStore], useFactory: openHeaderSync },
    SyncLoop,
  ],
  exports: [HeaderSync],
})
export class SyncModule {}
