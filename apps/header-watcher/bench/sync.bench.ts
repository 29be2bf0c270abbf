// End-to-end header sync into Postgres. A 100,000-block devnet chain (packages/devnet-chain, mined in-process)
// is synced by HeaderSync (every header through HeaderChain's rules) into the watcher's PostgresHeaderStore
// (header rows + btc.header.connected outbox rows, one transaction per batch):
//   1. the first 2,000 over the devnet's Bitcoin Core JSON-RPC (HTTP, same process, cookie auth): what a
//      one-request-per-call RPC source allows on this machine;
//   2. all 100,000, their 80-byte headers copied out of the devnet chain (then closed, so its heap does not weigh on
//      the measurement) and served from memory: the watcher's own cost, validation and Postgres.
// Needs Postgres on 127.0.0.1:5432 (TEST_DATABASE_URL to override). Prints the machine and headers per second.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BitcoinCoreRpcSource } from '@tapbridge/chain-source';
import { migrate, createTestDatabase } from '@tapbridge/db';
import { startDevnetChain } from '@tapbridge/devnet-chain';
import { HeaderSync, type HeaderSource } from '@tapbridge/light-client';
import { MemoryHeaderSource } from '@tapbridge/light-client/testing';
import { withTransaction } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { PostgresHeaderStore } from '../src/header-store.js';

const COUNT = Number(process.env.BENCH_HEADERS ?? 100_000);
const RPC_COUNT = Math.min(COUNT, Number(process.env.BENCH_RPC_HEADERS ?? 2_000));
const BATCH = Number(process.env.SYNC_BATCH_SIZE ?? 2_000);
const SCHEMA = 'header_watcher';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const cpus = os.cpus();
console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.arch()}, load ${os.loadavg()[0]!.toFixed(1)}`);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-hw-bench-'));
const chain = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, logger: createLogger('devnet-chain', { level: 'silent' }) });
const t = performance.now();
const address = chain.node.getNewAddress('bech32');
// Block times may run at most 2 h ahead of the chain's clock: mine on a mock clock that starts in the past and
// advances as fast as the blocks' timestamps do (still behind the watcher's real clock).
let mockTime = Math.floor(Date.now() / 1000) - 2 * 86_400;
for (let mined = 0; mined < COUNT; mined += 1_000) {
  chain.node.setMockTime(mockTime);
  mockTime += 1_000;
  chain.node.generateToAddress(Math.min(1_000, COUNT - mined), address);
}
console.log(`mined a ${fmt(COUNT)}-block devnet chain in ${((performance.now() - t) / 1000).toFixed(1)} s (not measured below)`);

async function syncInto(source: HeaderSource, expectHeight: number): Promise<{ rate: number; seconds: number; events: number }> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', (err) => console.error(`idle Postgres client failed: ${err.message}`));
  try {
    await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
    const store = new PostgresHeaderStore({ pool, schema: SCHEMA, network: 'regtest', transaction: (fn) => withTransaction(pool, fn) });
    const sync = await HeaderSync.open({ network: 'regtest', store, sources: [source], batchSize: BATCH, concurrency: 16 });
    const start = performance.now();
    const cpu = process.cpuUsage();
    while (sync.tip.height < expectHeight) if ((await sync.syncOnce()).accepted === 0) throw new Error(`stuck at ${sync.tip.height}`);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    // On a shared machine wall time depends on the load; this process's CPU per header does much less.
    console.log(`  (this process: ${((used.user + used.system) / expectHeight).toFixed(1)} µs CPU per header)`);
    const events = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`)).rows[0]!.n;
    if (events !== expectHeight + 1) throw new Error(`expected ${expectHeight + 1} events, found ${events}`);
    return { rate: expectHeight / seconds, seconds, events };
  } finally {
    await pool.end();
    await db.drop();
  }
}

try {
  // Over HTTP the source is the limit; take the first RPC_COUNT headers so the run stays short.
  const rpc = new BitcoinCoreRpcSource({ url: chain.rpcUrl, auth: { cookieFile: chain.cookieFile }, name: 'devnet-rpc' });
  const capped: HeaderSource = { ...bind(rpc), getTip: async () => ({ height: RPC_COUNT, hash: chain.node.getBlockHash(RPC_COUNT) }) };
  const overRpc = await syncInto(capped, RPC_COUNT);
  console.log(`sync ${fmt(RPC_COUNT)} headers over the devnet's Core JSON-RPC (getblockhash + getblockheader, 16 in flight): ${fmt(overRpc.rate)} headers/s (${overRpc.seconds.toFixed(2)} s)`);

  const headers = Array.from({ length: COUNT }, (_, i) => chain.node.getEntry(chain.node.getBlockHash(i + 1)).block.headerBytes.slice());
  await chain.close();
  const direct = await syncInto(new MemoryHeaderSource('devnet-headers').setChain(headers), COUNT);
  console.log(`sync ${fmt(COUNT)} devnet headers into Postgres (headers + ${fmt(direct.events)} events, batch ${BATCH}): ${fmt(direct.rate)} headers/s (${direct.seconds.toFixed(2)} s)`);
} finally {
  await chain.close().catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function bind(source: HeaderSource): HeaderSource {
  return { name: source.name, getTip: () => source.getTip(), getBlockHash: (h) => source.getBlockHash(h), getHeader: (h) => source.getHeader(h) };
}
