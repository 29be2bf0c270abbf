// Generators shared by the property tests: small address pools (so collisions and repeats happen), realistic amounts.
import fc from 'fast-check';
import { delegationKey, type DelegationRecord, type SignerRecord, type StakeBook, type UnbondingRecord } from '../src/index.js';

export const address = (i: number): string => `0x${i.toString(16).padStart(40, '0')}`;
export const hostKey = (i: number): string => `02${i.toString(16).padStart(64, '0')}`;

const amount = fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 24n }));
export const positiveAmount = fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 10n ** 24n }));

export const bookArb: fc.Arbitrary<StakeBook> = fc
  .record({
    signers: fc.array(fc.record({ selfBond: amount, jailedUntilEpoch: fc.nat({ max: 6 }) }), { maxLength: 12 }),
    delegations: fc.array(fc.record({ signer: fc.nat({ max: 11 }), delegator: fc.nat({ max: 30 }), amount: positiveAmount }), { maxLength: 40 }),
    unbonding: fc.array(fc.record({ signer: fc.nat({ max: 11 }), owner: fc.nat({ max: 30 }), amount: positiveAmount, maturesAt: fc.bigInt({ min: 0n, max: 200n }), released: fc.boolean() }), { maxLength: 10 }),
  })
  .map(({ signers, delegations, unbonding }) => {
    const s = new Map<string, SignerRecord>(signers.map((x, i) => [address(i + 1), { address: address(i + 1), hostPubkey: hostKey(i + 1), ...x }]));
    const d = new Map<string, DelegationRecord>();
    for (const x of delegations) {
      if (x.signer >= signers.length) continue;
      const rec = { signer: address(x.signer + 1), delegator: address(1000 + x.delegator), amount: x.amount };
      d.set(delegationKey(rec.signer, rec.delegator), rec);
    }
    const u: UnbondingRecord[] = unbonding
      .filter((x) => x.signer < signers.length)
      .map((x, i) => ({ id: BigInt(i), owner: address(1000 + x.owner), signer: address(x.signer + 1), amount: x.amount, maturesAt: x.maturesAt, released: x.released }));
    return { signers: s, delegations: d, unbonding: u };
  });
