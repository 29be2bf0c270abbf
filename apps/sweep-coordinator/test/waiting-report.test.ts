// Withdrawals that wait, as the operator sees them, on a real Postgres with the real planner: one whose max fee
// cannot cover its share at the current rate waits with that reason (GET /withdrawals/:id, GET /status), is never
// dropped, and once it has waited longer than WITHDRAWAL_STUCK_BLOCKS it is reported as stuck by the API and by
// the tapbridge_withdrawals_stuck metric until it is paid, once the rate falls, like any other.
// No services: the API's views are Queries (the handlers behind those routes), the metric is ReservesService's.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { metricsRegistry } from '@tapbridge/observability';
import { planNextSweep } from '@tapbridge/sweeps';
import { activity, addDeposit, addWithdrawal, mine, rules, signAndBroadcast } from '@tapbridge/sweeps/testing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepCoordinatorConfig } from '../src/config.js';
import { WithdrawalWithHistoryDto, StatusDto } from '../src/dto.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { Queries } from '../src/queries.js';
import { ReservesService } from '../src/reserves.service.js';
import { PostgresSweepStore } from '../src/store/postgres-store.js';

const SCHEMA = 'sweep_coordinator';
const STUCK_BLOCKS = 12;
const config = { WITHDRAWAL_STUCK_BLOCKS: STUCK_BLOCKS, SWEEP_OUTFLOW_LIMIT_BPS: 10_000 } as SweepCoordinatorConfig;
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let store: PostgresSweepStore;
let queries: Queries;
let reserves: ReservesService;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url))) });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  store = new PostgresSweepStore({ prisma, schema: SCHEMA });
  // The status view also shows the cached fee rate, the custody address and the last outflow plan: none known here.
  const bitcoin = { cachedFeeRate: undefined };
  const custody = { current: () => undefined };
  const pipeline = { outflow: undefined };
  queries = new Queries(store, bitcoin as never, custody as never, pipeline as never, config);
  // refreshGauges reads only the store and the config.
  reserves = new ReservesService(store, undefined as never, undefined as never, config);
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const stuckGauge = async () => (await metricsRegistry.getSingleMetric('tapbridge_withdrawals_stuck')!.get()).values[0]?.value;
const finalGauge = async () => (await metricsRegistry.getSingleMetric('tapbridge_withdrawals')!.get()).values.find((v) => v.labels.status === 'final')?.value;

describe('a withdrawal whose max fee cannot cover the rate', () => {
  it('waits with the reason, is reported stuck past WITHDRAWAL_STUCK_BLOCKS (API and metric), and is paid once the rate allows', async () => {
    await mine(store, 1, 1);
    await addDeposit(store, 1, 500_000n);
    await addWithdrawal(store, 1, 50_000n, 5_000n); // covers its share
    await addWithdrawal(store, 2, 40_000n, 300n); // a share at 20 sat/vB is far above 300 sat; at 1 sat/vB it fits
    const first = await store.transaction((tx) => planNextSweep(tx, rules({ feeRateSatPerVb: 20 })));
    expect(first.kind).toBe('planned');
    if (first.kind !== 'planned') return;
    expect(first.version.payouts.map((p) => p.withdrawalId)).toEqual([1n]);
    expect(first.waiting).toEqual([expect.objectContaining({ ref: { type: 'withdrawal', id: 2n }, code: 'max-fee-too-low', reason: expect.stringMatching(/exceeds its max fee 300 sat/) })]);

    // The API says why it waits; it has not waited long yet.
    const early = WithdrawalWithHistoryDto.schema.parse(await queries.withdrawal(2n));
    expect(early).toMatchObject({ status: 'final', waitingReason: expect.stringMatching(/exceeds its max fee 300 sat/), stuck: false });
    await reserves.refreshGauges();
    expect(await stuckGauge()).toBe(0);
    expect(await finalGauge()).toBe(1);

    // The first sweep is signed, broadcast and confirmed in block 2; blocks pass and the rate stays high: past the
    // threshold it is stuck, never dropped.
    await signAndBroadcast(store, first.version, 1);
    await mine(store, 2, 1 + STUCK_BLOCKS, { 2: activity([first.version.txid]) });
    expect(await queries.withdrawal(1n)).toMatchObject({ status: 'paid' });
    expect((await store.transaction((tx) => planNextSweep(tx, rules({ feeRateSatPerVb: 20 })))).kind).toBe('nothing');
    expect(await queries.withdrawal(2n)).toMatchObject({ stuck: false, waitingBlocks: STUCK_BLOCKS });
    await mine(store, 2 + STUCK_BLOCKS, 2 + STUCK_BLOCKS);
    const late = WithdrawalWithHistoryDto.schema.parse(await queries.withdrawal(2n));
    expect(late).toMatchObject({ status: 'final', stuck: true, waitingBlocks: STUCK_BLOCKS + 1, waitingReason: expect.stringMatching(/exceeds its max fee 300 sat/) });
    const status = StatusDto.schema.parse(await queries.status());
    expect(status.waitingWithdrawals).toBe(1);
    expect(status.stuckWithdrawals).toEqual(['2']);
    expect(status.waitingReasons).toEqual([{ reason: expect.stringMatching(/exceeds its max fee 300 sat/), count: 1 }]);
    await reserves.refreshGauges();
    expect(await stuckGauge()).toBe(1);
    expect(await metricsRegistry.metrics()).toMatch(/^tapbridge_withdrawals_stuck 1$/m);

    // Once the rate is low enough, it is planned like any other (spending the custody output): no longer stuck.
    const second = await store.transaction((tx) => planNextSweep(tx, rules({ feeRateSatPerVb: 1 })));
    expect(second.kind).toBe('planned');
    if (second.kind !== 'planned') return;
    expect(second.version.payouts.map((p) => p.withdrawalId)).toEqual([2n]);
    // Queued is still waiting for the payout (the count runs until its sweep is in a block): stuck until it confirms.
    const queued = await queries.withdrawal(2n);
    expect(queued).toMatchObject({ status: 'queued', stuck: true });
    expect(queued?.waitingReason).toBeUndefined();
    await signAndBroadcast(store, second.version, 2 + STUCK_BLOCKS);
    await mine(store, 3 + STUCK_BLOCKS, 4 + STUCK_BLOCKS, { [3 + STUCK_BLOCKS]: activity([second.version.txid]) });
    expect(await queries.withdrawal(2n)).toMatchObject({ status: 'paid', stuck: false, waitingBlocks: 0 });
    await reserves.refreshGauges();
    expect(await stuckGauge()).toBe(0);
    expect(StatusDto.schema.parse(await queries.status())).toMatchObject({ waitingWithdrawals: 0, stuckWithdrawals: [] });
  }, 120_000);
});
