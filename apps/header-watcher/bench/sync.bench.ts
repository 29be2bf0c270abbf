// End-to-end header sync into Postgres: 100,000 regtest headers through HeaderSync (every rule checked by
// HeaderChain) into the watcher's PostgresHeaderStore (header rows + btc.header.connected outbox rows, one
// transaction per batch). The chain is mined in-process with packages/bitcoin's codec and served by an in-memory
// HeaderSource, so the number is the watcher's own cost (fetch loop, validation, Postgres), not a node's RPC speed.
// Needs Postgres on 127.0.0.1:5432 (TEST_DATABASE_URL to override); prints the machine and headers per second.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { REGTEST } from '@tapbridge/bitcoin';
import { migrate, createTestDatabase } from '@tapbridge/db';
import { HeaderSync } from '@tapbridge/light-client';
import { MemoryHeaderSource, genesisParent, mineHeaders } from '@tapbridge/light-client/testing';
import { withTransaction } from '@tapbridge/messaging';
import { PostgresHeaderStore } from '../src/header-store.js';

const COUNT = Number(process.env.BENCH_HEADERS ?? 100_000);
const BATCH = Number(process.env.SYNC_BATCH_SIZE ?? 2_000);
const SCHEMA = 'header_watcher';

const cpus = os.cpus();
console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`);

let t = performance.now();
const chain = mineHeaders(REGTEST, genesisParent(), COUNT);
console.log(`mined ${COUNT.toLocaleString('en-US')} regtest headers in memory in ${((performance.now() - t) / 1000).toFixed(1)} s (not measured below)`);

const db = await createTestDatabase();
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
try {
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
  const store = new PostgresHeaderStore({ pool, schema: SCHEMA, network: 'regtest', transaction: (fn) => withTransaction(pool, fn) });
  const source = new MemoryHeaderSource('memory').setChain(chain);
  const sync = await HeaderSync.open({ network: 'regtest', store, sources: [source], batchSize: BATCH, concurrency: 16 });

  t = performance.now();
  const round = await sync.syncOnce();
  const seconds = (performance.now() - t) / 1000;
  if (round.accepted !== COUNT || sync.tip.height !== COUNT) throw new Error(`synced ${round.accepted}, tip ${sync.tip.height}`);
  const counts = await pool.query<{ headers: number; events: number }>(
    `SELECT (SELECT count(*)::int FROM ${SCHEMA}.header) AS headers, (SELECT count(*)::int FROM ${SCHEMA}.outbox) AS events`,
  );
  console.log(`stored ${counts.rows[0]!.headers.toLocaleString('en-US')} headers and ${counts.rows[0]!.events.toLocaleString('en-US')} outbox events, batch ${BATCH}`);
  console.log(`sync into Postgres: ${Math.round(COUNT / seconds).toLocaleString('en-US')} headers/s (${COUNT.toLocaleString('en-US')} in ${seconds.toFixed(2)} s)`);

  // Restart cost: rebuilding the in-memory chain from the stored root and best-chain headers.
  t = performance.now();
  const restarted = await HeaderSync.open({ network: 'regtest', store, sources: [source] });
  console.log(`restart (load + rebuild ${restarted.tip.height - restarted.status().root.height} headers above the stored root): ${((performance.now() - t) / 1000).toFixed(2)} s`);
} finally {
  await pool.end();
  await db.drop();
}
