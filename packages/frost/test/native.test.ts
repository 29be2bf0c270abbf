/**
 * libsecp256k1 (WebAssembly) against noble's bigint arithmetic: decoding accepts and rejects
 * exactly the same encodings with the same error, and every multiplication gives the same point.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrostInputError,
  G,
  INFINITY,
  N,
  Point,
  decodeCompressedAffine,
  decodeCompressedAffineReference,
  decompressNative,
  mulAffine,
  mulGen,
  mulGenCompressed,
  mulPoint,
  pointToCompressed,
} from '../src/index.js';

const scalar = fc.bigInt({ min: 1n, max: N - 1n });
const P_FIELD = Point.Fp.ORDER;

function outcome(f: () => { x: bigint; y: bigint }): string {
  try {
    const { x, y } = f();
    return `${x.toString(16)},${y.toString(16)}`;
  } catch (e) {
    if (!(e instanceof FrostInputError)) throw e;
    return `error: ${e.message}`;
  }
}

describe('libsecp256k1 paths equal the bigint reference', () => {
  it('decodes every 33-byte string exactly as the reference (valid points, off-curve x, x ≥ p, bad prefixes, wrong lengths)', () => {
    const anyX = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.bigInt({ min: P_FIELD - 5n, max: 2n ** 256n - 1n }), fc.bigInt({ min: 0n, max: 10n }));
    fc.assert(
      fc.property(fc.constantFrom(0x02, 0x03, 0x04, 0x00), anyX, (prefix, x) => {
        const bytes = new Uint8Array(33);
        bytes[0] = prefix;
        bytes.set(Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex')), 1);
        expect(outcome(() => decompressNative(bytes))).toBe(outcome(() => decodeCompressedAffineReference(bytes)));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(scalar, fc.boolean(), (k, neg) => {
        const P = neg ? G.multiply(k).negate() : G.multiply(k);
        const bytes = pointToCompressed(P);
        expect(decodeCompressedAffine(bytes)).toEqual(P.toAffine());
      }),
      { numRuns: 100 },
    );
    for (const len of [0, 32, 34, 65]) {
      const bytes = new Uint8Array(len).fill(2);
      expect(outcome(() => decompressNative(bytes))).toBe(outcome(() => decodeCompressedAffineReference(bytes)));
    }
  });

  it('k·G, k·P and k·A equal noble (including k = 0, k = n − 1 and the point at infinity)', () => {
    fc.assert(
      fc.property(fc.oneof(scalar, fc.constantFrom(1n, 2n, N - 1n)), scalar, (k, p) => {
        const P = G.multiply(p);
        expect(mulGen(k).equals(G.multiply(k))).toBe(true);
        expect(mulGenCompressed(k)).toEqual(pointToCompressed(G.multiply(k)));
        expect(mulPoint(P, k).equals(P.multiply(k))).toBe(true);
        const A = mulAffine(P.toAffine(), k);
        expect(A).toEqual(P.multiply(k).toAffine());
      }),
      { numRuns: 40 },
    );
    expect(mulGen(0n).equals(INFINITY)).toBe(true);
    expect(mulPoint(G, 0n).equals(INFINITY)).toBe(true);
    expect(mulPoint(INFINITY, 5n).equals(INFINITY)).toBe(true);
    expect(mulAffine(G.toAffine(), 0n)).toBeNull();
    expect(() => mulGenCompressed(0n)).toThrow(FrostInputError);
    expect(() => mulGen(N)).toThrow(FrostInputError);
    expect(() => mulPoint(G, N)).toThrow(FrostInputError);
  });
});
