// The newest stake.capacity the gateway took survives a restart (stake/held-deposits.ts CapacityViewStore, on real
// Postgres with the gateway's migrations): a redelivered or older event is neither stored nor taken by a gate
// restored from the store, a newer one is; the restored gate mints from it at once (no wait for a new publication).
import { migrate } from '@tapbridge/db';
import type { CapacityGate, GatedDeposit, StakeCapacityView } from '@tapbridge/evm';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { CapacityViewStore, depositMintStates, openCapacityGate, PrismaHeldDepositStore, takeCapacity } from '../src/stake/held-deposits.js';

const schema = 'evm_gateway';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const view = (seq: number, stakeValueSats: bigint | null, status: 'open' | 'frozen' = 'open'): StakeCapacityView => ({ seq, status, stakeValueSats, collateralRatioBps: 15_000 });
const deposit = (id: string, amountSats: bigint, blockHeight: number): GatedDeposit => ({ depositId: id, amountSats, blockHeight, position: 0, vout: 0, recipient: `0x${'ab'.repeat(20)}`, blockHash: 'cd'.repeat(32) });

/** A gate as the gateway builds it at start (mint.module.ts): restored from the store. */
function restartedGate(minted: GatedDeposit[]): Promise<CapacityGate> {
  const owed = () => Promise.resolve(minted.reduce((a, d) => a + d.amountSats, 0n));
  return openCapacityGate(new CapacityViewStore(prisma), { store: new PrismaHeldDepositStore(prisma), owedSats: owed, fetchCapacity: () => Promise.resolve(view(1, 10n ** 15n)) });
}

describe('evm-gateway: the capacity seq is kept across restarts', () => {
  it('stores only newer views, and a restarted gate neither goes back to an older one nor starts without one', async () => {
    const store = new CapacityViewStore(prisma);
    expect(await store.load()).toBeNull();
    const minted: GatedDeposit[] = [];
    const mint = (ds: readonly GatedDeposit[]) => {
      minted.push(...ds);
      return Promise.resolve();
    };

    let gate = await restartedGate(minted);
    expect(gate.capacity).toBeNull();
    await gate.admit([], mint); // a gateway that never took a capacity asks stake-accounting (seq 1 here) and keeps it
    expect(await store.load()).toEqual(view(1, 10n ** 15n));
    await takeCapacity(store, gate, view(5, 300_000n)); // room for 200,000
    expect(await store.load()).toEqual(view(5, 300_000n));
    expect(await store.save(view(5, 300_000n))).toBe(false); // redelivered
    expect(await store.save(view(4, 10n ** 12n))).toBe(false); // older
    expect(await store.load()).toEqual(view(5, 300_000n));
    expect((await gate.admit([deposit('a:0', 150_000n, 1), deposit('b:0', 100_000n, 2)], mint)).held.map((d) => d.depositId)).toEqual(['b:0']);

    // Restart: the gate comes back with seq 5 (not the rpc's answer, not nothing), and the older event still in the
    // stream is ignored: b stays held.
    gate = await restartedGate(minted);
    expect(gate.capacity).toEqual(view(5, 300_000n));
    await takeCapacity(store, gate, view(4, 10n ** 12n));
    expect(gate.capacity?.seq).toBe(5);
    expect((await gate.admit([], mint)).held.map((d) => d.depositId)).toEqual(['b:0']);

    // A newer capacity after another restart is taken and stored; b is minted.
    gate = await restartedGate(minted);
    await takeCapacity(store, gate, view(6, 450_000n));
    expect((await gate.admit([], mint)).held).toEqual([]);
    expect(minted.map((d) => d.depositId)).toEqual(['a:0', 'b:0']);
    gate = await restartedGate(minted);
    expect(gate.capacity).toEqual(view(6, 450_000n));

    // A frozen capacity is kept too: a restart does not reopen minting.
    await takeCapacity(store, gate, view(7, null, 'frozen'));
    gate = await restartedGate(minted);
    expect(gate.capacity).toEqual(view(7, null, 'frozen'));
    expect((await gate.admit([deposit('c:0', 1n, 3)], mint)).held.map((d) => d.depositId)).toEqual(['c:0']);
  }, 120_000);

  it('tells the sweep-coordinator which deposits are minted, held for capacity, or unknown (rpc.evm.deposits.state)', async () => {
    const [minted, held, unknown] = ['aa', 'bb', 'cc'].map((b) => `${b.repeat(32)}:0`) as [string, string, string];
    await pool.query(`INSERT INTO ${schema}.evm_block (number, hash, rlp) VALUES (7001, $1, '\\x00')`, [Buffer.alloc(32, 7)]);
    await pool.query(`INSERT INTO ${schema}.evm_mint (deposit_id, recipient, amount_sats, block_number, block_hash, withdrawal_index) VALUES ($1, $2, 5000, 7001, $3, 7001)`, [minted, Buffer.alloc(20, 1), Buffer.alloc(32, 7)]);
    await new PrismaHeldDepositStore(prisma).hold([{ ...deposit(held, 9_000n, 4), heldAt: new Date() }]);
    expect(await depositMintStates(prisma, [minted, held, unknown, held])).toEqual({ [minted]: 'minted', [held]: 'held_capacity', [unknown]: 'unknown' });
  }, 60_000);
});
