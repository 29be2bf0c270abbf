import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, repoRoot, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import {
  connectMessaging, deleteStreams, DurableConsumer, enqueueEvent, ensureStreams, EventPublisher, InvalidEventError,
  OutboxRelay, withTransaction, HEADER, enqueueEventBatch, prepareOutboxBatch, type DecodedEvent, type Messaging,
} from '../src/index.js';
import { headers } from '@nats-io/nats-core';
import { metricsRegistry } from '@tapbridge/observability';
import { applyEffect, effectCount, logger, prepareSchema, SCHEMA, testCatalog, testEvent } from './fixtures/harness.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let db: TestDatabase;
let pool: pg.Pool;
let messaging: Messaging;
let publisher: EventPublisher;

beforeAll(async () => {
  db = await createTestDatabase();
  await prepareSchema(db.url);
  pool = new pg.Pool({ connectionString: db.url });
  messaging = await connectMessaging({ url: NATS_URL, prefix: uniquePrefix() });
  await ensureStreams(messaging.jsm, messaging.naming);
  publisher = new EventPublisher(messaging.js, messaging.naming);
});

afterAll(async () => {
  await deleteStreams(messaging.jsm, messaging.naming);
  await messaging.close();
  await pool.end();
  await db.drop();
});

const WORKER = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

/** Runs the crash worker in a child process and resolves when it has killed itself. */
function runCrashWorker(mode: string, env: Record<string, string>): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', WORKER, mode], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: db.url, NATS_URL, PREFIX: messaging.naming.prefix, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

async function streamMessagesFor(subject: string): Promise<number> {
  const info = await messaging.jsm.streams.info(messaging.naming.stream('TEST'), { subjects_filter: messaging.naming.subject(subject) });
  return info.state.subjects?.[messaging.naming.subject(subject)] ?? 0;
}

function consumerFor(durable: string, handle: (e: DecodedEvent) => Promise<void>, extra: Partial<ConstructorParameters<typeof DurableConsumer>[0]> = {}) {
  return new DurableConsumer({ messaging, catalog: testCatalog, logger, durable, stream: 'TEST', subject: 'test.>', ackWaitMs: 1_000, handle, ...extra });
}

describe('publishing', () => {
  it('stores the same event once in the outbox and once in the stream', async () => {
    const payload = { thingId: 'dup-1', amountSats: '1000' };
    const first = await withTransaction(pool, (tx) => enqueueEvent(tx, SCHEMA, testEvent, payload));
    const second = await withTransaction(pool, (tx) => enqueueEvent(tx, SCHEMA, testEvent, payload));
    expect([first, second]).toEqual([true, false]);
    const rows = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE event_id = 'test.thing.happened:dup-1'`);
    expect(rows.rows[0].n).toBe(1);

    const a = await publisher.publish(testEvent, payload);
    const b = await publisher.publish(testEvent, payload);
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
    expect(await streamMessagesFor(testEvent.subject)).toBe(1);
  });

  it('rejects an invalid payload at publish with an error naming the field', async () => {
    const bad = { thingId: '', amountSats: '12.5' } as unknown as { thingId: string; amountSats: string };
    await expect(publisher.publish(testEvent, bad)).rejects.toThrow(InvalidEventError);
    await expect(withTransaction(pool, (tx) => enqueueEvent(tx, SCHEMA, testEvent, bad))).rejects.toThrow(/amountSats/);
    const rows = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE payload->>'thingId' = ''`);
    expect(rows.rows[0].n).toBe(0);
  });
});

describe('batched outbox writes', () => {
  it('stores a batch in order, once, with the same validation as single events', async () => {
    const events = ['b-1', 'b-2', 'b-3'].map((thingId) => ({ event: testEvent, payload: { thingId, amountSats: '3' } }));
    const batch = prepareOutboxBatch(events);
    await withTransaction(pool, (tx) => enqueueEventBatch(tx, SCHEMA, batch));
    await withTransaction(pool, (tx) => enqueueEventBatch(tx, SCHEMA, batch)); // again: nothing new
    const rows = await pool.query(`SELECT event_id FROM ${SCHEMA}.outbox WHERE event_id LIKE 'test.thing.happened:b-%' ORDER BY seq`);
    expect(rows.rows.map((r) => r.event_id)).toEqual(['test.thing.happened:b-1', 'test.thing.happened:b-2', 'test.thing.happened:b-3']);
    expect(() => prepareOutboxBatch([{ event: testEvent, payload: { thingId: 'b-4', amountSats: 'x' } }])).toThrow(InvalidEventError);
    expect(() => prepareOutboxBatch([{ event: testEvent, payload: { thingId: 'b-5', amountSats: '1' }, expectedId: 'other' }])).toThrow(/does not match/);
    // Not published yet: the relay tests below mark earlier rows sent before they count.
  });
});

