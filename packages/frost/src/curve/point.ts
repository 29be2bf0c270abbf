/**
 * Group elements on secp256k1 and their encodings: compressed (33 bytes), compressed-with-infinity
 * (33 zero bytes encode the point at infinity, BIP327/BIP445 `cbytes_ext`), and x-only (BIP340).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { FrostInputError } from '../errors.js';
import { decompressNative } from './native.js';

export type GroupElement = WeierstrassPoint<bigint>;

export const Point = secp256k1.Point;
/** The generator G. */
export const G: GroupElement = Point.BASE;
/** The point at infinity (group identity). */
export const INFINITY: GroupElement = Point.ZERO;

/**
 * Decode a 33-byte compressed point; throws FrostInputError for any invalid encoding. The square
 * root is libsecp256k1's (native.ts), which has already proved the point is on the curve.
 */
export function pointFromCompressed(bytes: Uint8Array, what = 'point'): GroupElement {
  return Point.fromAffine(decompressNative(bytes, what));
}

/** Decode a 33-byte compressed point where 33 zero bytes encode infinity. */
export function pointFromCompressedWithInfinity(bytes: Uint8Array, what = 'point'): GroupElement {
  if (bytes.length === 33 && bytes.every((b) => b === 0)) return INFINITY;
  return pointFromCompressed(bytes, what);
}

/** Compressed encoding; the caller guarantees P is not infinity. */
export function pointToCompressed(P: GroupElement): Uint8Array {
  if (P.is0()) throw new FrostInputError('the point at infinity has no compressed encoding');
  return P.toBytes(true);
}

/** Compressed encoding with 33 zero bytes for infinity. */
export function pointToCompressedWithInfinity(P: GroupElement): Uint8Array {
  return P.is0() ? new Uint8Array(33) : P.toBytes(true);
}

/** x(P) as 32 bytes (BIP340 `bytes(P)`). */
export function pointToXonly(P: GroupElement): Uint8Array {
  return pointToCompressed(P).subarray(1);
}

/** BIP340 has_even_y(P). */
export function hasEvenY(P: GroupElement): boolean {
  return (P.toAffine().y & 1n) === 0n;
}

/** BIP340 lift_x: the even-y point with the given x-coordinate. */
export function pointFromXonly(bytes: Uint8Array, what = 'x-only public key'): GroupElement {
  if (bytes.length !== 32) throw new FrostInputError(`${what} must be 32 bytes, got ${bytes.length}`);
  const compressed = new Uint8Array(33);
  compressed[0] = 0x02;
  compressed.set(bytes, 1);
  return pointFromCompressed(compressed, what);
}

/** Sum of points (the identity for an empty list). */
export function sumPoints(points: readonly GroupElement[]): GroupElement {
  let acc = INFINITY;
  for (const P of points) acc = acc.add(P);
  return acc;
}

/** k·P allowing k = 0 (public scalars only: not constant time). */
export function mulPublic(P: GroupElement, k: bigint): GroupElement {
  return k === 0n ? INFINITY : P.multiplyUnsafe(k);
}
