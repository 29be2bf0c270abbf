import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, uniquePrefix, waitFor } from '@tapbridge/testing';
import { createLogger, metricsRegistry } from '@tapbridge/observability';
import { JobQueue, redisConnection } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = uniquePrefix('tbjobs');
const logger = createLogger('jobs-test', { level: 'silent' });
const redis = new Redis(REDIS_URL);
const queues: JobQueue<{ paymentId: string }>[] = [];

function queue(name: string, attempts = 5) {
  const q = new JobQueue<{ paymentId: string }>(name, { connection: redisConnection(REDIS_URL), prefix: PREFIX, logger, attempts, backoffMs: 50 });
  queues.push(q);
  return q;
}

beforeAll(async () => void (await redis.ping()));
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('job queues on real Redis', () => {
  it('uses the job id as an idempotency key', async () => {
    const q = queue('idempotent');
    const a = await q.add('pay', { paymentId: 'p1' }, { jobId: 'payment-p1' });
    const b = await q.add('pay', { paymentId: 'p1' }, { jobId: 'payment-p1' });
    expect(b.id).toBe(a.id);
    expect(await q.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('shows each queue\u2019s jobs by state in the tapbridge_jobs gauge', async () => {
    const q = queue('visible');
    await q.add('pay', { paymentId: 'v1' }, { jobId: 'visible-1' });
    await q.add('pay', { paymentId: 'v2' }, { jobId: 'visible-2', delay: 60_000 });
    await q.add('pay', { paymentId: 'v3' }, { jobId: 'visible-3', delay: 60_000 });
    await q.refreshMetrics();
    const values = (await metricsRegistry.getSingleMetric('tapbridge_jobs')!.get()).values.filter((v) => v.labels.queue === 'visible');
    const byState = Object.fromEntries(values.map((v) => [v.labels.state, v.value]));
    expect(byState).toEqual({ waiting: 1, active: 0, delayed: 2, failed: 0, completed: 0 });
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const q = queue('flaky');
    let calls = 0;
    q.work(async () => {
      calls++;
      if (calls < 3) throw new Error('transient');
    });
    const job = await q.add('pay', { paymentId: 'p2' }, { jobId: 'payment-p2' });
    await waitFor('job completed', async () => (await q.queue.getJob(job.id!))?.finishedOn);
    const done = await q.queue.getJob(job.id!);
    expect(calls).toBe(3);
    expect(done?.attemptsMade).toBe(3);
    expect(await done?.isCompleted()).toBe(true);
  });

  it('gives up after its attempts and keeps the failed job', async () => {
    const q = queue('hopeless', 2);
    q.work(async () => {
      throw new Error('never works');
    });
    const job = await q.add('pay', { paymentId: 'p3' }, { jobId: 'payment-p3' });
    await waitFor('job failed for good', async () => (await q.queue.getJob(job.id!))?.isFailed());
    const failed = await q.queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(2);
    expect(failed?.failedReason).toBe('never works');
  });

  it('runs a delayed job no earlier than its delay', async () => {
    const q = queue('delayed');
    const ranAt: number[] = [];
    q.work(async () => void ranAt.push(Date.now()));
    const addedAt = Date.now();
    await q.add('pay', { paymentId: 'p4' }, { jobId: 'payment-p4', delay: 400 });
    await waitFor('delayed job ran', () => ranAt.length === 1);
    expect(ranAt[0]! - addedAt).toBeGreaterThanOrEqual(400);
  });

  it('runs a repeatable job on its schedule', async () => {
    const q = queue('repeat');
    let runs = 0;
    q.work(async () => void runs++);
    await q.schedule('heartbeat', { everyMs: 150 }, { name: 'beat', data: { paymentId: 'none' } });
    await waitFor('three scheduled runs', () => runs >= 3);
    await q.queue.removeJobScheduler('heartbeat');
  });

  it('a job whose worker dies is retried and its effect happens once', async () => {
    const name = 'dies';
    const q = queue(name);
    const job = await q.add('pay', { paymentId: 'p5' }, { jobId: 'payment-p5' });
    const worker = fileURLToPath(new URL('./fixtures/dying-worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', worker], {
      cwd: repoRoot,
      env: { ...process.env, REDIS_URL, PREFIX, QUEUE: name },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const signal = await new Promise((r) => child.once('exit', (_c, s) => r(s)));
    expect(signal).toBe('SIGKILL');
    expect(await redis.get(`${PREFIX}:attempts:${job.id}`)).toBe('1');

    // A healthy worker picks the stalled job up once its lock expires.
    let retriedRuns = 0;
    q.work(
      async (j) => {
        retriedRuns++;
        if (await redis.set(`${PREFIX}:effect:${j.id}`, '1', 'NX')) await redis.incrby(`${PREFIX}:balance`, 100);
      },
      { lockDurationMs: 1_000, stalledIntervalMs: 500 },
    );
    await waitFor('stalled job completed', async () => (await q.queue.getJob(job.id!))?.finishedOn, 20_000);
    expect(retriedRuns).toBe(1);
    expect(await redis.get(`${PREFIX}:balance`)).toBe('100'); // credited by the dead worker, not again by the retry
  });
});
