// PostgresDepositStore under the deposit rules (real Postgres): the same scenario run on it and on the in-memory
// store must leave the same deposits, history, custody set and events; the inbox claim makes an event apply once;
// a failed transaction leaves nothing behind.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpReturnDepositScript, bytesToHex, encodeTransaction } from '@tapbridge/bitcoin';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { DepositIndexer, InMemoryDepositStore, type DepositRules, type DepositStore } from '@tapbridge/deposits';
import { CUSTODY_SPK, GROUP_KEY, mineBlock, payment, spend, testDeposit, txidOf } from '@tapbridge/deposits/testing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { DepositQueries } from '../src/deposit-queries.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { DuplicateEventError, PostgresDepositStore } from '../src/postgres-store.js';

const SCHEMA = 'deposit_indexer';
const rules: DepositRules = { confirmations: 2, groupKey: GROUP_KEY, custodyScriptPubKey: CUSTODY_SPK, opReturnMaxFeeSats: 1_000n };
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url))) });
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

async function reset(): Promise<void> {
  await pool.query(`TRUNCATE ${SCHEMA}.deposit_history, ${SCHEMA}.sighting, ${SCHEMA}.custody_utxo, ${SCHEMA}.deposit, ${SCHEMA}.chain_block, ${SCHEMA}.outbox, ${SCHEMA}.inbox`);
}

const postgres = (failAfter?: { calls: number }) =>
  new PostgresDepositStore({
    prisma,
    schema: SCHEMA,
    beforeCommit: () => {
      if (failAfter && --failAfter.calls === 0) throw new Error('commit refused');
    },
  });

/** Registrations, a simple-form deposit, a sweep, a reclaim, and a reorg that takes confirmed blocks away. */
function buildScenario(): (store: DepositStore) => Promise<void> {
  const a = testDeposit();
  const b = testDeposit(500n, 20);
  const fundA = payment([{ value: 40_000n, scriptPubKey: a.scriptPubKey }]);
  const fundB = payment([{ value: 9_000n, scriptPubKey: Uint8Array.of(0x51) }, { value: 60_000n, scriptPubKey: b.scriptPubKey }]);
  const simple = payment([{ value: 25_000n, scriptPubKey: CUSTODY_SPK }, { value: 0n, scriptPubKey: buildOpReturnDepositScript({ recipient: '0x' + '34'.repeat(20) }) }]);
  const b1 = mineBlock(undefined, [fundA, simple]);
  const b2 = mineBlock(b1.ref, [fundB]);
  const sweep = spend({ txid: txidOf(fundA), vout: 0 }, [new Uint8Array(64), a.depositLeaf.script, a.depositLeaf.controlBlock]);
  sweep.inputs.push({ prevout: { txid: Uint8Array.from(Buffer.from(txidOf(simple), 'hex').reverse()), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [new Uint8Array(64)] });
  sweep.outputs.push({ value: 64_000n, scriptPubKey: CUSTODY_SPK });
  const reclaim = spend({ txid: txidOf(fundB), vout: 1 }, [new Uint8Array(64), b.reclaimLeaf.script, b.reclaimLeaf.controlBlock], 20);
  const b3 = mineBlock(b2.ref, [sweep, reclaim]);
  const b4 = mineBlock(b3.ref, []);
  const b2b = mineBlock(b1.ref, [fundB], 1);
  return async (store) => {
    const indexer = new DepositIndexer(store, rules);
    const reg = (d: typeof a, tx: typeof fundA, vout: number) =>
      indexer.register({ txid: txidOf(tx), vout, depositScript: bytesToHex(d.depositLeaf.script), reclaimScript: bytesToHex(d.reclaimLeaf.script) }, { rawTx: encodeTransaction(tx) });
    await reg(a, fundA, 0);
    await reg(b, fundB, 1);
    for (const blk of [b1, b2, b3, b4]) await indexer.connectBlock(blk.ref, blk.raw);
    for (const blk of [b4, b3, b2]) await indexer.disconnectBlock(blk.ref);
    await indexer.connectBlock(b2b.ref, b2b.raw);
  };
}

async function postgresState() {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    deposits: await q(`SELECT txid, vout, kind, status, amount_sats::text AS amount, max_fee_sats::text AS max_fee FROM ${SCHEMA}.deposit ORDER BY txid, vout`),
    history: await q(`SELECT txid, vout, status, block_hash FROM ${SCHEMA}.deposit_history ORDER BY seq`),
    custody: await q(`SELECT txid, vout, amount_sats::text AS amount, spent_txid FROM ${SCHEMA}.custody_utxo WHERE spent_block_hash IS NULL ORDER BY txid, vout`),
    events: await q(`SELECT event_id, payload FROM ${SCHEMA}.outbox ORDER BY seq`),
  };
}

function memoryState(store: InMemoryDepositStore, refs: Array<{ txid: string; vout: number }>) {
  const deposits = refs.map((r) => store.deposit(r)!).sort((x, y) => x.txid.localeCompare(y.txid) || x.vout - y.vout);
  return {
    deposits: deposits.map((d) => ({ txid: d.txid, vout: d.vout, kind: d.kind, status: d.status, amount: d.amountSats.toString(), max_fee: d.maxFeeSats.toString() })),
    custody: store
      .unspentCustody()
      .sort((x, y) => x.txid.localeCompare(y.txid) || x.vout - y.vout)
      .map((u) => ({ txid: u.txid, vout: u.vout, amount: u.amountSats.toString(), spent_txid: null })),
    events: store.outbox.map((e) => ({ event_id: e.id, payload: e.payload })),
  };
}