describe('outbox relay', () => {
  it('killed between publish and mark-sent, publishes nothing twice downstream', async () => {
    const payload = { thingId: 'relay-crash', amountSats: '5' };
    await withTransaction(pool, (tx) => enqueueEvent(tx, SCHEMA, testEvent, payload));
    // Earlier rows from other tests are in the outbox too; mark them sent so the worker dies on this one.
    await pool.query(`UPDATE ${SCHEMA}.outbox SET published_at = now() WHERE event_id <> 'test.thing.happened:relay-crash'`);

    expect(await runCrashWorker('relay-die-after-publish', {})).toBe('SIGKILL');
    const row = await pool.query(`SELECT published_at FROM ${SCHEMA}.outbox WHERE event_id = 'test.thing.happened:relay-crash'`);
    expect(row.rows[0].published_at).toBeNull(); // the crash came before mark-sent
    expect(await streamMessagesFor(testEvent.subject)).toBe(2); // dup-1 and relay-crash

    const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger });
    // The dead worker's backend holds the relay's advisory lock until Postgres notices the closed socket (under load
    // that takes a moment): a pass until then publishes nothing, as it should while another relay may be mid-batch.
    let published = 0;
    await waitFor('the killed relay\'s lock released and the row republished', async () => (published = await relay.publishBatch()) > 0);
    expect(published).toBe(1);
    expect(await streamMessagesFor(testEvent.subject)).toBe(2); // the republish was dropped by Nats-Msg-Id
    const after = await pool.query(`SELECT published_at FROM ${SCHEMA}.outbox WHERE event_id = 'test.thing.happened:relay-crash'`);
    expect(after.rows[0].published_at).toBeInstanceOf(Date);

    // And a consumer downstream applies it once.
    const consumer = consumerFor('relay-check', async (e) => void (await applyEffect(pool, 'relay-check', e)));
    await consumer.start();
    await waitFor('relay-crash applied', async () => (await effectCount(pool, 'test.thing.happened:relay-crash')) === 1);
    await new Promise((r) => setTimeout(r, 300));
    await consumer.stop();
    expect(await effectCount(pool, 'test.thing.happened:relay-crash')).toBe(1);
  });

  it('publishes in commit order when started as a loop', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `order-${String(i).padStart(2, '0')}`);
    for (const id of ids) await withTransaction(pool, (tx) => enqueueEvent(tx, SCHEMA, testEvent, { thingId: id, amountSats: '1' }));
    const seen: string[] = [];
    const consumer = consumerFor('order-check', async (e) => void seen.push((e.payload as { thingId: string }).thingId), { maxAckPending: 1 });
    await consumer.start();
    const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger, pollIntervalMs: 50 });
    relay.start();
    await waitFor('all ordered events consumed', () => ids.every((id) => seen.includes(id)));
    await relay.stop();
    await consumer.stop();
    expect(seen.filter((s) => s.startsWith('order-'))).toEqual(ids);
  });
});

/** tapbridge_outbox_chain_restarts_total for the test schema's TEST stream. */
async function chainRestarts(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('tapbridge_outbox_chain_restarts_total')?.get();
  return metric?.values.find((v) => v.labels.schema === SCHEMA && v.labels.stream === 'TEST')?.value ?? 0;
}

/** Event ids of the TEST stream's messages that start with `prefix`, in stream order. */
async function storedIds(prefix: string): Promise<string[]> {
  const stream = messaging.naming.stream('TEST');
  const { state } = await messaging.jsm.streams.info(stream);
  const ids: string[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    const id = m?.header?.get('Nats-Msg-Id') ?? '';
    if (id.startsWith(prefix)) ids.push(id);
  }
  return ids;
}

/** Enqueues `n` events `<name>-000…` in one transaction each (their own commits) and marks every other row sent. */
async function enqueueRun(name: string, n: number): Promise<string[]> {
  const things = Array.from({ length: n }, (_, i) => `${name}-${String(i).padStart(3, '0')}`);
  await withTransaction(pool, (tx) => enqueueEventBatch(tx, SCHEMA, prepareOutboxBatch(things.map((thingId) => ({ event: testEvent, payload: { thingId, amountSats: '1' } })))));
  await pool.query(`UPDATE ${SCHEMA}.outbox SET published_at = now() WHERE published_at IS NULL AND NOT payload->>'thingId' LIKE $1`, [`${name}-%`]);
  return things.map((t) => `test.thing.happened:${t}`);
}

/** Publishes like EventPublisher, but `intercept` runs first for each event and may refuse it (a publish lost on the way). */
class InterceptingPublisher extends EventPublisher {
  constructor(private readonly intercept: (id: string) => Promise<void>) {
    super(messaging.js, messaging.naming);
  }
  override async publishRaw(e: Parameters<EventPublisher['publishRaw']>[0], options?: Parameters<EventPublisher['publishRaw']>[1]) {
    await this.intercept(e.id);
    return super.publishRaw(e, options);
  }
}

