// rpc.sweeps.withdrawal.by_status on a real Postgres: one state's withdrawals in id order, a page at a time, with
// the same view (waited blocks, stuck) as rpc.sweeps.withdrawal.get; the request schema refuses what it does not know.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, migrate } from '@tapbridge/db';
import type { WithdrawalRecord } from '@tapbridge/sweeps';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import type { SweepCoordinatorConfig } from '../src/config.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PostgresSweepStore } from '../src/store/postgres-store.js';
import { SweepsRpcController, WithdrawalsByStatusRequest } from '../src/sweeps.rpc.js';

const SCHEMA = 'sweep_coordinator';
const STUCK_BLOCKS = 12;
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let rpc: SweepsRpcController;

const record = (id: bigint, status: WithdrawalRecord['status'], receivedAtHeight: number): WithdrawalRecord => ({
  id, sender: '0x' + '0a'.repeat(20), scriptPubKey: '0014' + id.toString(16).padStart(40, '0'), amountSats: 100_000n, maxFeeSats: 2_000n,
  evmBlockNumber: 10, evmTxHash: '0x' + id.toString(16).padStart(64, '0'), status, receivedAtHeight,
});

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url))) });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  // The handler reads only Prisma and the config; the other collaborators are not touched by it.
  rpc = new SweepsRpcController(undefined as never, undefined as never, prisma, { WITHDRAWAL_STUCK_BLOCKS: STUCK_BLOCKS } as SweepCoordinatorConfig);
  const store = new PostgresSweepStore({ prisma, schema: SCHEMA });
  await store.transaction(async (tx) => {
    await tx.putBlock({ hash: 'aa'.repeat(32), height: 100, prevHash: 'bb'.repeat(32) });
    // Ids that sort differently as text and as numbers (9 < 10 < 100 < 2^70), five final, one signing.
    for (const id of [100n, 9n, 2n ** 70n, 10n, 11n]) await tx.putWithdrawal(record(id, 'final', id === 9n ? 80 : 99));
    await tx.putWithdrawal(record(12n, 'signing', 99));
  });
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const ask = (q: unknown) => rpc.withdrawalsByStatus(WithdrawalsByStatusRequest.schema.parse(q) as WithdrawalsByStatusRequest);

describe('rpc.sweeps.withdrawal.by_status', () => {
  it('pages one state in numeric id order until no nextCursor, each withdrawal once, with waited blocks and stuck', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await ask({ status: 'final', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((w) => w.id));
      expect(page.items.every((w) => w.status === 'final')).toBe(true);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual(['9', '10', '11', '100', (2n ** 70n).toString()]);
    expect(pages).toBe(3);
    const first = await ask({ status: 'final', limit: 1 });
    expect(first.items[0]).toMatchObject({ id: '9', waitingBlocks: 20, stuck: true });
    expect((await ask({ status: 'final', limit: 5, cursor: '9' })).items[0]).toMatchObject({ id: '10', waitingBlocks: 1, stuck: false });
    expect((await ask({ status: 'signing' })).items.map((w) => w.id)).toEqual(['12']);
    expect(await ask({ status: 'paid' })).toEqual({ items: [] });
  });

  it('refuses an unknown state, a limit out of range and a cursor that is not an id', () => {
    for (const bad of [{ status: 'lost' }, { status: 'final', limit: 0 }, { status: 'final', limit: 501 }, { status: 'final', cursor: 'abc' }, {}]) {
      expect(WithdrawalsByStatusRequest.schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
