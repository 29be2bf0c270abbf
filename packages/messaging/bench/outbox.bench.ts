// The outbox relay: rows committed to a service's outbox → stored in JetStream and marked sent, through the real
// OutboxRelay on real Postgres and NATS JetStream. This is the first hop of every event a user waits on (a
// deposit.confirmed's way to the minting gateway, a header's btc.header.connected).
//
// Each round commits a burst of events in one transaction (like a Bitcoin block's deposits), wakes a started relay,
// and times until the last row is marked sent (so every event is stored in the stream: rows are marked only after
// their ack). "one at a time" is the relay before session 5 (batchSize 100, each publish acked before the next);
// "pipelined" is the default now (batchSize 2,000, up to 256 publishes in flight, chained per stream). Rounds are
// interleaved so both modes see the same machine load. CPU is this process's (relay + pg client + NATS client).
import os from 'node:os';
import pg from 'pg';
import { createTestDatabase, uniquePrefix } from '@tapbridge/testing';
import { connectMessaging, deleteStreams, enqueueEventBatch, ensureStreams, EventPublisher, OutboxRelay, prepareOutboxBatch, withTransaction } from '../src/index.js';
import { logger, prepareSchema, SCHEMA, testEvent } from '../test/fixtures/harness.js';

const BURST = Number(process.env.BENCH_BURST ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${load()}`);

const db = await createTestDatabase();
await prepareSchema(db.url);
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
const messaging = await connectMessaging({ url: NATS_URL, prefix: uniquePrefix() });
await ensureStreams(messaging.jsm, messaging.naming, {}, ['TEST']);
const publisher = new EventPublisher(messaging.js, messaging.naming);
const modes = {
  'one at a time': { batchSize: 100, maxInFlight: 1 },
  pipelined: {},
} as const;

let round = 0;
async function burst(mode: keyof typeof modes): Promise<string> {
  round++;
  const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger, pollIntervalMs: 50, ...modes[mode] });
  const events = Array.from({ length: BURST }, (_, i) => ({ event: testEvent, payload: { thingId: `r${round}-${i}`, amountSats: '1000' } }));
  const batch = prepareOutboxBatch(events);
  relay.start();
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await withTransaction(pool, (tx) => enqueueEventBatch(tx, SCHEMA, batch));
  relay.wake();
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
    if (rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await relay.stop();
  return `${mode.padEnd(13)} ${BURST} events committed → all stored in JetStream and marked sent: ${ms.toFixed(0)} ms = ${((BURST / ms) * 1000).toFixed(0)} events/s; ` +
    `${(((cpu.user + cpu.system) / BURST)).toFixed(0)} µs CPU/event (bench process); load ${loadBefore}`;
}

try {
  await burst('pipelined'); // warm-up: JIT, connections, stream
  await burst('one at a time');
  console.log(`outbox relay, bursts of ${BURST} events (one transaction), ${ROUNDS} interleaved rounds`);
  for (let r = 0; r < ROUNDS; r++) {
    console.log(`  ${await burst('one at a time')}`);
    console.log(`  ${await burst('pipelined')}`);
  }
} finally {
  await deleteStreams(messaging.jsm, messaging.naming);
  await messaging.close();
  await pool.end();
  await db.drop();
}
