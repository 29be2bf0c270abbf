// The mint's capacity rule (mint-capacity.ts): never past stake value / R, strictly in confirmation order, nothing
// minted twice, stale capacity views ignored; checked on single steps and on random runs of a model gateway.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admitInOrder, confirmationOrder, latestCapacity, mintAllowanceSats, type StakeCapacityView, type WaitingDeposit } from '../src/mint-capacity.js';

const open = (seq: number, stakeValueSats: bigint, collateralRatioBps = 15_000): StakeCapacityView => ({ seq, status: 'open', stakeValueSats, collateralRatioBps });

const depositArb = fc.record({
  depositId: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 8 }),
  amountSats: fc.bigInt({ min: 1n, max: 5_000_000n }),
  blockHeight: fc.integer({ min: 100, max: 110 }),
  position: fc.integer({ min: 0, max: 5 }),
  vout: fc.integer({ min: 0, max: 2 }),
});
const uniqueDeposits = fc.uniqueArray(depositArb, { selector: (d) => d.depositId, maxLength: 25 });

describe('mint allowance', () => {
  it('is stake value / R minus what is owed, and nothing when there is no usable view', () => {
    expect(mintAllowanceSats(open(1, 150_000n), 40_000n)).toBe(60_000n);
    expect(mintAllowanceSats(open(1, 150_001n), 0n)).toBe(100_000n); // rounded down: in the protocol's favour
    expect(mintAllowanceSats(open(1, 150_000n), 120_000n)).toBe(-20_000n);
    expect(mintAllowanceSats(null, 0n)).toBeNull();
    expect(mintAllowanceSats({ seq: 2, status: 'frozen', stakeValueSats: null, collateralRatioBps: 15_000 }, 0n)).toBeNull();
    expect(mintAllowanceSats(open(1, 150_000n, 9_999), 0n)).toBeNull();
  });

  it('keeps the newest view: a late or redelivered older one changes nothing', () => {
    const a = open(5, 1n);
    expect(latestCapacity(a, open(4, 9n))).toBe(a);
    expect(latestCapacity(a, open(5, 9n))).toBe(a);
    expect(latestCapacity(a, open(6, 9n)).stakeValueSats).toBe(9n);
    expect(latestCapacity(null, a)).toBe(a);
  });
});

describe('admission in confirmation order', () => {
  it('mints the longest prefix that fits and never more than the allowance (property)', () => {
    fc.assert(
      fc.property(uniqueDeposits, fc.option(fc.bigInt({ min: -1_000_000n, max: 40_000_000n }), { nil: null }), (deposits, allowance) => {
        const { mint, hold } = admitInOrder(allowance, deposits);
        const line = [...deposits].sort(confirmationOrder);
        expect([...mint, ...hold]).toEqual(line);
        const minted = mint.reduce((a, d) => a + d.amountSats, 0n);
        if (allowance === null) expect(mint).toEqual([]);
        else {
          expect(minted <= (allowance < 0n ? 0n : allowance)).toBe(true);
          // Maximal: the first held deposit does not fit what is left.
          if (hold.length > 0) expect(minted + hold[0]!.amountSats > allowance).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a small deposit behind a large held one waits too (no reordering)', () => {
    const big: WaitingDeposit = { depositId: 'a', amountSats: 90n, blockHeight: 100, position: 1, vout: 0 };
    const small: WaitingDeposit = { depositId: 'b', amountSats: 1n, blockHeight: 101, position: 0, vout: 0 };
    expect(admitInOrder(50n, [small, big])).toEqual({ mint: [], hold: [big, small] });
    expect(admitInOrder(91n, [small, big])).toEqual({ mint: [big, small], hold: [] });
  });

  it('over random runs of deposits, capacity events (some stale) and stake added, a model gateway never owes more than stake value / R, mints each deposit at most once and in confirmation order among those waiting, and mints everything once stake suffices (property)', () => {
    type Step = { kind: 'deposit'; d: WaitingDeposit } | { kind: 'capacity'; seq: number; stakeValueSats: bigint } | { kind: 'burn'; sats: bigint };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      depositArb.map((d): Step => ({ kind: 'deposit', d })),
      fc.record({ seq: fc.integer({ min: 1, max: 30 }), stakeValueSats: fc.bigInt({ min: 0n, max: 60_000_000n }) }).map((c): Step => ({ kind: 'capacity', ...c })),
      fc.bigInt({ min: 1n, max: 2_000_000n }).map((sats): Step => ({ kind: 'burn', sats })),
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        let view: StakeCapacityView | null = null;
        let supply = 0n;
        const waiting = new Map<string, WaitingDeposit>();
        const minted = new Set<string>();
        const seen = new Set<string>();
        const admit = () => {
          const allowance = mintAllowanceSats(view, supply);
          const { mint, hold } = admitInOrder(allowance, [...waiting.values()]);
          for (const d of mint) {
            expect(minted.has(d.depositId)).toBe(false);
            // Everything minted in this round comes before everything still held.
            for (const h of hold) expect(confirmationOrder(d, h)).toBeLessThan(0);
            minted.add(d.depositId);
            waiting.delete(d.depositId);
            supply += d.amountSats;
          }
          if (mint.length > 0) expect(supply * BigInt(view!.collateralRatioBps) <= view!.stakeValueSats! * 10_000n).toBe(true);
        };
        for (const s of steps) {
          if (s.kind === 'deposit') {
            // Redelivery of a deposit already known or minted changes nothing.
            if (!seen.has(s.d.depositId)) waiting.set(s.d.depositId, s.d);
            seen.add(s.d.depositId);
          } else if (s.kind === 'capacity') view = latestCapacity(view, open(s.seq, s.stakeValueSats));
          else supply = supply > s.sats ? supply - s.sats : 0n;
          admit();
        }
        // Enough stake for everything: the line drains.
        view = latestCapacity(view, open(1_000, 10n ** 12n));
        admit();
        expect(waiting.size).toBe(0);
        expect(minted.size).toBe(seen.size);
      }),
      { numRuns: 300 },
    );
  });
});
