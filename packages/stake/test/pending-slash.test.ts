// A slash decided on evidence counts at once (withPendingSlashes) exactly as the contract will apply it (applySlash),
// and not a second time once the L2's Slashed log with its evidence id hash is indexed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../testing/src/fuzz.js';
import { applySlash, collateralStake, evidenceIdHash, planSlash, withPendingSlashes, type StakeBook } from '../src/index.js';
import { bookArb } from './arbitraries.js';

const slashing = { rateBps: { invalid_partial_signature: 500, equivocation: 1_000, liveness: 100 }, jailEpochs: 2 };
const amounts = (b: StakeBook) => ({
  signers: [...b.signers.values()].map((s) => [s.address, s.selfBond]),
  delegations: [...b.delegations.values()].map((d) => [d.signer, d.delegator, d.amount]),
  unbonding: b.unbonding.map((u) => [u.id, u.amount]),
});

describe('pending slashes', () => {
  it('property: a decided slash takes off what the contract will, and nothing more once the L2 applied it', { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(bookArb, fc.nat({ max: 11 }), fc.constantFrom('invalid_partial_signature', 'equivocation', 'liveness') as fc.Arbitrary<'invalid_partial_signature' | 'equivocation' | 'liveness'>, (book, pick, offence) => {
        const signer = [...book.signers.keys()][pick % Math.max(1, book.signers.size)];
        if (signer === undefined) return;
        const decision = planSlash(slashing, book, { evidenceId: `ev-${pick}`, offence, signer, epoch: 7 }, new Set(), 100n);
        if (decision.status !== 'slash') return;
        const pending = { evidenceIdHash: evidenceIdHash(decision.evidenceId), signer, debits: decision.debits };
        const counted = withPendingSlashes(book, [pending], new Set());
        expect(amounts(counted)).toEqual(amounts(applySlash(book, decision)));
        expect(collateralStake(book) - collateralStake(counted)).toBeLessThanOrEqual(decision.total);
        // Applied on the L2 (the indexed book already holds the result): counted once, not twice.
        const onL2 = applySlash(book, decision);
        expect(amounts(withPendingSlashes(onL2, [pending], new Set([pending.evidenceIdHash])))).toEqual(amounts(onL2));
        // Positions that shrank since the decision never go below zero.
        const drained = withPendingSlashes(withPendingSlashes(book, [pending], new Set()), [pending], new Set());
        for (const s of drained.signers.values()) expect(s.selfBond >= 0n).toBe(true);
        for (const u of drained.unbonding) expect(u.amount >= 0n).toBe(true);
      }),
      fuzzParams(300),
    );
  });
});
