// When unbonding stake is released (src/unbonding.ts): after its delay, never while its signer is jailed or has a
// pending slash, never before custody migration is final (#11's hook), never below R × what the bridge owes, and
// always as a prefix by id (the contract's releaseUnbonding(below)).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../testing/src/fuzz.js';
import { BPS, collateralStake, decideUnbondingRelease, mulDivFloor, stakeValueSats, type ReleaseGuards, type StakeBook, type UnbondingRecord } from '../src/index.js';
import { address, bookArb, hostKey } from './arbitraries.js';

const TOKEN = 10n ** 18n;
const R = { collateralRatioBps: 15_000 };
const alice = address(1);
const bob = address(2);
const entry = (id: bigint, signer: string, amount: bigint, maturesAt = 100n): UnbondingRecord => ({ id, owner: signer, signer, amount, maturesAt, released: false });
const book = (unbonding: UnbondingRecord[], jailedBob = 0): StakeBook => ({
  signers: new Map([
    [alice, { address: alice, hostPubkey: hostKey(1), selfBond: 1_000n * TOKEN, jailedUntilEpoch: 0 }],
    [bob, { address: bob, hostPubkey: hostKey(2), selfBond: 1_000n * TOKEN, jailedUntilEpoch: jailedBob }],
  ]),
  delegations: new Map(),
  unbonding,
});
const guards = (over: Partial<ReleaseGuards> = {}): ReleaseGuards => ({ nowSeconds: 200n, currentEpoch: 5, pendingSlashOf: () => 0n, ...over });
const none = { custodySats: 0n, pendingSats: 0n };

describe('unbonding release', () => {
  it('releases matured entries in id order, and the first that may not go stops the line', () => {
    const b = book([entry(0n, alice, 10n * TOKEN), entry(1n, bob, 10n * TOKEN), entry(2n, alice, 10n * TOKEN, 500n)]);
    expect(decideUnbondingRelease(R, b, 1_000n, none, guards())).toMatchObject({ below: 2n, blocked: { id: 2n, reason: 'not_matured' } });
    expect(decideUnbondingRelease(R, b, 1_000n, none, guards({ nowSeconds: 500n }))).toMatchObject({ below: 3n, blocked: null });
    expect(decideUnbondingRelease(R, b, 1_000n, none, guards({ nowSeconds: 99n }))).toMatchObject({ below: null, released: [], blocked: { id: 0n, reason: 'not_matured' } });
    // Entries the L2 already released are not decided again.
    const done = book([{ ...entry(0n, alice, 10n * TOKEN), released: true }, entry(1n, bob, 10n * TOKEN)]);
    expect(decideUnbondingRelease(R, done, 1_000n, none, guards())).toMatchObject({ below: 2n, released: [{ id: 1n }] });
  });

  it('never releases while the signer is jailed, has a pending slash, or custody still depends on it', () => {
    const b = (jail: number) => book([entry(0n, alice, 10n * TOKEN), entry(1n, bob, 10n * TOKEN), entry(2n, alice, 10n * TOKEN)], jail);
    expect(decideUnbondingRelease(R, b(6), 1_000n, none, guards())).toMatchObject({ below: 1n, blocked: { id: 1n, reason: 'jailed' } });
    expect(decideUnbondingRelease(R, b(5), 1_000n, none, guards())).toMatchObject({ below: 3n }); // the jail ended with epoch 4
    expect(decideUnbondingRelease(R, b(0), 1_000n, none, guards({ pendingSlashOf: (s) => (s === bob ? 1n : 0n) }))).toMatchObject({ below: 1n, blocked: { id: 1n, reason: 'pending_slash' } });
    const rotating = guards({ custodySettled: (u) => u.signer !== alice });
    expect(decideUnbondingRelease(R, b(0), 1_000n, none, rotating)).toMatchObject({ below: null, blocked: { id: 0n, reason: 'custody_not_settled' } });
  });

  it('keeps R × obligations covered and releases nothing without a price', () => {
    const b = book([entry(0n, alice, 500n * TOKEN), entry(1n, bob, 500n * TOKEN)]);
    // 3,000 tokens at 1,000 sats: 3,000,000 sats; at R 1.5 it covers 2,000,000. Releasing 500 tokens leaves 1,666,666.
    expect(decideUnbondingRelease(R, b, 1_000n, { custodySats: 1_600_000n, pendingSats: 0n }, guards())).toMatchObject({ below: 1n, blocked: { id: 1n, reason: 'capacity' } });
    expect(decideUnbondingRelease(R, b, 1_000n, { custodySats: 1_700_000n, pendingSats: 0n }, guards())).toMatchObject({ below: null, blocked: { id: 0n, reason: 'capacity' } });
    expect(decideUnbondingRelease(R, b, null, none, guards())).toMatchObject({ below: null, blocked: { id: 0n, reason: 'frozen' } });
  });

  it('property: the release is a prefix by id of unreleased entries, each allowed, and what stays covers R × obligations', () => {
    fc.assert(
      fc.property(bookArb, fc.bigInt({ min: 1n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 250n }), fc.nat({ max: 8 }), fc.nat({ max: 12 }), (b, price, owed, now, epoch, slashed) => {
        const pending = (s: string) => (s === address(slashed) ? 1n : 0n);
        const d = decideUnbondingRelease(R, b, price, { custodySats: owed, pendingSats: 0n }, { nowSeconds: now, currentEpoch: epoch, pendingSlashOf: pending });
        const line = b.unbonding.filter((u) => !u.released).sort((x, y) => (x.id < y.id ? -1 : 1));
        expect(d.released).toEqual(line.slice(0, d.released.length));
        expect(d.below).toBe(d.released.length === 0 ? null : d.released.at(-1)!.id + 1n);
        for (const u of d.released) {
          expect(u.maturesAt <= now).toBe(true);
          expect(epoch >= (b.signers.get(u.signer)?.jailedUntilEpoch ?? 0)).toBe(true);
          expect(pending(u.signer)).toBe(0n);
        }
        if (d.released.length > 0) {
          const left = collateralStake(b) - d.released.reduce((a, u) => a + u.amount, 0n);
          expect(mulDivFloor(stakeValueSats(left, price), BPS, 15_000n) >= owed).toBe(true);
        }
        expect(d.blocked === null).toBe(d.released.length === line.length);
      }),
      fuzzParams(300),
    );
  }, FUZZ_TIMEOUT_MS);
});