describe('PostgresDepositStore', () => {
  it('leaves the same deposits, custody set and events as the in-memory store after the same blocks and reorg', async () => {
    await reset();
    const scenario = buildScenario();
    await scenario(postgres());
    const memory = new InMemoryDepositStore();
    await scenario(memory);
    const pgState = await postgresState();
    const memState = memoryState(memory, pgState.deposits.map((d) => ({ txid: d.txid as string, vout: d.vout as number })));
    expect(pgState.deposits).toEqual(memState.deposits);
    expect(pgState.custody).toEqual(memState.custody);
    expect(pgState.events).toEqual(memState.events);
    // b1's two deposits and b2's confirm; b3 sweeps one of each kind and reclaims the other; the reorg takes b2 away.
    expect(pgState.events.map((e) => (e.event_id as string).split(':')[0]).sort()).toEqual(
      ['deposit.confirmed', 'deposit.confirmed', 'deposit.confirmed', 'deposit.reclaimed', 'deposit.reorged', 'deposit.swept', 'deposit.swept'],
    );
    const memHistory = pgState.deposits.flatMap((d) => memory.history({ txid: d.txid as string, vout: d.vout as number }));
    expect(pgState.history.length).toBe(memHistory.length);
    // A and the simple-form deposit are confirmed again once their spends are undone; B was reorged and is back in b2b.
    expect(pgState.deposits.map((d) => d.status).sort()).toEqual(['confirmed', 'confirmed', 'seen']);
    expect(pgState.history.map((h) => h.status)).toContain('reorged');
  });

  it('applies an event once: a second transaction with the same claim is refused and changes nothing', async () => {
    await reset();
    const store = postgres();
    const block = mineBlock(undefined, [payment([{ value: 5_000n, scriptPubKey: CUSTODY_SPK }])]);
    const first = new DepositIndexer(store.claiming('c', 'btc.header.connected:x:initial'), rules);
    await first.connectBlock(block.ref, block.raw);
    await new DepositIndexer(store, rules).disconnectBlock(block.ref);
    const again = new DepositIndexer(store.claiming('c', 'btc.header.connected:x:initial'), rules);
    await expect(again.connectBlock(block.ref, block.raw)).rejects.toBeInstanceOf(DuplicateEventError);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.chain_block`)).rows[0].n).toBe(0);
  });

  it('rolls back a block whose transaction fails: no block, sighting, custody output or event remains', async () => {
    await reset();
    const d = testDeposit();
    const fund = payment([{ value: 70_000n, scriptPubKey: d.scriptPubKey }, { value: 3_000n, scriptPubKey: CUSTODY_SPK }]);
    const ok = new DepositIndexer(postgres(), { ...rules, confirmations: 1 });
    await ok.register({ txid: txidOf(fund), vout: 0, depositScript: bytesToHex(d.depositLeaf.script), reclaimScript: bytesToHex(d.reclaimLeaf.script) }, { rawTx: encodeTransaction(fund) });
    const block = mineBlock(undefined, [fund]);
    await expect(new DepositIndexer(postgres({ calls: 1 }), { ...rules, confirmations: 1 }).connectBlock(block.ref, block.raw)).rejects.toThrow('commit refused');
    const state = await postgresState();
    expect(state.custody).toEqual([]);
    expect(state.events).toEqual([]);
    expect(state.deposits.map((x) => x.status)).toEqual(['registered']);
    expect((await ok.connectBlock(block.ref, block.raw)).announced).toBe(1);
  });

  it('pages deposits without loss when many share a timestamp (one transaction) or a millisecond', async () => {
    await reset();
    await postgres().transaction(async (tx) => {
      for (let i = 0; i < 7; i++)
        await tx.insertDeposit({ txid: (i % 3).toString(16).padStart(64, '0'), vout: i, kind: 'op_return', scriptPubKey: '51', amountSats: 1_000n, recipient: '0x' + 'aa'.repeat(20), maxFeeSats: 0n, status: 'seen' });
    });
    await pool.query(`UPDATE ${SCHEMA}.deposit SET created_at = created_at + (vout * interval '1 microsecond')`);
    const queries = new DepositQueries(prisma);
    const seen: string[] = [];
    let cursor: { at: string; txid: string; vout: number } | undefined;
    for (;;) {
      const page = await queries.list({ limit: 3, recipient: '0x' + 'AA'.repeat(20), ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((d) => `${d.txid.slice(-1)}:${d.vout}`));
      if (!page.nextCursor) break;
      const [at, txid, vout] = page.nextCursor.split('|') as [string, string, string];
      cursor = { at, txid, vout: Number(vout) };
    }
    expect(seen).toEqual(['0:6', '2:5', '1:4', '0:3', '2:2', '1:1', '0:0']);
    expect((await queries.list({ limit: 10, status: 'confirmed' })).items).toEqual([]);
  });
});
