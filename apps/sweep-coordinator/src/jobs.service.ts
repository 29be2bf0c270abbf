// The pipeline's BullMQ jobs (packages/jobs): a pass per new tip and on a schedule, RBF bump checks per tip, periodic
// rebroadcast, fee polling, the reserves check and metrics. Job ids are idempotent (per tip hash, per schedule), one
// worker runs them one at a time, and tapbridge_jobs shows each queue's states.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { JobQueue, redisConnection } from '@tapbridge/jobs';
import { createLogger } from '@tapbridge/observability';
import { InjectConfig } from '@tapbridge/runtime/nest';
import type { SweepCoordinatorConfig } from './config.js';
import { PipelineService } from './pipeline.service.js';
import { ReservesService } from './reserves.service.js';
import { BitcoinService } from './bitcoin.service.js';

type JobName = 'advance' | 'bump' | 'rebroadcast' | 'fee-poll' | 'reserves';

@Injectable()
export class JobsService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private queue: JobQueue | undefined;

  constructor(
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
    @Inject(PipelineService) private readonly pipeline: PipelineService,
    @Inject(ReservesService) private readonly reserves: ReservesService,
    @Inject(BitcoinService) private readonly bitcoin: BitcoinService,
  ) {}

  /** The queue exists before any provider's start-up, so the intake may queue a pass for a tip it applies. */
  onModuleInit(): void {
    const c = this.config;
    this.queue = new JobQueue('sweep-pipeline', {
      connection: redisConnection(c.REDIS_URL),
      prefix: `${c.STREAM_PREFIX}:bull`,
      logger: createLogger('sweep-coordinator-jobs'),
      attempts: 3,
      backoffMs: 1_000,
    });
  }

  /** The worker and the schedules start once every module is initialised. */
  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    if (!this.queue) throw new Error('job queue not created');
    this.queue.work((job) => this.run(job.name as JobName), { concurrency: 1, lockDurationMs: 120_000 });
    await this.queue.schedule('pipeline-tick', { everyMs: c.PIPELINE_TICK_MS }, { name: 'advance', data: {} });
    await this.queue.schedule('rebroadcast', { everyMs: c.REBROADCAST_MS }, { name: 'rebroadcast', data: {} });
    await this.queue.schedule('fee-poll', { everyMs: c.FEE_POLL_MS }, { name: 'fee-poll', data: {} });
    await this.queue.schedule('reserves', { everyMs: c.RESERVES_CHECK_MS }, { name: 'reserves', data: {} });
  }

  /** Drains: the job in hand finishes while the store's connections are still open. */
  async beforeApplicationShutdown(): Promise<void> {
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
