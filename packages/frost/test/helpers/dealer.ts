/**
 * Test-only key shares from a local polynomial (a "trusted dealer"), so ROAST tests can run many
 * seeded configurations without a full DKG each time. Production keys come from ChillDKG.
 */
import { G, GroupKey, N, pointToCompressed, scalarFromBytesWrapping, scalarToBytes } from '../../src/index.js';
import type { SeededRandom } from './prng.js';

export interface DealtKey {
  groupKey: GroupKey;
  secshares: Uint8Array[];
}

export function dealShares(n: number, t: number, rng: SeededRandom): DealtKey {
  const coeffs = Array.from({ length: t }, () => scalarFromBytesWrapping(rng.bytes(32)) || 1n);
  // Even-y threshold key, as the DKG output is normalised.
  if ((G.multiply(coeffs[0] as bigint).toAffine().y & 1n) === 1n) for (let j = 0; j < t; j++) coeffs[j] = N - (coeffs[j] as bigint);
  const f = (x: bigint): bigint => coeffs.reduceRight((acc, c) => (acc * x + c) % N, 0n);
  const shares = Array.from({ length: n }, (_, i) => f(BigInt(i + 1)));
  const groupKey = GroupKey.fromShares({
    n,
    t,
    threshPk: pointToCompressed(G.multiply(coeffs[0] as bigint)),
    pubshares: shares.map((s) => pointToCompressed(G.multiply(s))),
  });
  return { groupKey, secshares: shares.map(scalarToBytes) };
}
