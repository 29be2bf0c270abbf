// Header sync into Postgres from the sources operators run. A 100,000-block devnet chain (packages/devnet-chain,
// mined here, then served by the devnet in its own process as a bitcoind would be: real HTTP on 127.0.0.1) is synced by HeaderSync (every header through
// HeaderChain's rules) into the watcher's PostgresHeaderStore (header rows + btc.header.connected outbox rows, one
// transaction per batch). Each line prints the 1-minute load average at the time it was measured, and each of our
// numbers sits beside a reference measured in the same run:
//   Core RPC   sync over batched JSON-RPC (getblockhash ×500, then getblockheader <hash> false ×500 per POST, 4 POSTs
//              in flight, next batch prefetched)  vs  the same batches fetched alone (the server's rate, no watcher)
//              and the old path (2 single calls per header, 16 in flight) on the first 2,000 headers;
//   Esplora    sync over GET /blocks/:start_height (10 headers each, 8 in flight)  vs  the same pages fetched alone;
//   Postgres   sync from headers held in memory (validation + store), and the store's apply alone on batches built
//              beforehand  vs  plain unnest INSERTs of the same rows and outbox JSON into bare tables without
//              indexes (what Postgres itself allows here).
//
// Where the time went (node --cpu-prof and per-statement timing, 2026-12-03, 2 shared cores):
//   before: 2 HTTP requests per header over fetch (undici: ~0.8 ms of client CPU per request, 785 µs CPU/header on
//   the old path even with the server in another process); per batch, the catalog's zod schema re-run on every
//   outbox payload (~15 µs/header), text[] parameters escaped element by element by pg (~10 µs/header), and the
//   header hashed three times (source check, fetch check, HeaderChain).
//   now: 2 POSTs per 500 headers (Core) or 1 GET per 10 (Esplora) over keep-alive node:http; the store sends
//   fixed-width columns as one hex string each and skips the zod re-validation (8 µs CPU/header for apply in this
//   process). What remains is in Postgres: of apply's wall time about 60% is the outbox INSERT (jsonb of the whole
//   batch parsed, then three indexes: seq, event_id, unpublished) and 40% the header INSERT (hash primary key and
//   best-height index, random-order keys); HeaderChain.add is ~15-30 µs/header of this process's CPU.
//   session 5 (issue 14, not changed yet): the outbox INSERT's form is not where its time goes. 2,000
//   btc.header.connected rows into an outbox-shaped table already holding 2,000, 5 interleaved rounds at load 16-17:
//   jsonb_array_elements (today) median 218 ms, json_to_recordset 281 ms, unnest of text[] 183 ms, each spread
//   ~100-430 ms, no consistent winner. COPY of the same rows (psql \copy, load 28-30) took a median 256 ms against
//   494 ms for the INSERT in 5 of 6 rounds (that INSERT carried its JSON as a SQL literal, not a bind parameter, so
//   the gap is overstated), but COPY has no ON CONFLICT (event_id) DO NOTHING, which every outbox write keeps (an
//   event written twice is stored once): it would go through a temporary table and an INSERT … SELECT … ON
//   CONFLICT, which keeps the index work, and needs a COPY client (pg-copy-streams, not a dependency yet). The
//   same 2,000-row INSERT (bind parameter, as apply sends it) at load 37, median of 5: outbox table 329 ms, the same
//   table without its three indexes 215 ms, payload as text instead of jsonb 338 ms: the indexes are about a third,
//   jsonb parsing nothing measurable, the rest is the heap and WAL write itself. The
//   relay that publishes these events afterwards is now pipelined (pnpm bench outbox: 2-4x sooner per 1,000 events).
// "CPU/header in this process" is the watcher side only (sync loop, validation, pg client), not the server's.
// Needs Postgres on 127.0.0.1:5432 (TEST_DATABASE_URL to override).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { HeaderChain, bytesToHex, headerHashHex } from '@tapbridge/bitcoin';
import { BitcoinCoreRpcSource, EsploraSource } from '@tapbridge/chain-source';
import { migrate, createTestDatabase } from '@tapbridge/db';
import { startDevnetChain } from '@tapbridge/devnet-chain';
import { ChainUpdateBuilder, HeaderSync, type HeaderSource } from '@tapbridge/light-client';
import { MemoryHeaderSource } from '@tapbridge/light-client/testing';
import { withTransaction } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { freePort, waitForPort } from '@tapbridge/testing';
import { PostgresHeaderStore } from '../src/header-store.js';

