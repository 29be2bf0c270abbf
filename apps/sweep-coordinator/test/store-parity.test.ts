// PostgresSweepStore against the in-memory store (real Postgres): the same scenario through every writing rule
// leaves the same records and the same events in both; the inbox claim applies an event once; a failed transaction
// leaves nothing behind.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { applyWithdrawalRequested, InMemorySweepStore } from '@tapbridge/sweeps';
import { runScenario, snapshot, withdrawal } from '@tapbridge/sweeps/testing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { DuplicateEventError, PostgresSweepStore } from '../src/store/postgres-store.js';

const SCHEMA = 'sweep_coordinator';
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
  await pool.query(`TRUNCATE ${SCHEMA}.withdrawal, ${SCHEMA}.withdrawal_history, ${SCHEMA}.deposit, ${SCHEMA}.sweep_version, ${SCHEMA}.sweep_family, ${SCHEMA}.halt, ${SCHEMA}.chain_block, ${SCHEMA}.outbox, ${SCHEMA}.inbox`);
}

const postgres = (failAfter?: { calls: number }) =>
  new PostgresSweepStore({
    schema: SCHEMA,
    prisma,
    beforeCommit: () => {
      if (failAfter && --failAfter.calls === 0) throw new Error('commit refused');
    },
  });

describe('PostgresSweepStore', () => {
  it('holds exactly what the in-memory store holds after the same scenario, and the same events', async () => {
    await reset();
    const memory = new InMemorySweepStore();
    const pgStore = postgres();
    await runScenario(memory);
    await runScenario(pgStore);
    const mem = await snapshot(memory);
    expect(await snapshot(pgStore)).toEqual(mem);
    // The scenario reaches every status that matters: paid, a halt, a replaced version.
    expect(JSON.stringify(mem, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toMatch(/"paid".*"replaced"|"replaced".*"paid"/s);
    expect((mem as { halt: unknown }).halt).toBeTruthy();
    const outbox = await pool.query<{ event_id: string; payload: unknown }>(`SELECT event_id, payload FROM ${SCHEMA}.outbox ORDER BY seq`);
    expect(outbox.rows.map((r) => r.event_id)).toEqual(memory.outbox.map((e) => e.id));
    expect(outbox.rows.map((r) => r.payload)).toEqual(memory.outbox.map((e) => e.payload));
    // Withdrawals 1 and 2 (paid again after the reorg: the same events), then 4 (5 dropped out of the RBF version).
    const paid = memory.outbox.filter((e) => e.subject === 'withdrawal.paid');
    expect(paid.map((e) => (e.payload as { withdrawalId: string }).withdrawalId).sort()).toEqual(['1', '2', '4']);
  });

  it('applies an event once under its inbox claim, and a failed transaction leaves nothing', async () => {
    await reset();
    const store = postgres();
    await store.claiming('c', 'withdrawal.requested:7').transaction((tx) => applyWithdrawalRequested(tx, withdrawal(7, 10_000n)));
    await expect(store.claiming('c', 'withdrawal.requested:7').transaction((tx) => applyWithdrawalRequested(tx, withdrawal(7, 99_999n)))).rejects.toThrow(DuplicateEventError);
    expect((await store.transaction((tx) => tx.getWithdrawal(7n)))!.amountSats).toBe(10_000n);
    await expect(postgres({ calls: 1 }).transaction((tx) => applyWithdrawalRequested(tx, withdrawal(8, 10_000n)))).rejects.toThrow('commit refused');
    expect(await store.transaction((tx) => tx.getWithdrawal(8n))).toBeUndefined();
    expect(await store.transaction((tx) => tx.historyOf(8n))).toEqual([]);
  });
});
