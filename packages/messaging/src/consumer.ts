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

/**
 * Batch mode: an event the handler did not attempt because an earlier one must be retried first (stream order). It
 * is offered again behind that one, without counting as an attempt.
 */
export class HeldBackError extends Error {
  override readonly name = 'HeldBackError';
}

export interface DeliveryContext {
  /** Attempts so far, this one included (the server's count, plus the batch mode's own retries). */
  deliveryCount: number;
  streamSequence: number;
}

/** One event of a batch, with its delivery context. */
export interface BatchEvent {
  event: DecodedEvent;
  ctx: DeliveryContext;
}

/**
 * What became of each event of a batch, in the same order: undefined when it is done (acked), a NonRetryableError to
 * dead-letter it at once, any other Error to offer it again after the backoff.
 */
export type BatchResult = Array<Error | undefined>;

export interface BatchSettings {
  /** Most events handed over in one call. */
  maxEvents: number;
  /** After an event arrives, how long to wait for another before handing over what has come (a burst ends). */
  quietMs: number;
  /** Longest wait, from the first event of a batch, before handing it over anyway. */
  maxWaitMs: number;
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
  /** One event at a time, in stream order (give this or handleBatch). */
  handle?(event: DecodedEvent, ctx: DeliveryContext): Promise<void>;
  /**
   * Batch mode (give this or handle): the events that arrived together, in stream order. Events it returns an
   * Error for (not a NonRetryableError) are offered again after the backoff, ahead of anything newer, while
   * everything in hand is kept from redelivery; so a handler that needs stream order returns an Error for every
   * event after the first one it could not do. Attempts are counted by the consumer (maxDeliver still applies).
   */
  handleBatch?(events: BatchEvent[]): Promise<BatchResult>;
  /** Batch sizes and waits (batch mode). */
  batch?: Partial<BatchSettings>;
  /** Attempts before dead-lettering. */
  maxDeliver?: number;
  /** Redelivery delay after the n-th failure (last value repeats). */
  backoffMs?: number[];
  /** How long a delivery may run before JetStream redelivers it to someone else. */
  ackWaitMs?: number;
  /** 1 processes strictly in stream order (a failing message holds back the rest until dead-lettered). */
  maxAckPending?: number;
}

