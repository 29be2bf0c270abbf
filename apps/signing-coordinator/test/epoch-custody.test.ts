// Custody per epoch on a real Postgres (issue 11 rotation): each stake.epoch.started is decided once with its inbox
// claim (a redelivery records nothing), an unchanged set carries the custody, a changed set or threshold makes a
// DKG due, and migration-final statuses feed the unbonding rule (custodySettledFor).
import path from 'node:path';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { custodySettledFor } from '@tapbridge/signing';
import { createTestDatabase, repoRoot, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpochCustodyStore, type EpochStarted } from '../src/epoch-custody.js';
import { PrismaClient } from '../src/generated/prisma/client.js';

const SCHEMA = 'signing_coordinator';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let store: EpochCustodyStore;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.join(repoRoot, 'apps/signing-coordinator/prisma/migrations') });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  store = new EpochCustodyStore({ prisma, schema: SCHEMA });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const member = (i: number) => ({ address: `0x${i.toString(16).padStart(40, '0')}`, hostPubkey: `02${i.toString(16).padStart(64, '0')}`, selfBond: '1', delegated: '0', stake: '1' });
/** Members first..first+n-1 (rank order). */
const started = (epoch: number, n: number, threshold: number, first = 1): EpochStarted => ({
  epoch,
  startHeight: 100 + epoch * 10,
  startHash: 'ab'.repeat(32),
  threshold,
  totalStake: String(n),
  members: Array.from({ length: n }, (_, i) => member(first + i)),
});

describe('custody per epoch', () => {
  it('decides each epoch once: DKG for the first and for 5 -> 7 signers, carry for the same set, nothing on redelivery', async () => {
    expect(await store.onEpochStarted(started(0, 5, 3), 'stake.epoch.started:0')).toMatchObject({ action: 'dkg', epoch: 0, t: 3 });
    // Redelivery (same event id) and a replay under another id both change nothing.
    expect(await store.onEpochStarted(started(0, 5, 3), 'stake.epoch.started:0')).toBeNull();
    expect(await store.onEpochStarted(started(0, 5, 3), 'replayed')).toEqual({ action: 'ignore', reason: 'epoch 0 is already recorded' });
    expect(await store.current()).toBeUndefined();
    await store.completeDkg(0, 'aa'.repeat(32));
    await store.completeDkg(0, 'aa'.repeat(32)); // a retried completion is a no-op
    await expect(store.completeDkg(0, 'bb'.repeat(32))).rejects.toThrow(/already has group key/);
    expect(await store.onEpochStarted(started(1, 5, 3), 'stake.epoch.started:1')).toMatchObject({ action: 'carry', from: 0, groupKey: 'aa'.repeat(32) });
    expect((await store.current())?.epoch).toBe(1);
    // Signers 1 and 2 leave, 6..9 join: 3..9, t = 5.
    expect(await store.onEpochStarted(started(2, 7, 5, 3), 'stake.epoch.started:2')).toMatchObject({ action: 'dkg', epoch: 2, t: 5, previous: 1 });
    // Until the 5-of-7 DKG completes, custody stays with the old key.
    expect(await store.current()).toMatchObject({ epoch: 1, groupKey: 'aa'.repeat(32) });
    await store.completeDkg(2, 'cc'.repeat(32));
    expect(await store.current()).toMatchObject({ epoch: 2, groupKey: 'cc'.repeat(32), t: 5 });
    expect(await prisma.custodyEpoch.count()).toBe(3);
  });

  it('an old signer is settled only after the migration into the new custody is final', async () => {
    const leaving = member(1).address; // in epochs 0 and 1 only
    const both = member(3).address; // in the new set too
    let statuses = await store.statuses();
    expect(statuses.map((s) => s.epoch)).toEqual([0, 2]);
    expect(custodySettledFor(leaving, statuses)).toBe(false);
    await store.recordMigration(2, 'dd'.repeat(32), null);
    expect(custodySettledFor(leaving, await store.statuses())).toBe(false);
    await store.recordMigration(2, 'dd'.repeat(32), 130);
    statuses = await store.statuses();
    expect(statuses.find((s) => s.epoch === 0)?.migratedFinal).toBe(true);
    expect(custodySettledFor(leaving, statuses)).toBe(true);
    // Signer 3 is in the new set too: it holds a share of the key in use.
    expect(custodySettledFor(both, statuses)).toBe(false);
  });
});
