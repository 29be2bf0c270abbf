import { describe, expect, it } from 'vitest';
import { N, deriveInterpolatingValue, deriveInterpolatingValues, invertBatch } from '../src/index.js';
import { SeededRandom } from './helpers/prng.js';

describe('Lagrange coefficients', () => {
  const rng = new SeededRandom(99);

  it('interpolate a random polynomial at 0 from any t of its shares, singly and batched', () => {
    for (let iter = 0; iter < 20; iter++) {
      const t = 1 + rng.int(12);
      const coeffs = Array.from({ length: t }, () => BigInt(1 + rng.int(1_000_000)) * 7919n);
      const f = (x: bigint): bigint => coeffs.reduceRight((acc, c) => (acc * x + c) % N, 0n);
      const ids = rng.shuffle(Array.from({ length: t + 5 }, (_, i) => i * 3 + rng.int(3))).slice(0, t);
      const batched = deriveInterpolatingValues(ids);
      const single = ids.map((id) => deriveInterpolatingValue(ids, id));
      expect(batched).toEqual(single);
      const secret = ids.reduce((acc, id, k) => (acc + (single[k] as bigint) * f(BigInt(id + 1))) % N, 0n);
      expect(secret).toBe(coeffs[0]);
    }
  });

  it('batched coefficients equal single ones for large identifiers (products past 2^53) and t in the hundreds', () => {
    const large = Array.from({ length: 40 }, () => rng.int(2 ** 31));
    const many = rng.shuffle(Array.from({ length: 1000 }, (_, i) => i)).slice(0, 300);
    for (const ids of [[...new Set(large)], many]) expect(deriveInterpolatingValues(ids)).toEqual(ids.map((id) => deriveInterpolatingValue(ids, id)));
  });

  it('batch inversion matches x · x⁻¹ = 1', () => {
    const xs = Array.from({ length: 50 }, () => BigInt(1 + rng.int(2 ** 30)) * 1_000_003n);
    invertBatch(xs).forEach((inv, i) => expect(((xs[i] as bigint) * inv) % N).toBe(1n));
  });
});