export const DEFAULT_BATCH: BatchSettings = { maxEvents: 1_000, quietMs: 20, maxWaitMs: 250 };

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
  // Batch mode: delivered and not yet handed over; being handled; to offer again (retries, in stream order).
  private buffer: JsMsg[] = [];
  private inHand: JsMsg[] = [];
  private held: JsMsg[] = [];
  /** Failed attempts the batch mode made itself, by stream sequence (the server does not see these). */
  private readonly localAttempts = new Map<number, number>();
  private wakeBatchLoop: (() => void) | undefined;
  private pumpDone = false;

  constructor(private readonly o: DurableConsumerOptions) {
    if ((o.handle === undefined) === (o.handleBatch === undefined)) throw new Error(`consumer ${o.durable}: give exactly one of handle and handleBatch`);
  }

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
    if (this.o.handleBatch !== undefined) {
      // Messages a previous process left unacked come back only after the ack wait, and newer ones would overtake
      // them. Waiting that out first lets the redeliveries (served first, in stream order) lead, as in strict mode.
      const left = (await jsm.consumers.info(stream, this.o.durable)).num_ack_pending;
      if (left > 0) {
        this.o.logger.info({ consumer: this.o.durable, unacked: left, waitMs: config.ack_wait / MS + 1_000 }, 'waiting for unacked messages of an earlier run to come back first');
        await new Promise((r) => setTimeout(r, config.ack_wait / MS + 1_000));
      }
      const batch = this.batchSettings;
      this.messages = await consumer.consume({ max_messages: Math.min(batch.maxEvents * 2, config.max_ack_pending) });
      this.loop = this.runBatches(this.messages, config.ack_wait / MS);
      return;
    }
    this.messages = await consumer.consume({ max_messages: Math.min(100, config.max_ack_pending) });
    this.loop = this.run(this.messages);
  }

  private get batchSettings(): BatchSettings {
    return { ...DEFAULT_BATCH, ...this.o.batch };
  }

  /** Stops pulling, finishes the message (batch) in hand, and hands back the rest for immediate redelivery. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeBatchLoop?.();
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  /** Waits for a new message (or stop), at most `ms` when given. */
  private waitForArrival(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.wakeBatchLoop = undefined;
        resolve();
      };
      this.wakeBatchLoop = done;
    });
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.stopping) {
        m.nak();
        continue;
      }
      this.buffer.push(m);
      this.wakeBatchLoop?.();
    }
    this.pumpDone = true;
    this.wakeBatchLoop?.();
  }

  private async runBatches(messages: ConsumerMessages, ackWaitMs: number): Promise<void> {
    const pump = this.pump(messages);
    // Everything in hand stays ours while a batch (an L2 block, say) is worked on or retries wait their turn.
    const heartbeat = setInterval(() => {
      for (const m of [...this.held, ...this.inHand, ...this.buffer]) m.working();
    }, Math.max(100, Math.floor(ackWaitMs / 3)));
    const { maxEvents, quietMs, maxWaitMs } = this.batchSettings;
    try {
      while (!this.stopping) {
        if (this.held.length === 0 && this.buffer.length === 0) {
          if (this.pumpDone) break;
          await this.waitForArrival();
          continue;
        }
        // Gather a burst (one Bitcoin block's events come together): until it goes quiet, fills, or waited enough.
        const started = Date.now();
        while (this.held.length === 0 && this.buffer.length < maxEvents && !this.pumpDone && !this.stopping) {
          const left = maxWaitMs - (Date.now() - started);
          if (left <= 0) break;
          const before = this.buffer.length;
          await this.waitForArrival(Math.min(quietMs, left));
          // A starved event loop runs due timers before it reads the socket: let pending input in before calling
          // it quiet, or a busy machine would split a burst.
          if (this.buffer.length === before) await new Promise((resolve) => setImmediate(resolve));
          if (this.buffer.length === before) break;
        }
        if (this.stopping) break;
        const batch = [...this.held, ...this.buffer.splice(0, Math.max(0, maxEvents - this.held.length))];
        this.held = [];
        this.inHand = batch;
        const retried = await this.processBatch(batch);
        this.inHand = [];
        // Only a retry waits its backoff; events held back behind nothing but a batch boundary go again at once.
        if (retried > 0 && this.held.length > 0) {
          const first = this.held[0]!;
          const backoff = this.o.backoffMs ?? [500, 2_000, 5_000, 15_000];
          const attempt = first.info.deliveryCount + (this.localAttempts.get(first.info.streamSequence) ?? 0) - 1;
          const delay = backoff[Math.min(Math.max(attempt - 1, 0), backoff.length - 1)] ?? 1_000;
          // Retries wait here (kept from redelivery by the heartbeat), so nothing newer overtakes them.
          const until = Date.now() + delay;
          while (!this.stopping && Date.now() < until) await this.waitForArrival(until - Date.now());
        }
      }
    } finally {
      clearInterval(heartbeat);
      for (const m of [...this.held, ...this.buffer]) m.nak();
      this.held = [];
      this.buffer = [];
      await messages.close().catch(() => undefined);
      await pump;
    }
  }

  /** Handles one batch; returns how many events failed and wait for a retry. */
  private async processBatch(batch: JsMsg[]): Promise<number> {
    const { catalog, messaging, logger, durable } = this.o;
    const items: Array<BatchEvent & { m: JsMsg; subject: string }> = [];
    for (const m of batch) {
      const subject = messaging.naming.unprefix(m.subject);
      try {
        const event = decodeEvent(catalog, messaging.naming, m.subject, m.data, m.headers);
        const deliveryCount = m.info.deliveryCount + (this.localAttempts.get(m.info.streamSequence) ?? 0);
        items.push({ m, subject, event, ctx: { deliveryCount, streamSequence: m.info.streamSequence } });
      } catch (err) {
        await this.deadLetter(m, subject, err as Error, 'malformed');
      }
    }
    if (items.length === 0) return 0;
    let results: BatchResult;
    try {
      results = await this.o.handleBatch!(items.map(({ event, ctx }) => ({ event, ctx })));
      if (results.length !== items.length) throw new Error(`batch handler returned ${results.length} results for ${items.length} events`);
    } catch (err) {
      results = items.map(() => err as Error);
    }
    let retries = 0;
    for (const [i, item] of items.entries()) {
      const error = results[i];
      const { m, subject, ctx } = item;
      if (error === undefined) {
        m.ack();
        this.localAttempts.delete(ctx.streamSequence);
        consumed.inc({ consumer: durable, subject, outcome: 'ok' });
      } else if (error instanceof NonRetryableError || ctx.deliveryCount >= this.maxDeliver) {
        this.localAttempts.delete(ctx.streamSequence);
        await this.deadLetter(m, subject, error, error instanceof NonRetryableError ? 'rejected' : 'max_deliver');
      } else if (error instanceof HeldBackError) {
        this.held.push(m);
      } else {
        if (retries++ === 0) logger.warn({ err: error, consumer: durable, subject, eventId: item.event.id, attempt: ctx.deliveryCount }, 'event handler failed; will retry');
        this.localAttempts.set(ctx.streamSequence, (this.localAttempts.get(ctx.streamSequence) ?? 0) + 1);
        consumed.inc({ consumer: durable, subject, outcome: 'retry' });
        this.held.push(m);
      }
    }
    if (retries > 1 || (retries > 0 && this.held.length > retries)) logger.warn({ consumer: durable, retried: retries, held: this.held.length }, 'events held for retry, in stream order');
    return retries;
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
      await this.o.handle!(event, ctx);
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
