import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions, type Processor } from 'bullmq';
import { counter, gauge, type Logger } from '@tapbridge/observability';

const jobsGauge = gauge('tapbridge_jobs', 'Jobs by queue and state', ['queue', 'state']);
const retried = counter('tapbridge_jobs_retried_total', 'Job attempts that failed and will be retried', ['queue']);
const failedForGood = counter('tapbridge_jobs_failed_total', 'Jobs that used up their attempts', ['queue']);

export interface JobQueueOptions {
  connection: ConnectionOptions;
  /** Redis key prefix: per environment and per test run. */
  prefix: string;
  logger: Logger;
  /** Defaults for every job: retries with exponential backoff, and bounded history. */
  attempts?: number;
  backoffMs?: number;
}

/**
 * A named queue of work that must happen later or again. The job id is the idempotency key: adding a job whose id
 * already exists does nothing, so a producer may retry freely. Processors must make their effect idempotent too
 * (a worker that dies mid-job has its job retried).
 */
export class JobQueue<Data extends object = Record<string, unknown>> {
  /** The underlying BullMQ queue (untyped there: BullMQ's name/data generics do not compose with ours). */
  readonly queue: Queue;
  private workers: Worker<Data>[] = [];

  constructor(
    readonly name: string,
    private readonly o: JobQueueOptions,
  ) {
    this.queue = new Queue(name, {
      connection: o.connection,
      prefix: o.prefix,
      defaultJobOptions: {
        attempts: o.attempts ?? 5,
        backoff: { type: 'exponential', delay: o.backoffMs ?? 1_000 },
        removeOnComplete: { count: 1_000 },
        removeOnFail: { count: 10_000 },
      },
    });
  }

  /** Adds a job; `jobId` makes it idempotent. Returns the existing job when the id is taken. */
  async add(jobName: string, data: Data, options: JobsOptions & { jobId: string }): Promise<Job<Data>> {
    if (!options.jobId || options.jobId.includes(':')) throw new Error('jobId is required and may not contain ":"');
    return (await this.queue.add(jobName, data, options)) as Job<Data>;
  }

  /** A job created on a schedule (every `everyMs`, or a cron pattern); re-declaring it updates it in place. */
  async schedule(schedulerId: string, repeat: { everyMs: number } | { pattern: string }, job: { name: string; data: Data }) {
    const opts = 'everyMs' in repeat ? { every: repeat.everyMs } : { pattern: repeat.pattern };
    return this.queue.upsertJobScheduler(schedulerId, opts, job);
  }

  work(processor: Processor<Data>, options: { concurrency?: number; lockDurationMs?: number; stalledIntervalMs?: number } = {}): Worker<Data> {
    const worker = new Worker<Data>(this.name, processor, {
      connection: this.o.connection,
      prefix: this.o.prefix,
      concurrency: options.concurrency ?? 1,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    });
    worker.on('failed', (job, err) => {
      if (!job) return;
      const willRetry = job.attemptsMade < (job.opts.attempts ?? 1);
      (willRetry ? retried : failedForGood).inc({ queue: this.name });
      this.o.logger[willRetry ? 'warn' : 'error']({ queue: this.name, jobId: job.id, attempt: job.attemptsMade, err }, willRetry ? 'job failed; will retry' : 'job failed for good');
    });
    worker.on('error', (err) => this.o.logger.error({ queue: this.name, err }, 'worker error'));
    this.workers.push(worker);
    return worker;
  }

  async refreshMetrics(): Promise<void> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    for (const [state, n] of Object.entries(counts)) jobsGauge.set({ queue: this.name, state }, n);
  }

  /** Graceful shutdown: workers stop taking jobs and finish the ones in hand, then connections close. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.queue.close();
  }
}
