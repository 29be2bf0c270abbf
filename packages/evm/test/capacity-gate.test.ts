// The capacity gate (capacity-gate.ts): deposits beyond capacity are held durably, minted later in confirmation
// order when stake is added, never overtaken by newer deposits, never minted twice, and concurrent admissions
// (deposits racing capacity events and the drain) never spend the same room.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapacityGate, MemoryHeldDepositStore, type GatedDeposit } from '../src/capacity-gate.js';
import { confirmationOrder, type StakeCapacityView } from '../src/mint-capacity.js';

const R = 15_000;
const view = (seq: number, stakeValueSats: bigint): StakeCapacityView => ({ seq, status: 'open', stakeValueSats, collateralRatioBps: R });
const dep = (id: string, amountSats: bigint, blockHeight: number, position = 0): GatedDeposit => ({ depositId: id, amountSats, blockHeight, position, vout: 0, recipient: `0x${'ab'.repeat(20)}`, blockHash: `${blockHeight}`.padStart(64, '0') });

/** A chain that records what it minted, in order, and refuses a second mint of one id (as the engine does). */
function chain() {
  const minted: string[] = [];
  let supply = 0n;
  return {
    minted,
    owed: () => Promise.resolve(supply),
    mint: async (ds: readonly GatedDeposit[]) => {
      await new Promise((r) => setImmediate(r)); // a block commit takes a turn or more
      for (const d of ds) {
        if (minted.includes(d.depositId)) throw new Error(`minted twice: ${d.depositId}`);
        minted.push(d.depositId);
        supply += d.amountSats;
      }
    },
    burn: (sats: bigint) => void (supply -= sats),
    get supply() {
      return supply;
    },
  };
}

describe('capacity gate', () => {
  it('holds what does not fit, keeps newer deposits behind it, and mints the line in confirmation order when stake is added', async () => {
    const c = chain();
    const store = new MemoryHeldDepositStore();
    const gate = new CapacityGate({ store, owedSats: c.owed });
    // No capacity known yet: nothing is minted on trust.
    expect((await gate.admit([dep('a', 40n, 100)], c.mint)).held.map((d) => d.depositId)).toEqual(['a']);
    gate.onCapacity(view(1, 90n)); // room for 60
    expect(await gate.drain(c.mint)).toEqual([dep('a', 40n, 100)]);
    const r = await gate.admit([dep('c', 5n, 102), dep('b', 30n, 101)], c.mint);
    expect(r.minted).toEqual([]); // b (30) does not fit the 20 left; c (5) would, but may not overtake b
    expect(r.held.map((d) => d.depositId)).toEqual(['b', 'c']);
    expect((await store.list()).map((d) => d.depositId).sort()).toEqual(['b', 'c']);
    gate.onCapacity(view(0, 10_000n)); // stale: ignored
    expect(await gate.drain(c.mint)).toEqual([]);
    gate.onCapacity(view(2, 150n)); // room for 100 − 40
    expect((await gate.drain(c.mint)).map((d) => d.depositId)).toEqual(['b', 'c']);
    expect(c.minted).toEqual(['a', 'b', 'c']);
    expect(await store.list()).toEqual([]);
  });

  it('survives a restart: a new gate over the same store knows the held line and asks for capacity when it has none', async () => {
    const c = chain();
    const store = new MemoryHeldDepositStore();
    const first = new CapacityGate({ store, owedSats: c.owed });
    first.onCapacity(view(1, 30n));
    await first.admit([dep('x', 50n, 7)], c.mint);
    let asked = 0;
    const second = new CapacityGate({ store, owedSats: c.owed, fetchCapacity: async () => (asked++, view(5, 75n)) });
    expect((await second.admit([dep('y', 1n, 8)], c.mint)).minted.map((d) => d.depositId)).toEqual(['x']);
    expect(asked).toBe(1);
    expect((await store.list()).map((d) => d.depositId)).toEqual(['y']); // 50 used the whole 50 of room
  });

  it('a mint that fails keeps the held deposits held', async () => {
    const store = new MemoryHeldDepositStore();
    const gate = new CapacityGate({ store, owedSats: async () => 0n });
    gate.onCapacity(view(1, 0n));
    await gate.admit([dep('h', 10n, 1)], async () => undefined);
    gate.onCapacity(view(2, 1_000n));
    await expect(gate.drain(async () => Promise.reject(new Error('engine closed')))).rejects.toThrow('engine closed');
    expect((await store.list()).map((d) => d.depositId)).toEqual(['h']);
    await gate.drop(['h']);
    expect(await store.list()).toEqual([]);
  });

  it('under concurrent admissions, drains, capacity events and burns, never owes more than stake value / R, mints each deposit once, in confirmation order among those waiting, and drains fully at the end (property)', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('deposit' as const), n: fc.integer({ min: 1, max: 3 }), amount: fc.bigInt({ min: 1n, max: 50n }), height: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('capacity' as const), seq: fc.integer({ min: 1, max: 20 }), value: fc.bigInt({ min: 0n, max: 400n }) }),
      fc.record({ kind: fc.constant('drain' as const) }),
      fc.record({ kind: fc.constant('burn' as const), sats: fc.bigInt({ min: 1n, max: 30n }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const c = chain();
        const store = new MemoryHeldDepositStore();
        const gate = new CapacityGate({ store, owedSats: c.owed });
        const all = new Map<string, GatedDeposit>();
        let next = 0;
        let maxValue = 0n;
        const checkedMint = async (ds: readonly GatedDeposit[]) => {
          await c.mint(ds);
          // What is owed never passes the stake value / R that allowed it (the view at admission, the largest seen).
          expect(c.supply * BigInt(R) <= maxValue * 10_000n).toBe(true);
          // Nothing still held precedes what was just minted.
          const held = await store.list();
          for (const d of ds) for (const h of held) if (!ds.some((x) => x.depositId === h.depositId)) expect(confirmationOrder(h, d)).toBeGreaterThan(0);
        };
        const work: Promise<unknown>[] = [];
        for (const s of steps) {
          if (s.kind === 'deposit') {
            const ds = Array.from({ length: s.n }, () => dep(`d${next++}`, s.amount, s.height, next));
            for (const d of ds) all.set(d.depositId, d);
            work.push(gate.admit(ds, checkedMint));
          } else if (s.kind === 'capacity') {
            gate.onCapacity(view(s.seq, s.value));
            maxValue = gate.capacity!.stakeValueSats! > maxValue ? gate.capacity!.stakeValueSats! : maxValue;
          } else if (s.kind === 'drain') work.push(gate.drain(checkedMint));
          else c.burn(c.supply < s.sats ? c.supply : s.sats);
        }
        await Promise.all(work);
        gate.onCapacity(view(1_000, 10n ** 9n));
        maxValue = 10n ** 9n;
        await gate.drain(checkedMint);
        expect(new Set(c.minted).size).toBe(c.minted.length);
        expect([...c.minted].sort()).toEqual([...all.keys()].sort());
        expect(await store.list()).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
