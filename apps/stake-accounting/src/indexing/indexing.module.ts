import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import type { StakeAccountingConfig } from '../config.js';
import { PostgresLedger } from '../ledger/postgres-ledger.js';
import { metrics } from '../metrics.js';
import { IndexerHaltedError, StakeIndexer } from './indexer.js';
import { L2Client } from './l2-client.js';
import { StakeState } from './stake-state.js';

/** Polls the L2 for finalized staking logs while the app runs; a halt (a finalized block changed) stops it loudly. */
@Injectable()
export class IndexLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  halted: string | null = null;
  lastError: string | null = null;

  constructor(
    @Inject(StakeIndexer) private readonly indexer: StakeIndexer,
    @Inject(StakeState) private readonly state: StakeState,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: StakeAccountingConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.halted) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.config.INDEX_POLL_MS));
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      await this.indexer.catchUp();
      this.lastError = null;
    } catch (err) {
      if (err instanceof IndexerHaltedError) {
        this.halted = err.message;
        this.runtime.logger.error({ err: err.message }, 'staking log indexing halted');
      } else {
        // The L2 node may be down or restarting: try again next round, from the committed cursor.
        this.lastError = (err as Error).message;
        this.runtime.logger.warn({ err: this.lastError }, 'staking log indexing failed; retrying');
        await this.indexer.load();
      }
    }
    const cursor = this.state.cursor;
    if (cursor) metrics.indexedBlock.set(Number(cursor.blockNumber));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

@Module({
  providers: [
    { provide: StakeState, useValue: new StakeState() },
    { provide: L2Client, inject: [APP_CONFIG], useFactory: (config: StakeAccountingConfig) => new L2Client(config.EVM_RPC_URL) },
    { provide: PostgresLedger, inject: [RUNTIME], useFactory: (runtime: ServiceRuntime) => new PostgresLedger(runtime.pool, runtime.schema) },
    {
      provide: StakeIndexer,
      inject: [APP_CONFIG, RUNTIME, L2Client, PostgresLedger, StakeState],
      // The book is rebuilt from the tables before anything reads it.
      useFactory: async (config: StakeAccountingConfig, runtime: ServiceRuntime, l2: L2Client, ledger: PostgresLedger, state: StakeState) => {
        const indexer = new StakeIndexer({ pool: runtime.pool, schema: runtime.schema, l2, ledger, state, logger: runtime.logger, batchBlocks: config.INDEX_BATCH_BLOCKS });
        await indexer.load();
        return indexer;
      },
    },
    IndexLoop,
  ],
  exports: [StakeState, PostgresLedger, L2Client, StakeIndexer, IndexLoop],
})
export class IndexingModule {}
