// PostgresLedger against the model (packages/stake MemoryLedger) on real Postgres: the same random sequences of
// transactions (balanced or not, overdrawing or not, repeated, or reusing an id with other postings) give the same
// verdict per transaction and the same balances; balances equal the sum of the postings; entries cannot be changed;
// the CHECK refuses a negative internal balance even past the code; concurrent writers in opposite orders finish.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tapbridge/db';
import { LedgerError, MemoryLedger, sourceId, type Asset, type LedgerSource, type LedgerTransaction } from '@tapbridge/stake';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { PostgresLedger } from '../src/ledger/postgres-ledger.js';

const migrationsDir = path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url)));
let db: TestDatabase;
let pool: pg.Pool;
let schemaNo = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** A fresh schema per property run: ledger tables refuse TRUNCATE, by design. */
async function freshLedger(): Promise<PostgresLedger> {
  const schema = `ledger_${++schemaNo}`;
  await migrate({ databaseUrl: db.url, schema, migrationsDir });
  return new PostgresLedger(pool, schema);
}

const ACCOUNTS = ['external:l2_wallets', 'external:fee_income', 'bond:0x01', 'bond:0x02', 'delegation:0x01:0x0a', 'unbonding:1', 'slashed', 'fee_pot', 'reward:0x0a'];
const posting = fc.record({ account: fc.constantFrom(...ACCOUNTS), asset: fc.constantFrom<Asset>('STAKE', 'WEI'), amount: fc.bigInt({ min: -50n, max: 50n }) });

/** Mostly balanced transactions (a posting and its counter-posting), some not; ids from a small pool so they repeat. */
const txArb: fc.Arbitrary<LedgerTransaction> = fc
  .record({
    n: fc.nat({ max: 7 }),
    kind: fc.constantFrom('l2_log', 'evidence', 'reward'),
    legs: fc.array(posting, { minLength: 1, maxLength: 3 }),
    balanced: fc.boolean(),
  })
  .map(({ n, kind, legs, balanced }) => {
    const source: LedgerSource =
      kind === 'l2_log' ? { kind, blockHash: `0x${n.toString(16).padStart(64, '0')}`, logIndex: n } : kind === 'evidence' ? { kind, evidenceId: `ev-${n}` } : { kind, epoch: n };
    const postings = balanced ? legs.flatMap((p) => [p, { account: 'external:l2_wallets', asset: p.asset, amount: -p.amount }]) : legs;
    return { id: sourceId(source), source, postings };
  });

type Verdict = 'applied' | 'duplicate' | 'refused';
const verdict = async (f: () => Verdict | Promise<Verdict>): Promise<Verdict> => {
  try {
    return await f();
  } catch (err) {
    if (err instanceof LedgerError) return 'refused';
    throw err;
  }
};

describe('PostgresLedger', () => {
  it('gives the same verdicts and balances as MemoryLedger for random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(txArb, { minLength: 1, maxLength: 25 }), async (txs) => {
        const memory = new MemoryLedger();
        const postgres = await freshLedger();
        for (const tx of txs) {
          const expected = await verdict(() => memory.post(tx));
          expect(await verdict(() => postgres.post(tx)), tx.id).toBe(expected);
        }
        expect(await postgres.cachedBalances()).toEqual(memory.cachedBalances());
        expect(await postgres.derivedBalances()).toEqual(memory.derivedBalances());
        expect(await postgres.cachedBalances()).toEqual(await postgres.derivedBalances());
        for (const tx of memory.entries) expect(await postgres.has(tx.id)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses to change or delete entries, and the CHECK holds internal balances at >= 0 even for raw SQL', async () => {
    const ledger = await freshLedger();
    const schema = `ledger_${schemaNo}`;
    const source: LedgerSource = { kind: 'l2_log', blockHash: `0x${'ab'.repeat(32)}`, logIndex: 0 };
    await ledger.post({ id: sourceId(source), source, postings: [{ account: 'external:l2_wallets', asset: 'STAKE', amount: -5n }, { account: 'bond:0x01', asset: 'STAKE', amount: 5n }] });
    await expect(pool.query(`UPDATE ${schema}.ledger_posting SET amount = 6 WHERE account = 'bond:0x01'`)).rejects.toThrow(/immutable/);
    await expect(pool.query(`DELETE FROM ${schema}.ledger_tx`)).rejects.toThrow(/immutable/);
    await expect(pool.query(`TRUNCATE ${schema}.ledger_posting, ${schema}.ledger_tx`)).rejects.toThrow(/immutable/);
    await expect(pool.query(`UPDATE ${schema}.ledger_balance SET balance = -1 WHERE account = 'bond:0x01'`)).rejects.toThrow(/internal_balance_non_negative/);
    await pool.query(`UPDATE ${schema}.ledger_balance SET balance = balance - 10 WHERE account = 'external:l2_wallets'`); // external may go below zero
    await expect(pool.query(`INSERT INTO ${schema}.ledger_tx (id, source_kind) VALUES ('x', 'evidence')`)).rejects.toThrow(/ledger_tx_traceable/);
    expect(await ledger.balance('bond:0x01', 'STAKE')).toBe(5n);
  });

  it('lets concurrent writers touching the same accounts in opposite orders all commit (fixed lock order)', async () => {
    const ledger = await freshLedger();
    const a = 'bond:0x01';
    const b = 'bond:0x02';
    const seed = (account: string, i: number): LedgerTransaction => {
      const source: LedgerSource = { kind: 'evidence', evidenceId: `seed-${i}` };
      return { id: sourceId(source), source, postings: [{ account: 'external:l2_wallets', asset: 'STAKE', amount: -1000n }, { account, asset: 'STAKE', amount: 1000n }] };
    };
    await ledger.post(seed(a, 1));
    await ledger.post(seed(b, 2));
    const moves = Array.from({ length: 40 }, (_, i): LedgerTransaction => {
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
      const source: LedgerSource = { kind: 'evidence', evidenceId: `move-${i}` };
      return { id: sourceId(source), source, postings: [{ account: to, asset: 'STAKE', amount: 3n }, { account: from, asset: 'STAKE', amount: -3n }] };
    });
    const results = await Promise.all(moves.map((m) => ledger.post(m)));
    expect(results.every((r) => r === 'applied')).toBe(true);
    expect(await ledger.balance(a, 'STAKE')).toBe(1000n);
    expect(await ledger.balance(b, 'STAKE')).toBe(1000n);
    expect(await ledger.cachedBalances()).toEqual(await ledger.derivedBalances());
  });
});
