/**
 * Scalars mod the secp256k1 group order n, with the decoding rules the specs use
 * (BIP340 "Notation", secp256k1lab `Scalar.from_bytes_*`).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { FrostInputError } from '../errors.js';

/** The scalar field Z_n with n = secp256k1 group order. */
export const Fn = secp256k1.Point.Fn;
/** The group order n. */
export const N: bigint = Fn.ORDER;

/** int(b) mod n: the "wrapping" decoding used for hash outputs. */
export function scalarFromBytesWrapping(bytes: Uint8Array): bigint {
  return Fn.create(bytesToNumberBE(bytes));
}

/** int(b), failing unless 0 <= int(b) < n (secp256k1lab `from_bytes_checked`). */
export function scalarFromBytesChecked(bytes: Uint8Array, what = 'scalar'): bigint {
  if (bytes.length !== 32) throw new FrostInputError(`${what} must be 32 bytes, got ${bytes.length}`);
  const x = bytesToNumberBE(bytes);
  if (x >= N) throw new FrostInputError(`${what} is not below the group order`);
  return x;
}

/** int(b), failing unless 0 < int(b) < n (secp256k1lab `from_bytes_nonzero_checked`). */
export function scalarFromBytesNonzeroChecked(bytes: Uint8Array, what = 'scalar'): bigint {
  const x = scalarFromBytesChecked(bytes, what);
  if (x === 0n) throw new FrostInputError(`${what} is zero`);
  return x;
}

/** bytes(32, x) big-endian. */
export function scalarToBytes(x: bigint): Uint8Array {
  return numberToBytesBE(x, 32);
}

/** True iff 0 < int(b) < n for a 32-byte b, without throwing. */
export function isValidNonzeroScalar(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  const x = bytesToNumberBE(bytes);
  return x > 0n && x < N;
}
