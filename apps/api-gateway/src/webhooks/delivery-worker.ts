import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { JobQueue, redisConnection, type Job } from '@tapbridge/jobs';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { counter } from '@tapbridge/observability';
import type { ApiGatewayConfig } from '../config.js';
import { PrismaService } from '../prisma.service.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signDelivery } from './signature.js';

const attemptsTotal = counter('tapbridge_webhook_attempts_total', 'Webhook delivery attempts by outcome', ['outcome']);

interface DeliveryJob {
  deliveryId: string;
}

/** Thrown for an attempt that failed: BullMQ retries the job with exponential backoff. */
class AttemptFailed extends Error {}

/**
 * Webhook deliveries as BullMQ jobs (packages/jobs): the job id is the delivery id, so adding it twice does
 * nothing; each attempt is counted in the row first (so a crash mid-attempt still shows as an attempt), then
 * recorded with its outcome. A delivered row is never posted again, whatever BullMQ replays.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly queue: JobQueue<DeliveryJob>;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: ApiGatewayConfig,
    @Inject(PrismaService) private readonly prisma: PrismaService,
  ) {
    this.queue = new JobQueue<DeliveryJob>('webhook-delivery', {
      connection: redisConnection(config.REDIS_URL),
      prefix: `${config.STREAM_PREFIX}:jobs:api-gateway`,
      logger: runtime.logger,
      attempts: config.WEBHOOK_ATTEMPTS,
      backoffMs: config.WEBHOOK_BACKOFF_MS,
    });
  }

  onApplicationBootstrap(): void {
    this.queue.work((job) => this.attempt(job), { concurrency: this.config.WEBHOOK_CONCURRENCY });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }

  async enqueue(deliveryIds: readonly string[]): Promise<void> {
    for (const id of deliveryIds) await this.queue.add('deliver', { deliveryId: id }, { jobId: id });
  }

  private async attempt(job: Job<DeliveryJob>): Promise<void> {
    const { deliveryId } = job.data;
    const delivery = await this.prisma.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { subscription: true } });
    if (!delivery || delivery.status !== 'pending') return;
    if (delivery.subscription.revokedAt) {
      await this.prisma.webhookDelivery.update({ where: { id: deliveryId }, data: { status: 'failed' } });
      return;
    }
    const { attempts: attempt } = await this.prisma.webhookDelivery.update({ where: { id: deliveryId }, data: { attempts: { increment: 1 } }, select: { attempts: true } });
    const body = JSON.stringify({ id: delivery.id, event: delivery.event, eventId: delivery.eventId, createdAt: delivery.createdAt.toISOString(), data: delivery.payload });
    const startedAt = new Date();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(delivery.subscription.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.WEBHOOK_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tapbridge-webhooks/1',
          [DELIVERY_HEADER]: delivery.id,
          [EVENT_HEADER]: delivery.event,
          [SIGNATURE_HEADER]: signDelivery(delivery.subscription.secret, body, Math.floor(startedAt.getTime() / 1000)),
        },
        body,
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).name === 'TimeoutError' ? `no answer in ${this.config.WEBHOOK_TIMEOUT_MS} ms` : (e as Error).message.slice(0, 500);
    }
    const durationMs = Date.now() - startedAt.getTime();
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const status = error === null ? 'delivered' : lastAttempt ? 'failed' : 'pending';
    await this.prisma.$transaction([
      this.prisma.webhookAttempt.create({ data: { deliveryId, attempt, startedAt, durationMs, statusCode, error } }),
      this.prisma.webhookDelivery.update({ where: { id: deliveryId }, data: { status, ...(error === null ? { deliveredAt: new Date() } : {}) } }),
    ]);
    attemptsTotal.inc({ outcome: error === null ? 'delivered' : lastAttempt ? 'failed' : 'retry' });
    if (error !== null) throw new AttemptFailed(`delivery ${deliveryId} attempt ${attempt}: ${error}`);
  }
}
