/**
 * The fast paths (batched affine sums, lockstep pubshare evaluation, one-root decoding, batch
 * verification with bisection) against the reference paths on random inputs, including the
 * special cases an adversary can force: infinity, P + (−P), P + P, invalid encodings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  G,
  type GroupElement,
  INFINITY,
  InvalidContributionError,
  N,
  type PartialSigClaim,
  VSSCommitment,
  affineToPoint,
  batchVerifyPartialSigs,
  decodeCompressedAffine,
  deriveInterpolatingValue,
  findInvalidPartialSigs,
  getSessionValues,
  keyPathOnlyCustodyTweak,
  nonceAgg,
  nonceAggReference,
  nonceGen,
  pointFromCompressed,
  pointToAffine,
  pointToCompressed,
  sign,
  sumAffine,
  sumPoints,
  verifyPartialSigPoints,
} from '../src/index.js';
import { dealShares } from './helpers/dealer.js';
import { SeededRandom } from './helpers/prng.js';

const scalar = fc.bigInt({ min: 1n, max: N - 1n });
/** Small pools so that equal points, negations and doublings occur often. */
const pointFrom = (k: bigint, neg: boolean): GroupElement => (neg ? G.multiply(k).negate() : G.multiply(k));
const pointList = fc.array(fc.tuple(fc.constantFrom(1n, 2n, 3n, 7n, N - 1n, 123456789n), fc.boolean(), fc.boolean()), { maxLength: 24 }).map((xs) =>
  xs.map(([k, neg, inf]) => (inf ? INFINITY : pointFrom(k, neg))),
);

function outcome(f: () => Uint8Array): string {
  try {
    return Buffer.from(f()).toString('hex');
  } catch (e) {
    return e instanceof InvalidContributionError ? `blame ${e.signerIndex} ${e.contrib}` : `error ${(e as Error).name}`;
  }
}

