// The outflow limit is a share of what the reserve held before the window's payouts: at 100% custody can always be
// emptied, and at a share p the window's payouts never exceed p of what the reserve held at its start.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outflowAllows, outflowStanding, type OutflowEntry } from '../src/index.js';

const rule = (limitBps: number) => ({ limitBps, windowMs: 24 * 3600_000 });
const now = new Date('2026-12-03T12:00:00Z');

/** Sweeps paying out of a reserve in turn, each as much as the headroom allows (or asks): what the window saw. */
function drain(limitBps: number, start: bigint, asks: bigint[]): { paid: bigint; reserve: bigint; refused: number } {
  let reserve = start;
  let refused = 0;
  const signed: OutflowEntry[] = [];
  for (const [i, ask] of asks.entries()) {
    const family = `f${i}`;
    const payoutSats = ask > reserve ? reserve : ask;
    const r = outflowAllows({ rule: rule(limitBps), reserveSats: reserve, family, payoutSats, signed, now });
    if (!r.allowed) {
      refused++;
      continue;
    }
    signed.push({ family, payoutSats, at: now });
    reserve -= payoutSats;
  }
  return { paid: start - reserve, reserve, refused };
}

describe('outflow limit', () => {
  it('at 100% (no limit) every payout the reserve can cover is allowed, down to an empty custody', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 10n }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 30 }), (start, asks) => {
      expect(drain(10_000, start, asks).refused).toBe(0);
    }));
    // The case settle.e2e hit: 2,579,295 sat already out, 1,845,839 left: all of it may still go.
    const s = outflowStanding({ rule: rule(10_000), reserveSats: 1_845_839n, family: 'next', signed: [{ family: 'a', payoutSats: 2_579_295n, at: now }], now });
    expect(s.headroomSats).toBe(1_845_839n);
  });

  it('at a share p the window pays out at most p of what the reserve held at its start', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), fc.bigInt({ min: 1n, max: 10n ** 10n }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { maxLength: 30 }), (bps, start, asks) => {
      expect(drain(bps, start, asks).paid).toBeLessThanOrEqual((start * BigInt(bps)) / 10_000n);
    }));
    // 10% of 1,000,000: 60,000 then 40,000 fit, one more sat does not.
    const signed = [{ family: 'a', payoutSats: 60_000n, at: now }];
    expect(outflowAllows({ rule: rule(1_000), reserveSats: 940_000n, family: 'b', payoutSats: 40_000n, signed, now }).allowed).toBe(true);
    expect(outflowAllows({ rule: rule(1_000), reserveSats: 940_000n, family: 'b', payoutSats: 40_001n, signed, now }).allowed).toBe(false);
  });
});
