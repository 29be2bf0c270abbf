// The Postgres record of approved sweeps answers every query exactly as the in-memory one (the contract the sweep
// policy's unit tests run against), on the real migration.
import { createPrismaClient, migrate } from '@tapbridge/db';
import { MemorySignedSweepStore, type SignedSweep, type SignedSweepStore } from '@tapbridge/signing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PostgresSignedSweepStore } from '../src/signed-sweep-store.js';

const SCHEMA = 'signer'; // the schema the generated client names (a database of its own per test file)
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
}, 60_000);

const t = (n: number) => n.toString(16).padStart(64, '0');
const at = (minutes: number) => new Date(Date.UTC(2026, 11, 3, 12, minutes));
const sweeps: SignedSweep[] = [
  { txid: t(1), spends: `${t(100)}:0`, inputs: [`${t(100)}:0`, `${t(200)}:1`], withdrawalIds: [1n, 2n, 3n], payoutSats: 300_000n, custodyValue: 9_000_000n, signedAt: at(0) },
  { txid: t(2), spends: `${t(100)}:0`, inputs: [`${t(100)}:0`, `${t(200)}:1`], withdrawalIds: [1n, 3n], payoutSats: 200_000n, custodyValue: 9_100_000n, signedAt: at(5) },
  { txid: t(3), spends: `${t(2)}:0`, inputs: [`${t(2)}:0`], withdrawalIds: [(1n << 255n) + 7n], payoutSats: 50_000n, custodyValue: 9_000_000n, signedAt: at(30) },
  { txid: t(4), spends: `${t(300)}:2`, inputs: [`${t(300)}:2`, `${t(301)}:0`], withdrawalIds: [], payoutSats: 0n, custodyValue: 400_000n, signedAt: at(40) },
];

const sorted = (list: SignedSweep[]) => [...list].sort((a, b) => a.signedAt.getTime() - b.signedAt.getTime() || a.txid.localeCompare(b.txid));

describe('PostgresSignedSweepStore', () => {
  it('answers like the in-memory store, keeps the first record of a txid, and round-trips uint256 ids and amounts', async () => {
    const pgStore = new PostgresSignedSweepStore(prisma);
    const memory = new MemorySignedSweepStore();
    const stores: SignedSweepStore[] = [pgStore, memory];
    for (const s of stores) for (const sweep of sweeps) await s.record(sweep);
    // A second record of the same txid changes nothing.
    for (const s of stores) await s.record({ ...sweeps[0]!, withdrawalIds: [9n], payoutSats: 1n });
    const queries: Array<(s: SignedSweepStore) => Promise<SignedSweep[]>> = [
      (s) => s.payingAny([3n]),
      (s) => s.payingAny([(1n << 255n) + 7n, 42n]),
      (s) => s.payingAny([]),
      (s) => s.spendingAny([`${t(200)}:1`]),
      (s) => s.spendingAny([`${t(301)}:0`, `${t(2)}:0`]),
      (s) => s.family(`${t(100)}:0`),
      (s) => s.signedSince(at(5)),
    ];
    for (const q of queries) expect(sorted(await q(pgStore))).toEqual(sorted(await q(memory)));
    expect((await pgStore.payingAny([1n])).map((s) => s.txid)).toEqual([t(1), t(2)]);
    expect((await pgStore.payingAny([(1n << 255n) + 7n]))[0]?.withdrawalIds).toEqual([(1n << 255n) + 7n]);
    expect((await pgStore.family(`${t(100)}:0`))[0]?.payoutSats).toBe(300_000n);
  }, 60_000);
});
