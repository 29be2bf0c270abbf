// End-to-end header sync into Postgres. A 100,000-block devnet chain (packages/devnet-chain, mined in-process)
// is synced by HeaderSync (every header through HeaderChain's rules) into the watcher's PostgresHeaderStore
// (header rows + btc.header.connected outbox rows, one transaction per batch):
//   1. all 100,000 headers read straight from the DevnetChain object: the watcher's own cost;
//   2. the first 10,000 again over the devnet's Bitcoin Core JSON-RPC (HTTP, same process, cookie auth): what a
//      one-request-per-call RPC source allows on this machine.
// Needs Postgres on 127.0.0.1:5432 (TEST_DATABASE_URL to override). Prints the machine and headers per second.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BitcoinCoreRpcSource } from '@tapbridge/chain-source';
import { migrate, createTestDatabase } from '@tapbridge/db';
import { startDevnetChain, type DevnetChain } from '@tapbridge/devnet-chain';
import { HeaderSync, type HeaderSource } from '@tapbridge/light-client';
import { withTransaction } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { PostgresHeaderStore } from '../src/header-store.js';

const COUNT = Number(process.env.BENCH_HEADERS ?? 100_000);
const RPC_COUNT = Math.min(COUNT, Number(process.env.BENCH_RPC_HEADERS ?? 10_000));
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

/** The devnet chain's own block index as a HeaderSource: no transport, so the watcher's cost is what is measured. */
function directSource(node: DevnetChain): HeaderSource {
  return {
    name: 'devnet-direct',
    getTip: async () => ({ height: node.tip.height, hash: node.tip.hash }),
    getBlockHash: async (height) => node.getBlockHash(height),
    getHeader: async (hash) => node.getEntry(hash).block.headerBytes,
  };
}

async function syncInto(source: HeaderSource, expectHeight: number): Promise<{ rate: number; seconds: number; events: number }> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', (err) => console.error(`idle Postgres client failed: ${err.message}`));
  try {
    await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
    const store = new PostgresHeaderStore({ pool, schema: SCHEMA, network: 'regtest', transaction: (fn) => withTransaction(pool, fn) });
    const sync = await HeaderSync.open({ network: 'regtest', store, sources: [source], batchSize: BATCH, concurrency: 16 });
    const start = performance.now();
    while (sync.tip.height < expectHeight) if ((await sync.syncOnce()).accepted === 0) throw new Error(`stuck at ${sync.tip.height}`);
    const seconds = (performance.now() - start) / 1000;
    const events = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`)).rows[0]!.n;
    if (events !== expectHeight + 1) throw new Error(`expected ${expectHeight + 1} events, found ${events}`);
    return { rate: expectHeight / seconds, seconds, events };
  } finally {
    await pool.end();
    await db.drop();
  }
}

try {
  const direct = await syncInto(directSource(chain.node), COUNT);
  console.log(`sync ${fmt(COUNT)} devnet headers into Postgres (headers + ${fmt(direct.events)} events, batch ${BATCH}): ${fmt(direct.rate)} headers/s (${direct.seconds.toFixed(2)} s)`);

  // Over HTTP the source is the limit; take the first RPC_COUNT headers so the run stays short.
  const rpc = new BitcoinCoreRpcSource({ url: chain.rpcUrl, auth: { cookieFile: chain.cookieFile }, name: 'devnet-rpc' });
  const capped: HeaderSource = { ...bind(rpc), getTip: async () => ({ height: RPC_COUNT, hash: chain.node.getBlockHash(RPC_COUNT) }) };
  const overRpc = await syncInto(capped, RPC_COUNT);
  console.log(`sync ${fmt(RPC_COUNT)} headers over the devnet's Core JSON-RPC (getblockhash + getblockheader, 16 in flight): ${fmt(overRpc.rate)} headers/s (${overRpc.seconds.toFixed(2)} s)`);
} finally {
  await chain.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function bind(source: HeaderSource): HeaderSource {
  return { name: source.name, getTip: () => source.getTip(), getBlockHash: (h) => source.getBlockHash(h), getHeader: (h) => source.getHeader(h) };
}
