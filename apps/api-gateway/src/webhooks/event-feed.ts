import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { decodeEvent, type DecodedEvent } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RUNTIME } from '@tapbridge/runtime/nest';
import { Subject, type Observable } from 'rxjs';
import { DeliveryWorker } from './delivery-worker.js';
import { Webhooks } from './webhooks.service.js';

/** The event subjects the gateway follows: deposit and withdrawal status changes. */
export const FOLLOWED = [
  { stream: 'DEPOSIT', subject: 'deposit.>' },
  { stream: 'WITHDRAWAL', subject: 'withdrawal.>' },
] as const;

/**
 * Deposit and withdrawal events, two ways. Webhooks: durable JetStream consumers shared by the replicas, so each
 * event is turned into deliveries once (and again, harmlessly, on redelivery). Live status (SSE): a plain NATS
 * subscription in every replica, since a browser may be connected to any of them; a missed live event costs nothing,
 * the stream starts with the current status.
 */
@Injectable()
export class EventFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly live = new Subject<DecodedEvent>();
  private subscriptions: Array<{ unsubscribe(): void }> = [];

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(Webhooks) private readonly webhooks: Webhooks,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
  ) {}

  get events(): Observable<DecodedEvent> {
    return this.live.asObservable();
  }

  async onApplicationBootstrap(): Promise<void> {
    const { messaging, catalog, logger } = this.runtime;
    for (const f of FOLLOWED) {
      this.subscriptions.push(messaging.nc.subscribe(messaging.naming.subject(f.subject), {
        callback: (err, msg) => {
          if (err) return;
          try {
            this.live.next(decodeEvent(catalog, messaging.naming, msg.subject, msg.data, msg.headers));
          } catch (e) {
            logger.warn({ subject: msg.subject, err: (e as Error).message }, 'live feed: undecodable event skipped');
          }
        },
      }));
      await this.runtime.consume({
        durable: `api-gateway-webhooks-${f.stream.toLowerCase()}`,
        stream: f.stream,
        subject: f.subject,
        handle: async (event) => this.worker.enqueue(await this.webhooks.deliveriesFor(event)),
      });
    }
  }

  beforeApplicationShutdown(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.live.complete();
  }
}
