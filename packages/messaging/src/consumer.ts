import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { counter, type Logger } from '@tapbridge/observability';
import type { EventCatalog, StreamName } from './catalog.js';
import type { Messaging } from './connection.js';
import { decodeEvent, type DecodedEvent } from './wire.js';

const consumed = counter('tapbridge_events_consumed_total', 'Events handled by durable consumers', ['consumer', 'subject', 'outcome']);
const deadLettered = counter('tapbridge_events_dead_lettered_total', 'Events moved to the dead-letter stream', ['consumer', 'subject']);

/** Thrown by a handler for a message that can never succeed: it is dead-lettered at once, without retries. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

export interface DeliveryContext {
  deliveryCount: number;
  streamSequence: number;
}

export interface DurableConsumerOptions {
  messaging: Messaging;
  catalog: EventCatalog;
  logger: Logger;
  /** Durable name: stable across restarts; also the inbox consumer key. */
  durable: string;
  stream: StreamName;
  /** Unprefixed subject filter; wildcards allowed, e.g. 'btc.header.>'. One filter: NATS 2.9 servers (Debian 12) lack multi-filter consumers. */
  subject: string;
  handle(event: DecodedEvent, ctx: DeliveryContext): Promise<void>;
  /** Attempts before dead-lettering. */
  maxDeliver?: number;
  /** Redelivery delay after the n-th failure (last value repeats). */
  backoffMs?: number[];
  /** How long a delivery may run before JetStream redelivers it to someone else. */
  ackWaitMs?: number;
  /** 1 processes strictly in stream order (a failing message holds back the rest until dead-lettered). */
  maxAckPending?: number;
}

const MS = 1_000_000;

/**
 * A durable JetStream pull consumer with explicit acks. Each message is decoded and validated against the catalog;
 * malformed ones and ones that fail `maxDeliver` times go to the dead-letter stream (`<prefix>.dlq.<durable>.<subject>`)
 * with the error in headers, then are terminated, so one bad message never stalls or crash-loops the service.
 */
export class DurableConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly o: DurableConsumerOptions) {}

  get maxDeliver(): number {
    return this.o.maxDeliver ?? 5;
  }

  async start(): Promise<void> {
    const { jsm, js, naming } = this.o.messaging;
    const stream = naming.stream(this.o.stream);
    const config = {
      durable_name: this.o.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: naming.subject(this.o.subject),
      // One more than ours, so the server stops only if we died before dead-lettering the final attempt.
      max_deliver: this.maxDeliver + 1,
      ack_wait: (this.o.ackWaitMs ?? 30_000) * MS,
      max_ack_pending: this.o.maxAckPending ?? 1_000,
    };
    try {
      await jsm.consumers.info(stream, this.o.durable);
      await jsm.consumers.update(stream, this.o.durable, config);
    } catch {
      await jsm.consumers.add(stream, config);
    }
    const consumer = await js.consumers.get(stream, this.o.durable);
    this.messages = await consumer.consume({ max_messages: Math.min(100, config.max_ack_pending) });
    this.loop = this.run(this.messages);
  }

  /** Stops pulling, finishes the message in hand, and hands back the rest for immediate redelivery. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.stopping) {
        m.nak();
        continue;
      }
      await this.process(m);
    }
  }

  private async process(m: JsMsg): Promise<void> {
    const { catalog, messaging, logger, durable } = this.o;
    const subject = messaging.naming.unprefix(m.subject);
    let event: DecodedEvent;
    try {
      event = decodeEvent(catalog, messaging.naming, m.subject, m.data, m.headers);
    } catch (err) {
      await this.deadLetter(m, subject, err as Error, 'malformed');
      return;
    }
    const ctx = { deliveryCount: m.info.deliveryCount, streamSequence: m.info.streamSequence };
    try {
      await this.o.handle(event, ctx);
      m.ack();
      consumed.inc({ consumer: durable, subject, outcome: 'ok' });
    } catch (err) {
      const error = err as Error;
      if (error instanceof NonRetryableError || ctx.deliveryCount >= this.maxDeliver) {
        await this.deadLetter(m, subject, error, error instanceof NonRetryableError ? 'rejected' : 'max_deliver');
        return;
      }
      const backoff = this.o.backoffMs ?? [500, 2_000, 5_000, 15_000];
      const delay = backoff[Math.min(ctx.deliveryCount - 1, backoff.length - 1)] ?? 1_000;
      logger.warn({ err: error, consumer: durable, subject, eventId: event.id, attempt: ctx.deliveryCount, retryInMs: delay }, 'event handler failed; will retry');
      consumed.inc({ consumer: durable, subject, outcome: 'retry' });
      m.nak(delay);
    }
  }

  private async deadLetter(m: JsMsg, subject: string, error: Error, reason: 'malformed' | 'max_deliver' | 'rejected'): Promise<void> {
    const { messaging, durable, logger } = this.o;
    const h = natsHeaders();
    h.set('Tb-Dlq-Reason', reason);
    h.set('Tb-Dlq-Error', error.message.slice(0, 1_000).replace(/[\r\n]+/g, ' '));
    h.set('Tb-Dlq-Consumer', durable);
    h.set('Tb-Dlq-Subject', m.subject);
    h.set('Tb-Dlq-Stream-Seq', String(m.info.streamSequence));
    h.set('Tb-Dlq-Deliveries', String(m.info.deliveryCount));
    const eventId = m.headers?.get('Tb-Event-Id');
    if (eventId) h.set('Tb-Event-Id', eventId);
    try {
      await messaging.js.publish(messaging.naming.deadLetterSubject(durable, subject.replace(/[^a-zA-Z0-9_.-]/g, '_')), m.data, {
        headers: h,
        msgID: `dlq:${durable}:${m.info.stream}:${m.info.streamSequence}`,
      });
    } catch (err) {
      // Could not park it: leave it for redelivery rather than lose it.
      logger.error({ err, consumer: durable, subject }, 'dead-letter publish failed; message left for redelivery');
      m.nak(5_000);
      return;
    }
    // No reason text: nats-server 2.9 (Debian 12) ignores a `+TERM <reason>` ack and would redeliver. The reason
    // travels in the dead-letter headers instead.
    m.term();
    deadLettered.inc({ consumer: durable, subject });
    consumed.inc({ consumer: durable, subject, outcome: 'dead_lettered' });
    logger.error(
      { consumer: durable, subject, reason, error: error.message, streamSequence: m.info.streamSequence, deliveries: m.info.deliveryCount },
      'event dead-lettered',
    );
  }
}
