/**
 * The hot curve operations on libsecp256k1 (tiny-secp256k1: libsecp256k1 compiled to WebAssembly).
 * In bigint arithmetic a point decoding (one square root) costs ~90 µs of CPU and a constant-time
 * k·P ~2 ms; libsecp256k1 does them in ~45 µs and ~0.25 ms here, which is what makes 667-signer
 * sessions and a 1,000-participant ChillDKG affordable. Results are the same group elements as
 * noble's (the property tests in test/native.test.ts compare them), so every byte on the wire is
 * unchanged. Scalar multiplications here are libsecp256k1's constant-time ones (ecmult_gen,
 * ecmult_const), so they are used for secret scalars too.
 */
import * as ecc from 'tiny-secp256k1';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { FrostInputError } from '../errors.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { GroupElement } from './point.js';

// Not from point.ts, which imports this module (point decoding is done here).
const Point = secp256k1.Point;

const P_FIELD: bigint = Point.Fp.ORDER;
const N_ORDER: bigint = Point.Fn.ORDER;

/** An affine point, as the batched arithmetic in batch.ts uses it. */
export interface AffineXY {
  readonly x: bigint;
  readonly y: bigint;
}

/**
 * Decodes a 33-byte compressed point to affine (x, y) with libsecp256k1's square root. Same
 * acceptance rules and errors as pointFromCompressed: wrong length, bad prefix, x ≥ p, not on the curve.
 */
export function decompressNative(bytes: Uint8Array, what = 'point'): AffineXY {
  if (bytes.length !== 33) throw new FrostInputError(`${what} must be 33 bytes, got ${bytes.length}`);
  const prefix = bytes[0];
  if (prefix !== 0x02 && prefix !== 0x03) throw new FrostInputError(`${what} has an invalid prefix`);
  const x = bytesToNumberBE(bytes.subarray(1));
  if (x >= P_FIELD) throw new FrostInputError(`${what} x-coordinate exceeds the field size`);
  let full: Uint8Array;
  try {
    full = ecc.pointCompress(bytes, false);
  } catch {
    throw new FrostInputError(`${what} is not on the curve`);
  }
  return { x, y: bytesToNumberBE(full.subarray(33, 65)) };
}

/** The 65-byte uncompressed encoding libsecp256k1 parses without a square root. */
export function uncompressedOf(a: AffineXY): Uint8Array {
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(numberToBytesBE(a.x, 32), 1);
  out.set(numberToBytesBE(a.y, 32), 33);
  return out;
}

function affineOfUncompressed(bytes: Uint8Array): AffineXY {
  return { x: bytesToNumberBE(bytes.subarray(1, 33)), y: bytesToNumberBE(bytes.subarray(33, 65)) };
}

/** k·G for 0 < k < n, constant time (libsecp256k1 ecmult_gen); 33-byte compressed. */
export function mulGenCompressed(k: bigint): Uint8Array {
  if (k <= 0n || k >= N_ORDER) throw new FrostInputError('scalar must be in 1..n-1');
  const kb = numberToBytesBE(k, 32);
  try {
    return ecc.pointFromScalar(kb, true) as Uint8Array;
  } finally {
    kb.fill(0);
  }
}

/** k·G as a noble point for 0 ≤ k < n (constant time); the identity for k = 0. */
export function mulGen(k: bigint): GroupElement {
  if (k === 0n) return Point.ZERO;
  return Point.fromBytes(mulGenUncompressed(k));
}

function mulGenUncompressed(k: bigint): Uint8Array {
  if (k <= 0n || k >= N_ORDER) throw new FrostInputError('scalar must be in 1..n-1');
  const kb = numberToBytesBE(k, 32);
  try {
    return ecc.pointFromScalar(kb, false) as Uint8Array;
  } finally {
    kb.fill(0);
  }
}

/**
 * k·A for an affine point and 0 ≤ k < n, constant time in k (libsecp256k1 ecmult_const); null for
 * the point at infinity (k = 0).
 */
export function mulAffine(a: AffineXY, k: bigint): AffineXY | null {
  if (k < 0n || k >= N_ORDER) throw new FrostInputError('scalar must be in 0..n-1');
  if (k === 0n) return null;
  const kb = numberToBytesBE(k, 32);
  try {
    const out = ecc.pointMultiply(uncompressedOf(a), kb, false);
    return out === null ? null : affineOfUncompressed(out);
  } finally {
    kb.fill(0);
  }
}

/** k·P for a noble point (constant time in k); the identity for k = 0 or P = infinity. */
export function mulPoint(P: GroupElement, k: bigint): GroupElement {
  if (P.is0()) return Point.ZERO;
  const out = mulAffine(P.toAffine(), k);
  return out === null ? Point.ZERO : Point.fromAffine(out);
}
