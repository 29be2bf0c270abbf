// PostgresHeaderStore under the real sync loop (in-memory sources, real Postgres): atomic batches with their
// outbox rows, reorg order, restart from the stored root, and a failed transaction leaving nothing behind.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGTEST, headerHashHex } from '@tapbridge/bitcoin';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { HeaderSync } from '@tapbridge/light-client';
import { MemoryHeaderSource, genesisParent, mineHeaders, parentOf } from '@tapbridge/light-client/testing';
import { withTransaction } from '@tapbridge/messaging';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { HeaderQueries } from '../src/header-queries.js';
import { PostgresHeaderStore } from '../src/header-store.js';

const SCHEMA = 'header_watcher';
const migrationsDir = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.resolve(migrationsDir) });
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

async function reset(): Promise<void> {
  await pool.query(`TRUNCATE ${SCHEMA}.header, ${SCHEMA}.outbox, ${SCHEMA}.chain_root`);
}

function store(failOn?: { calls: number }): PostgresHeaderStore {
  return new PostgresHeaderStore({
    pool,
    schema: SCHEMA,
    network: 'regtest',
    transaction: (fn) =>
      withTransaction(pool, async (tx) => {
        const r = await fn(tx);
        // Fail after every statement ran: the rollback must take all of them back.
        if (failOn && --failOn.calls === 0) throw new Error('commit refused');
        return r;
      }),
  });
}

async function bestChain(): Promise<string[]> {
  const r = await pool.query<{ hash: string; height: number }>(`SELECT hash, height FROM ${SCHEMA}.header WHERE in_best ORDER BY height`);
  r.rows.forEach((row, i) => expect(row.height).toBe(i));
  return r.rows.map((row) => row.hash);
}

async function outbox(): Promise<Array<{ event_id: string; subject: string; height: number; hash: string; reorg: string | null }>> {
  const r = await pool.query(
    `SELECT event_id, subject, (payload->>'height')::int AS height, payload->>'hash' AS hash, payload->>'reorgId' AS reorg FROM ${SCHEMA}.outbox ORDER BY seq`,
  );
  return r.rows;
}

const open = (s: PostgresHeaderStore, sources: MemoryHeaderSource[], extra: { retainDepth?: number } = {}) =>
  HeaderSync.open({ network: 'regtest', store: s, sources, batchSize: 100, ...extra });

describe('PostgresHeaderStore', () => {
  it('stores each batch with its events, in chain order, and resumes after a restart from the stored root', async () => {
    await reset();
    const chain = mineHeaders(REGTEST, genesisParent(), 450);
    const source = new MemoryHeaderSource('a').setChain(chain.slice(0, 250));
    await (await open(store(), [source], { retainDepth: 100 })).syncOnce();
    source.setChain(chain);
    const resumed = await open(store(), [source], { retainDepth: 100 });
    expect(resumed.tip.height).toBe(250);
    expect(resumed.status().root.height).toBeGreaterThan(100);
    await resumed.syncOnce();

    const expected = [REGTEST.genesisHash, ...chain.map(headerHashHex)];
    expect(await bestChain()).toEqual(expected);
    const events = await outbox();
    expect(events.map((e) => e.event_id)).toEqual(expected.map((h) => `btc.header.connected:${h}:initial`));
    const root = await pool.query(`SELECT origin_height, origin_hash, height FROM ${SCHEMA}.chain_root`);
    expect(root.rows[0]).toMatchObject({ origin_height: 0, origin_hash: REGTEST.genesisHash });
    expect(root.rows[0].height).toBeGreaterThan(300);
  });

  it('writes a reorg as flag flips plus disconnect-then-connect events, and keeps the old branch', async () => {
    await reset();
    const chain = mineHeaders(REGTEST, genesisParent(), 40);
    const source = new MemoryHeaderSource('a').setChain(chain);
    const sync = await open(store(), [source]);
    await sync.syncOnce();
    const branch = mineHeaders(REGTEST, parentOf(chain[29]!), 12, { salt: 4 }); // heights 31…42
    source.reorgTo(30, branch);
    await sync.syncOnce();

    expect(await bestChain()).toEqual([REGTEST.genesisHash, ...chain.slice(0, 30).map(headerHashHex), ...branch.map(headerHashHex)]);
    const events = (await outbox()).slice(41);
    expect(events.map((e) => `${e.subject.slice(11)}@${e.height}`)).toEqual([
      ...[40, 39, 38, 37, 36, 35, 34, 33, 32, 31].map((h) => `disconnected@${h}`),
      ...[31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42].map((h) => `connected@${h}`),
    ]);
    const stale = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.header WHERE NOT in_best`);
    expect(stale.rows[0].n).toBe(10);
  });

  it('leaves nothing behind when the transaction fails, and the retry stores the same headers and event ids', async () => {
    await reset();
    const chain = mineHeaders(REGTEST, genesisParent(), 150);
    const source = new MemoryHeaderSource('a').setChain(chain);
    // The first update (the genesis root) commits; the second (headers 1…100) is rolled back.
    const failing = store({ calls: 2 });
    const sync = await open(failing, [source]);
    await expect(sync.syncOnce()).rejects.toThrow('commit refused');
    expect(await bestChain()).toEqual([REGTEST.genesisHash]);
    expect(await outbox()).toHaveLength(1);
    await sync.syncOnce();
    expect(await bestChain()).toEqual([REGTEST.genesisHash, ...chain.map(headerHashHex)]);
    const ids = (await outbox()).map((e) => e.event_id);
    expect(new Set(ids).size).toBe(151);
  });

  it('lists fork tips with where each branch leaves the best chain, branches of branches included', async () => {
    await reset();
    const chain = mineHeaders(REGTEST, genesisParent(), 30);
    const branchB = mineHeaders(REGTEST, parentOf(chain[19]!), 5, { salt: 1 }); // 21…25 off the best chain at 20
    const branchC = mineHeaders(REGTEST, parentOf(branchB[1]!), 2, { salt: 2 }); // 23…24 off branch B at 22
    const a = new MemoryHeaderSource('a').setChain(chain);
    const b = new MemoryHeaderSource('b').setChain([...chain.slice(0, 20), ...branchB]);
    const c = new MemoryHeaderSource('c').setChain([...chain.slice(0, 20), ...branchB.slice(0, 2), ...branchC]);
    const sync = await open(store(), [a, b, c]);
    await sync.syncOnce();
    const forks = await new HeaderQueries(prisma).forkTips();
    expect(forks).toEqual([
      { height: 25, hash: headerHashHex(branchB[4]!), chainwork: (26n * 2n).toString(16).padStart(64, '0'), forkHeight: 20, branchLength: 5 },
      { height: 24, hash: headerHashHex(branchC[1]!), chainwork: (25n * 2n).toString(16).padStart(64, '0'), forkHeight: 20, branchLength: 4 },
    ]);
    expect(await bestChain()).toEqual([REGTEST.genesisHash, ...chain.map(headerHashHex)]);
  });

  it('refuses a database synced on another network', async () => {
    await reset();
    await open(store(), [new MemoryHeaderSource('a')]);
    const mainnet = new PostgresHeaderStore({ pool, schema: SCHEMA, network: 'mainnet', transaction: (fn) => withTransaction(pool, fn) });
    await expect(mainnet.load()).rejects.toThrow(/holds regtest headers but BITCOIN_NETWORK is mainnet/);
  });
});