describe('batched affine arithmetic equals the projective reference', () => {
  it('sumAffine equals sumPoints, including infinity, P + P and P + (−P)', () => {
    fc.assert(
      fc.property(pointList, (pts) => {
        expect(affineToPoint(sumAffine(pts.map(pointToAffine))).equals(sumPoints(pts))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('decodeCompressedAffine accepts and rejects exactly what pointFromCompressed does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 33, maxLength: 33 }), fc.constantFrom(0, 2, 3, 4), (bytes, prefix) => {
        const b = Uint8Array.from(bytes);
        if (prefix !== 0) b[0] = prefix;
        const attempt = (f: () => GroupElement): GroupElement | null => {
          try {
            return f();
          } catch {
            return null;
          }
        };
        const ref = attempt(() => pointFromCompressed(b));
        const fast = attempt(() => affineToPoint(decodeCompressedAffine(b)));
        expect(fast === null).toBe(ref === null);
        if (ref !== null && fast !== null) expect(fast.equals(ref)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('nonceAgg returns the reference bytes, and blames the same index for a bad pubnonce', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(scalar, fc.constantFrom(1n, 2n, N - 1n)), { minLength: 1, maxLength: 12 }),
        fc.option(fc.tuple(fc.nat(11), fc.constantFrom('short', 'prefix', 'offcurve', 'second')), { nil: undefined }),
        (ks, corrupt) => {
          // Second points drawn from a tiny pool: the R2 sum hits doublings and cancellations.
          const pubnonces: Uint8Array[] = ks.map(([k1, k2]) => Uint8Array.from([...pointToCompressed(G.multiply(k1)), ...pointToCompressed(G.multiply(k2))]));
          if (corrupt !== undefined) {
            const [at, how] = corrupt;
            const idx = at % pubnonces.length;
            const p = pubnonces[idx] as Uint8Array;
            if (how === 'short') pubnonces[idx] = p.subarray(0, 65);
            else if (how === 'prefix') p[0] = 0x05;
            else if (how === 'offcurve') p.fill(0xff, 1, 33);
            else p[33] = 0x07;
          }
          expect(outcome(() => nonceAgg(pubnonces))).toBe(outcome(() => nonceAggReference(pubnonces)));
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('ChillDKG fast paths equal the reference', () => {
  it('VSSCommitment.pubshares(n)[i] equals pubshare(i) and VSSCommitment.sum equals repeated add', () => {
    fc.assert(
      fc.property(fc.array(fc.option(scalar, { nil: undefined }), { minLength: 1, maxLength: 9 }), fc.integer({ min: 1, max: 40 }), (coeffs, n) => {
        const com = new VSSCommitment(coeffs.map((c) => (c === undefined ? INFINITY : G.multiply(c))));
        const all = com.pubshares(n);
        const horner = com.pubsharesHorner(n);
        for (let i = 0; i < n; i++) expect(all[i]?.equals(com.pubshare(i)) && horner[i]?.equals(com.pubshare(i))).toBe(true);
        const others = [com, new VSSCommitment(com.ges.map((P) => P.negate())), com];
        expect(VSSCommitment.sum(others).toBytes()).toEqual(com.add(others[1] as VSSCommitment).add(com).toBytes());
      }),
      { numRuns: 25 },
    );
  });

  it('pubshares by binomial basis and forward differences survive forced doublings, cancellations and infinity', () => {
    // Coefficients from a tiny pool (±G, ±2G, O) make intermediate sums collide, cancel and double.
    const pool = fc.constantFrom<bigint | undefined>(1n, N - 1n, 2n, N - 2n, 3n, undefined);
    fc.assert(
      fc.property(fc.array(pool, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 30 }), (coeffs, n) => {
        const com = new VSSCommitment(coeffs.map((c) => (c === undefined ? INFINITY : G.multiply(c))));
        const all = com.pubshares(n);
        for (let i = 0; i < n; i++) expect(all[i]?.equals(com.pubshare(i))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('batch verification of partial signatures', () => {
  const rng = new SeededRandom(99);
  const n = 9;
  const t = 6;
  const key = dealShares(n, t, rng);
  const msg = rng.bytes(32);

  function session(ids: number[]) {
    const { tweak } = keyPathOnlyCustodyTweak(key.groupKey.xonly);
    const nonces = ids.map((id) => nonceGen({ secshare: key.secshares[id] }));
    const ctx = { aggnonce: nonceAgg(nonces.map((x) => x.pubnonce)), signersCtx: key.groupKey.signersContext(ids), tweaks: [tweak], isXonly: [true], msg };
    const psigs = ids.map((id, k) => sign(nonces[k]?.secnonce as never, key.secshares[id] as Uint8Array, id, ctx));
    const values = getSessionValues(ctx);
    const claims: PartialSigClaim[] = ids.map((id, k) => {
      const pn = nonces[k]?.pubnonce as Uint8Array;
      return {
        s: BigInt(`0x${Buffer.from(psigs[k] as Uint8Array).toString('hex')}`),
        R1: pointFromCompressed(pn.subarray(0, 33)),
        R2: pointFromCompressed(pn.subarray(33)),
        P: key.groupKey.pubsharePoints[id] as GroupElement,
        lambda: deriveInterpolatingValue(ids, id),
      };
    });
    return { values, claims };
  }

  it('finds exactly the corrupted partial signatures, agreeing with one-by-one verification', () => {
    for (let round = 0; round < 6; round++) {
      const ids = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, t + rng.int(n - t + 1)).sort((a, b) => a - b);
      const { values, claims } = session(ids);
      expect(batchVerifyPartialSigs(claims, values)).toBe(true);
      expect(findInvalidPartialSigs(claims, values)).toEqual([]);
      const bad = rng.shuffle(ids.map((_id, k) => k)).slice(0, rng.int(ids.length + 1)).sort((a, b) => a - b);
      const tampered = claims.map((c, k) => (bad.includes(k) ? { ...c, s: (c.s + 1n + BigInt(rng.int(1000))) % N } : c));
      const oneByOne = tampered.flatMap((c, k) => (verifyPartialSigPoints(c.s, c.R1, c.R2, c.P, c.lambda, values.Q, values.gacc, values.b, values.R, values.e) ? [] : [k]));
      expect(oneByOne).toEqual(bad);
      expect(findInvalidPartialSigs(tampered, values)).toEqual(bad);
      // Told that one is invalid (the aggregate failed), it still names only the invalid ones.
      if (bad.length > 0) expect(findInvalidPartialSigs(tampered, values, true)).toEqual(bad);
      expect(findInvalidPartialSigs(claims, values, true)).toEqual([]);
      expect(batchVerifyPartialSigs(tampered, values)).toBe(bad.length === 0);
    }
  });
});