describe('pipelined outbox relay', () => {
  it('a publish lost mid-pass: nothing after it lands first, the next pass publishes the rest once, in order', async () => {
    const ids = await enqueueRun('lost', 60);
    let lost = false;
    const publisher = new InterceptingPublisher(async (id) => {
      if (id === ids[20] && !lost) {
        lost = true;
        throw new Error('connection lost before the server got it');
      }
    });
    const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger, maxInFlight: 64 });
    const restarts = await chainRestarts();
    await expect(relay.publishBatch()).rejects.toThrow(/connection lost/);
    expect(await chainRestarts()).toBe(restarts + 1); // counted once per broken chain, not per refused publish
    // Publishes 21..59 were sent before 20's failure was known; each was chained to its predecessor, so none landed.
    expect(await storedIds('test.thing.happened:lost-')).toEqual(ids.slice(0, 20));
    const marked = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE payload->>'thingId' LIKE 'lost-%' AND published_at IS NOT NULL`);
    expect(marked.rows[0].n).toBe(20);
    expect(await relay.publishBatch()).toBe(40);
    expect(await storedIds('test.thing.happened:lost-')).toEqual(ids);
  });

  it('another publisher\'s message between two rows breaks the chain; the relay carries on at once, in order', async () => {
    const ids = await enqueueRun('foreign', 30);
    let injected = false;
    let ninthStored!: () => void;
    const ninth = new Promise<void>((resolve) => (ninthStored = resolve));
    // Row 10 is sent only after row 9 is acked and another publisher's event has landed behind it.
    const publisher = new InterceptingPublisher(async (id) => {
      if (id === ids[10] && !injected) {
        injected = true;
        await ninth;
        await new EventPublisher(messaging.js, messaging.naming).publish(testEvent, { thingId: 'intruder', amountSats: '1' });
      }
    });
    const afterPublish = (id: string): void => void (id === ids[9] && ninthStored());
    const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger, pollIntervalMs: 60_000, afterPublish });
    relay.start();
    await waitFor('every foreign-* row marked sent', async () => {
      const r = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE payload->>'thingId' LIKE 'foreign-%' AND published_at IS NULL`);
      return r.rows[0].n === 0;
    });
    await relay.stop();
    // The poll interval is a minute: the rest went out in the loop's next pass, not after a poll.
    const intruder = 'test.thing.happened:intruder';
    const stored = (await storedIds('test.thing.happened:')).filter((id) => id === intruder || ids.includes(id));
    expect(stored).toEqual([...ids.slice(0, 10), intruder, ...ids.slice(10)]);
  });

  it('killed with publishes in flight: a new relay publishes each row once, in commit order, and a consumer applies each once', async () => {
    const ids = await enqueueRun('inflight', 120);
    expect(await runCrashWorker('relay-die-mid-pipeline', { DIE_AFTER_ACKS: '30' })).toBe('SIGKILL');
    const landed = await storedIds('test.thing.happened:inflight-');
    expect(landed.length).toBeGreaterThanOrEqual(30);
    expect(landed).toEqual(ids.slice(0, landed.length)); // a prefix: nothing landed out of order
    const unmarked = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE payload->>'thingId' LIKE 'inflight-%' AND published_at IS NULL`);
    expect(unmarked.rows[0].n).toBe(120); // the crash came before mark-sent

    const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger });
    let published = 0;
    await waitFor('the killed relay\'s lock released and the rows republished', async () => (published += await relay.publishBatch()) >= 120);
    expect(published).toBe(120);
    expect(await storedIds('test.thing.happened:inflight-')).toEqual(ids); // the republished prefix was deduplicated

    const applied: string[] = [];
    const consumer = consumerFor('inflight-check', async (e) => {
      if (await applyEffect(pool, 'inflight-check', e)) applied.push(e.id);
    });
    await consumer.start();
    await waitFor('every inflight row applied', () => ids.every((id) => applied.includes(id)));
    await consumer.stop();
    expect(applied.filter((id) => id.includes(':inflight-'))).toEqual(ids);
    for (const id of [ids[0]!, ids[29]!, ids[119]!]) expect(await effectCount(pool, id)).toBe(1);
  });
});

describe('durable consumers', () => {
  it('a consumer that dies after its effect but before its ack is redelivered and the effect happens once', async () => {
    const durable = 'die-after-effect';
    await publisher.publish(testEvent, { thingId: 'after-1', amountSats: '7' });
    expect(await runCrashWorker('consumer-die-after-effect', { DURABLE: durable, TARGET_EVENT: 'test.thing.happened:after-1' })).toBe('SIGKILL');
    expect(await effectCount(pool, 'test.thing.happened:after-1')).toBe(1);

    let redelivered = 0;
    const consumer = consumerFor(durable, async (e) => {
      if (e.id === 'test.thing.happened:after-1') redelivered++;
      await applyEffect(pool, durable, e);
    });
    await consumer.start();
    await waitFor('redelivery of after-1', () => redelivered > 0);
    await consumer.stop();
    expect(await effectCount(pool, 'test.thing.happened:after-1')).toBe(1);
  });

  it('a consumer that dies before its effect gets the message again', async () => {
    const durable = 'die-before-effect';
    await publisher.publish(testEvent, { thingId: 'before-1', amountSats: '8' });
    expect(await runCrashWorker('consumer-die-before-effect', { DURABLE: durable, TARGET_EVENT: 'test.thing.happened:before-1' })).toBe('SIGKILL');
    expect(await effectCount(pool, 'test.thing.happened:before-1')).toBe(0);

    const consumer = consumerFor(durable, async (e) => void (await applyEffect(pool, durable, e)));
    await consumer.start();
    await waitFor('before-1 applied after redelivery', async () => (await effectCount(pool, 'test.thing.happened:before-1')) === 1);
    await consumer.stop();
  });

  it('dead-letters a message that always fails after max_deliver, and the others are not held up', async () => {
    const durable = 'always-fails';
    const attempts = new Map<string, number>();
    const done: string[] = [];
    const consumer = consumerFor(
      durable,
      async (e) => {
        const p = e.payload as { thingId: string; fail?: boolean };
        attempts.set(p.thingId, (attempts.get(p.thingId) ?? 0) + 1);
        if (p.fail) throw new Error(`cannot handle ${p.thingId}`);
        done.push(p.thingId);
      },
      { maxDeliver: 3, backoffMs: [100], subject: 'test.>' },
    );
    await consumer.start();
    await publisher.publish(testEvent, { thingId: 'poison', amountSats: '1', fail: true });
    await publisher.publish(testEvent, { thingId: 'fine-1', amountSats: '1' });
    await publisher.publish(testEvent, { thingId: 'fine-2', amountSats: '1' });

    await waitFor('good messages processed', () => done.includes('fine-1') && done.includes('fine-2'));
    const dlqStream = messaging.naming.stream('DLQ');
    await waitFor('poison dead-lettered', async () => (await messaging.jsm.streams.info(dlqStream)).state.messages > 0);
    // Terminated for good: no redelivery after the ack wait (1 s) has passed.
    await new Promise((r) => setTimeout(r, 2_000));
    await consumer.stop();
    expect(attempts.get('poison')).toBe(3);

    const dlq = await messaging.jsm.streams.getMessage(dlqStream, { last_by_subj: messaging.naming.deadLetterSubject(durable, testEvent.subject) });
    expect(dlq).not.toBeNull();
    expect(dlq!.header.get('Tb-Dlq-Reason')).toBe('max_deliver');
    expect(dlq!.header.get('Tb-Dlq-Error')).toBe('cannot handle poison');
    expect(dlq!.header.get('Tb-Dlq-Deliveries')).toBe('3');
    expect(dlq!.json<{ thingId: string }>().thingId).toBe('poison');
  });

  it('dead-letters a malformed message on the wire instead of crash-looping', async () => {
    const durable = 'malformed';
    const handled: string[] = [];
    const consumer = consumerFor(durable, async (e) => void handled.push(e.id), { subject: 'test.>' });
    await consumer.start();
    await messaging.js.publish(messaging.naming.subject(testEvent.subject), new TextEncoder().encode('{not json'));
    const versioned = headers();
    versioned.set(HEADER.version, '1');
    await messaging.js.publish(messaging.naming.subject(testEvent.subject), new TextEncoder().encode(JSON.stringify({ thingId: 'x' })), { headers: versioned });
    await publisher.publish(testEvent, { thingId: 'after-garbage', amountSats: '2' });
    await waitFor('good message after garbage', () => handled.includes('test.thing.happened:after-garbage'));
    const dlqStream = messaging.naming.stream('DLQ');
    const subj = messaging.naming.deadLetterSubject(durable, testEvent.subject);
    await waitFor('both malformed messages dead-lettered', async () => {
      const info = await messaging.jsm.streams.info(dlqStream, { subjects_filter: subj });
      return (info.state.subjects?.[subj] ?? 0) === 2;
    });
    await consumer.stop();
    const last = await messaging.jsm.streams.getMessage(dlqStream, { last_by_subj: subj });
    expect(last!.header.get('Tb-Dlq-Reason')).toBe('malformed');
    expect(last!.header.get('Tb-Dlq-Error')).toMatch(/amountSats/);
  });
});
