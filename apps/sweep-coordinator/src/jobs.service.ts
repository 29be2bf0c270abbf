// The pipeline's BullMQ jobs (packages/jobs): a pass per new tip and on a schedule, RBF bump checks per tip, periodic
// rebroadcast, fee polling, the reserves check and metrics. Job ids are idempotent (per tip hash, per schedule), one
// worker runs them one at a time, and tapbridge_jobs shows each queue's states.
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { JobQueue, redisConnection } from '@tapbridge/jobs';
import { createLogger } from '@tapbridge/observability';
import type { SweepCoordinatorConfig } from './config.js';
import { PipelineService } from './pipeline.service.js';
import { ReservesService } from './reserves.service.js';
import { BitcoinService } from './bitcoin.service.js';
import { CONFIG } from './tokens.js';

type JobName = 'advance' | 'bump' | 'rebroadcast' | 'fee-poll' | 'reserves';

@Injectable()
export class JobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private queue: JobQueue | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: SweepCoordinatorConfig,
    private readonly pipeline: PipelineService,
    private readonly reserves: ReservesService,
    private readonly bitcoin: BitcoinService,
  ) {}

  async onModuleInit(): Promise<void> {
    const c = this.config;
    this.queue = new JobQueue('sweep-pipeline', {
      connection: redisConnection(c.REDIS_URL),
      prefix: `${c.STREAM_PREFIX}:bull`,
      logger: createLogger('sweep-coordinator-jobs'),
      attempts: 3,
      backoffMs: 1_000,
    });
    this.queue.work((job) => this.run(job.name as JobName), { concurrency: 1, lockDurationMs: 120_000 });
    await this.queue.schedule('pipeline-tick', { everyMs: c.PIPELINE_TICK_MS }, { name: 'advance', data: {} });
    await this.queue.schedule('rebroadcast', { everyMs: c.REBROADCAST_MS }, { name: 'rebroadcast', data: {} });
    await this.queue.schedule('fee-poll', { everyMs: c.FEE_POLL_MS }, { name: 'fee-poll', data: {} });
    await this.queue.schedule('reserves', { everyMs: c.RESERVES_CHECK_MS }, { name: 'reserves', data: {} });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close();
  }

  /** A new tip: one pass and one bump check for it (the tip hash makes both idempotent). */
  async onTip(hash: string): Promise<void> {
    await this.queue?.add('bump', {}, { jobId: `bump-${hash}` });
    await this.queue?.add('advance', {}, { jobId: `advance-${hash}` });
  }

  private async run(name: JobName): Promise<void> {
    switch (name) {
      case 'advance':
        await this.pipeline.advance();
        break;
      case 'bump':
        await this.pipeline.bump();
        break;
      case 'rebroadcast':
        await this.pipeline.rebroadcast();
        break;
      case 'fee-poll':
        await this.bitcoin.feeRate();
        break;
      case 'reserves':
        await this.reserves.check().catch((err: unknown) => this.logger.warn(`reserves check incomplete: ${(err as Error).message}`));
        break;
    }
    await this.queue?.refreshMetrics().catch(() => undefined);
  }
}
