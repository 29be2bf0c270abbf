// DurableConsumer's batch mode on a real JetStream: events come in stream order, retries are offered again ahead of
// anything newer, held-back events are not counted as attempts, and dead-lettering works per event.
import { uniquePrefix, waitFor } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectMessaging, deleteStreams, DurableConsumer, ensureStreams, EventPublisher, HeldBackError, NonRetryableError,
  type BatchEvent, type BatchResult, type Messaging,
} from '../src/index.js';
import { logger, testCatalog, testEvent } from './fixtures/harness.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let messaging: Messaging;
let publisher: EventPublisher;

beforeAll(async () => {
  messaging = await connectMessaging({ url: NATS_URL, prefix: uniquePrefix() });
  await ensureStreams(messaging.jsm, messaging.naming);
  publisher = new EventPublisher(messaging.js, messaging.naming);
});
afterAll(async () => {
  await deleteStreams(messaging.jsm, messaging.naming);
  await messaging.close();
});

const thingOf = (e: BatchEvent) => (e.event.payload as { thingId: string }).thingId;

/** A batch handler that applies events in order and, like the evm-gateway's minter, holds back all after a failure. */
function orderedHandler(fail: (thing: string, attempt: number) => Error | undefined, log: { applied: string[]; calls: Array<Array<[string, number]>> }) {
  return async (events: BatchEvent[]): Promise<BatchResult> => {
    log.calls.push(events.map((e) => [thingOf(e), e.ctx.deliveryCount]));
    const results: BatchResult = [];
    let waiting = false;
    for (const e of events) {
      if (waiting) {
        results.push(new HeldBackError('behind a retry'));
        continue;
      }
      const error = fail(thingOf(e), e.ctx.deliveryCount);
      if (error === undefined) log.applied.push(thingOf(e));
      else if (!(error instanceof NonRetryableError)) waiting = true;
      results.push(error);
    }
    return results;
  };
}

async function drained(durable: string): Promise<void> {
  const stream = messaging.naming.stream('TEST');
  await waitFor(`${durable} drained`, async () => {
    const last = (await messaging.jsm.streams.info(stream)).state.last_seq;
    const info = await messaging.jsm.consumers.info(stream, durable);
    return info.ack_floor.stream_seq >= last && info.num_ack_pending === 0;
  }, 30_000, 20);
}

describe('DurableConsumer batch mode', () => {
  it('hands over a burst in stream order, retries a failing event ahead of the rest, and counts only real attempts', async () => {
    const durable = 'batch-order';
    const log = { applied: [] as string[], calls: [] as Array<Array<[string, number]>> };
    // b-3 fails twice (not yet), b-6 is refused for good, everything else is fine.
    const handler = orderedHandler((thing, attempt) => {
      if (thing === 'b-3' && attempt < 3) return new Error('not yet');
      if (thing === 'b-6') return new NonRetryableError('never');
      return undefined;
    }, log);
    const consumer = new DurableConsumer({
      messaging, catalog: testCatalog, logger, durable, stream: 'TEST', subject: 'test.>', ackWaitMs: 2_000, maxDeliver: 5, backoffMs: [100],
      batch: { maxEvents: 100, quietMs: 100, maxWaitMs: 2_000 }, handleBatch: handler,
    });
    await consumer.start();
    const things = Array.from({ length: 10 }, (_, i) => `b-${i}`);
    await Promise.all(things.map((thingId) => publisher.publish(testEvent, { thingId, amountSats: '1' })));
    await drained(durable);
    await consumer.stop();

    // Applied exactly once each, in stream order (b-6 dead-lettered), although b-3 was retried with those after it held.
    const order: string[] = [];
    for (let seq = 1; seq <= things.length; seq++) order.push((await messaging.jsm.streams.getMessage(messaging.naming.stream('TEST'), { seq }))!.json<{ thingId: string }>().thingId);
    expect([...order].sort()).toEqual([...things].sort());
    expect(log.applied).toEqual(order.filter((t) => t !== 'b-6'));
    expect(log.calls.length).toBeGreaterThan(1); // b-3 was offered again
    // b-3's third attempt came with the held-back events after it, none of which was counted as an attempt.
    const retried = log.calls.filter((c) => c[0]?.[0] === 'b-3');
    expect(retried.map((c) => c[0]![1])).toEqual([1, 2, 3].slice(-retried.length));
    for (const call of log.calls) for (const [thing, attempt] of call) if (thing !== 'b-3') expect(attempt, thing).toBe(1);
    const dlq = await messaging.jsm.streams.getMessage(messaging.naming.stream('DLQ'), { last_by_subj: messaging.naming.deadLetterSubject(durable, testEvent.subject) });
    expect(dlq!.header.get('Tb-Dlq-Reason')).toBe('rejected');
    expect(dlq!.json<{ thingId: string }>().thingId).toBe('b-6');
  });

  it('dead-letters an event that keeps failing after maxDeliver attempts, then applies the events held behind it once', async () => {
    const durable = 'batch-max-deliver';
    const log = { applied: [] as string[], calls: [] as Array<Array<[string, number]>> };
    const attempts = new Map<string, number>();
    const handler = orderedHandler((thing) => {
      attempts.set(thing, (attempts.get(thing) ?? 0) + 1);
      return thing === 'm-0' ? new Error('always') : undefined;
    }, log);
    const consumer = new DurableConsumer({
      messaging, catalog: testCatalog, logger, durable, stream: 'TEST', subject: 'test.thing.happened', ackWaitMs: 2_000, maxDeliver: 3, backoffMs: [50],
      batch: { maxEvents: 100, quietMs: 100, maxWaitMs: 2_000 }, handleBatch: handler,
    });
    // Only this test's events: start after the first test's are in the stream, deliver from the consumer's start.
    await consumer.start();
    await Promise.all(['m-0', 'm-1', 'm-2'].map((thingId) => publisher.publish(testEvent, { thingId, amountSats: '1' })));
    await waitFor('m-1 and m-2 applied', () => log.applied.includes('m-1') && log.applied.includes('m-2'), 30_000, 20);
    await drained(durable);
    await consumer.stop();
    expect(attempts.get('m-0')).toBe(3);
    expect(attempts.get('m-1')).toBe(1);
    expect(attempts.get('m-2')).toBe(1);
    const dlq = await messaging.jsm.streams.getMessage(messaging.naming.stream('DLQ'), { last_by_subj: messaging.naming.deadLetterSubject(durable, testEvent.subject) });
    expect(dlq!.header.get('Tb-Dlq-Reason')).toBe('max_deliver');
    expect(dlq!.json<{ thingId: string }>().thingId).toBe('m-0');
  });
});