const COUNT = Number(process.env.BENCH_HEADERS ?? 100_000);
const OLD_PATH_COUNT = Math.min(COUNT, Number(process.env.BENCH_RPC_HEADERS ?? 2_000));
const BATCH = Number(process.env.SYNC_BATCH_SIZE ?? 2_000);
const SCHEMA = 'header_watcher';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => `load ${os.loadavg()[0]!.toFixed(1)}`;

const cpus = os.cpus();
console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.arch()}, ${load()}`);

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
const headers = Array.from({ length: COUNT }, (_, i) => chain.node.getEntry(chain.node.getBlockHash(i + 1)).block.headerBytes.slice());
const tipHash = chain.node.tip.hash;
await chain.close();

// The same chain served by a devnet-chain process of its own (it reopens the data dir), so the server's CPU is not
// this process's.
const [rpcPort, esploraPort] = [await freePort(), await freePort()];
const server: ChildProcess = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('../../../packages/devnet-chain/src/main.ts', import.meta.url))], {
  env: { ...process.env, DEVNET_DATA_DIR: dataDir, DEVNET_RPC_PORT: String(rpcPort), DEVNET_ESPLORA_PORT: String(esploraPort), DEVNET_RPC_USER: 'bench', DEVNET_RPC_PASSWORD: 'bench' },
  stdio: 'ignore',
});
const t2 = performance.now();
await waitForPort(esploraPort, 600_000);
console.log(`devnet-chain process serving it after ${((performance.now() - t2) / 1000).toFixed(1)} s (reopen, not measured below)`);

interface SyncRun {
  rate: number;
  seconds: number;
  cpuPerHeader: number;
  load: string;
}

async function syncInto(source: HeaderSource, expectHeight: number): Promise<SyncRun> {
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
    const events = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`)).rows[0]!.n;
    const rows = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.header WHERE in_best`)).rows[0]!.n;
    if (events !== expectHeight + 1 || rows !== expectHeight + 1) throw new Error(`expected ${expectHeight + 1} headers and events, found ${rows} and ${events}`);
    return { rate: expectHeight / seconds, seconds, cpuPerHeader: (used.user + used.system) / expectHeight, load: load() };
  } finally {
    await pool.end();
    await db.drop();
  }
}

/** Times `fn` (which handles `count` headers); the rate with the load at the end. */
async function timed(count: number, fn: () => Promise<unknown>): Promise<{ rate: number; seconds: number; load: string }> {
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  return { rate: count / seconds, seconds, load: load() };
}

const line = (what: string, r: { rate: number; seconds: number; load: string; cpuPerHeader?: number }) =>
  console.log(`  ${what}: ${fmt(r.rate)} headers/s (${r.seconds.toFixed(2)} s${r.cpuPerHeader === undefined ? '' : `, ${r.cpuPerHeader.toFixed(1)} µs CPU/header in this process`}, ${r.load})`);

/** Only the first `height` headers: the devnet's tip claim capped. */
function capped(source: HeaderSource, height: number): HeaderSource {
  const hash = height === 0 ? '' : headerHashHex(headers[height - 1]!);
  return { name: source.name, getTip: async () => ({ height, hash }), getBlockHash: (h) => source.getBlockHash(h), getHeader: (h) => source.getHeader(h) };
}

try {
  const rpc = new BitcoinCoreRpcSource({ url: `http://127.0.0.1:${rpcPort}`, auth: { user: 'bench', password: 'bench' }, name: 'devnet-rpc' });
  const esplora = new EsploraSource({ url: `http://127.0.0.1:${esploraPort}`, name: 'devnet-esplora' });
  if ((await rpc.getTip()).hash !== tipHash) throw new Error('the devnet process serves another tip');

  console.log(`\nCore JSON-RPC, ${fmt(COUNT)} headers:`);
  line('reference, the server alone: getHeaderRange over all heights, nothing validated or stored', await timed(COUNT, () => rpc.getHeaderRange(1, COUNT)));
  const old = await syncInto(capped(rpc, OLD_PATH_COUNT), OLD_PATH_COUNT);
  line(`before: sync ${fmt(OLD_PATH_COUNT)} headers with 2 single calls each (getblockhash, getblockheader; 16 in flight)`, old);
  const overRpc = await syncInto(rpc, COUNT);
  line('ours: sync into Postgres over batched, pipelined JSON-RPC', overRpc);

  console.log(`\nEsplora REST, ${fmt(COUNT)} headers:`);
  line('reference, the server alone: getHeaderRange (GET /blocks/:start_height pages), nothing validated or stored', await timed(COUNT, () => esplora.getHeaderRange(1, COUNT)));
  const overEsplora = await syncInto(esplora, COUNT);
  line('ours: sync into Postgres over /blocks/:start_height', overEsplora);

  server.kill('SIGTERM');

  console.log(`\nPostgres, ${fmt(COUNT)} headers (devnet process stopped, headers served from memory):`);
  line('reference, Postgres alone: the same rows and outbox JSON by plain INSERT … unnest into bare tables, one transaction per batch', await rawInsert(headers));
  const memory = new MemoryHeaderSource('devnet-headers').setChain(headers);
  const bulk: HeaderSource = { ...capped(memory, COUNT), getTip: () => memory.getTip(), getHeaderRange: async (from, count) => headers.slice(from - 1, from - 1 + count) };
  line('ours: sync into Postgres (HeaderChain validation + PostgresHeaderStore)', await syncInto(bulk, COUNT));
  line('ours, the store alone: PostgresHeaderStore.apply of the same batches, validated and built beforehand', await storeAlone(headers));
} finally {
  if (server.exitCode === null) server.kill('SIGTERM');
  await new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** Postgres's own rate for the same volume: header columns and outbox payloads, no watcher code, no indexes. */
async function rawInsert(raws: Uint8Array[]): Promise<{ rate: number; seconds: number; load: string }> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await pool.query(`CREATE TABLE h (hash text, height int, prev_hash text, raw bytea, chainwork text, in_best bool);
                      CREATE TABLE o (event_id text, subject text, version int, payload jsonb)`);
    const rows = raws.map((raw, i) => {
      const hex = bytesToHex(raw);
      return { hash: hex.slice(0, 64), height: i + 1, prev: hex.slice(8, 72), hex, work: (i + 1).toString(16).padStart(64, '0') };
    });
    return await timed(raws.length, async () => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const b = rows.slice(i, i + BATCH);
        const events = JSON.stringify(b.map((r) => ({ event_id: `btc.header.connected:${r.hash}:initial`, subject: 'btc.header.connected', version: 1, payload: { height: r.height, hash: r.hash, prevHash: r.prev, header: r.hex, chainwork: r.work, network: 'regtest' } })));
        await withTransaction(pool, async (tx) => {
          await tx.query(`INSERT INTO h SELECT h, ht, p, decode(r, 'hex'), w, true FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) AS t(h, ht, p, r, w)`,
            [b.map((r) => r.hash), b.map((r) => r.height), b.map((r) => r.prev), b.map((r) => r.hex), b.map((r) => r.work)]);
          await tx.query(`INSERT INTO o SELECT r->>'event_id', r->>'subject', (r->>'version')::int, r->'payload' FROM jsonb_array_elements($1::jsonb) AS t(r)`, [events]);
        });
      }
    });
  } finally {
    await pool.end();
    await db.drop();
  }
}

/** PostgresHeaderStore.apply alone: the updates (rows + events) are built by a HeaderChain before the clock starts. */
async function storeAlone(raws: Uint8Array[]): Promise<{ rate: number; seconds: number; load: string; cpuPerHeader: number }> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
    const store = new PostgresHeaderStore({ pool, schema: SCHEMA, network: 'regtest', transaction: (fn) => withTransaction(pool, fn) });
    const chain = new HeaderChain('regtest');
    const first = new ChainUpdateBuilder('regtest');
    first.addRoot(chain.root);
    const updates = [first.build(chain.root, { root: chain.checkpointAt(0), origin: { height: 0, hash: chain.root.hash } })];
    for (let i = 0; i < raws.length; i += BATCH) {
      const b = new ChainUpdateBuilder('regtest');
      for (const raw of raws.slice(i, i + BATCH)) b.add(chain.add(raw));
      updates.push(b.build(chain.tip));
    }
    const cpu = process.cpuUsage();
    const r = await timed(raws.length, async () => {
      for (const u of updates) await store.apply(u);
    });
    const used = process.cpuUsage(cpu);
    return { ...r, cpuPerHeader: (used.user + used.system) / raws.length };
  } finally {
    await pool.end();
    await db.drop();
  }
}
