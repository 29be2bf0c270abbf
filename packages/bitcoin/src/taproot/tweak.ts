import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '../bytes.js';
import { TaprootError } from './errors.js';
import { taggedHash } from './tagged-hash.js';

/**
 * BIP341's provably unspendable internal key H = lift_x(SHA256(G uncompressed)): used when only the
 * script paths may spend (the per-deposit address).
 */
export const NUMS_INTERNAL_KEY: Uint8Array = hexToBytes('50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0');

const { Point } = schnorr;
const N = Point.Fn.ORDER;

export interface TaprootTweak {
  /** x-only output key Q, the 32 bytes in the P2TR scriptPubKey. */
  outputKey: Uint8Array;
  /** Parity of Q's y coordinate (the low bit of the control byte). */
  parity: 0 | 1;
  /** t = TapTweak(P ‖ merkle_root), as a 32-byte big-endian scalar. */
  tweak: Uint8Array;
}

export function liftX(xOnly: Uint8Array): ReturnType<typeof schnorr.utils.lift_x> {
  if (!(xOnly instanceof Uint8Array) || xOnly.length !== 32)
    throw new TaprootError(`x-only public key must be 32 bytes, got ${xOnly instanceof Uint8Array ? xOnly.length : typeof xOnly}`);
  try {
    return schnorr.utils.lift_x(BigInt('0x' + bytesToHex(xOnly)));
  } catch {
    throw new TaprootError(`${bytesToHex(xOnly)} is not the x coordinate of a secp256k1 point`);
  }
}

/** Throws unless the bytes are a valid BIP340 x-only public key. */
export function assertXOnlyKey(key: Uint8Array, what = 'x-only public key'): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new TaprootError(`${what} must be 32 bytes`);
  liftX(key);
}

/** BIP341 taproot_tweak_pubkey: Q = lift_x(P) + t·G with t = TapTweak(P ‖ merkle_root?). */
/** lift_x(NUMS), computed once: every deposit output is tweaked from it (otherwise a square root per deposit). */
let numsPoint: ReturnType<typeof liftX> | undefined;
const isNums = (key: Uint8Array) => key instanceof Uint8Array && key.length === 32 && key.every((b, i) => b === NUMS_INTERNAL_KEY[i]);

export function taprootTweak(internalKey: Uint8Array, merkleRoot?: Uint8Array): TaprootTweak {
  const P = isNums(internalKey) ? (numsPoint ??= liftX(NUMS_INTERNAL_KEY)) : liftX(internalKey);
  if (merkleRoot !== undefined && (!(merkleRoot instanceof Uint8Array) || merkleRoot.length !== 32))
    throw new TaprootError('merkle root must be 32 bytes');
  const tweak = merkleRoot === undefined ? taggedHash('TapTweak', internalKey) : taggedHash('TapTweak', internalKey, merkleRoot);
  const t = BigInt('0x' + bytesToHex(tweak));
  if (t >= N) throw new TaprootError('tweak is not below the curve order');
  // t is public (a hash of public data), so the variable-time multiplication is safe and several times cheaper.
  const Q = P.add(Point.BASE.multiplyUnsafe(t));
  if (Q.equals(Point.ZERO)) throw new TaprootError('tweaked key is the point at infinity');
  const { x, y } = Q.toAffine();
  return { outputKey: hexToBytes(x.toString(16).padStart(64, '0')), parity: (y & 1n) === 1n ? 1 : 0, tweak };
}

/**
 * BIP341 taproot_tweak_seckey: the secret key that signs for the output key on the key path. Negates the
 * secret first when its public key has odd y (x-only keys stand for the even-y point).
 */
export function taprootTweakSecretKey(secretKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new TaprootError('secret key must be 32 bytes');
  const d0 = BigInt('0x' + bytesToHex(secretKey));
  if (d0 === 0n || d0 >= N) throw new TaprootError('secret key is out of range');
  const P = Point.BASE.multiply(d0);
  const { x, y } = P.toAffine();
  const d = (y & 1n) === 0n ? d0 : N - d0;
  const internalKey = hexToBytes(x.toString(16).padStart(64, '0'));
  const { tweak } = taprootTweak(internalKey, merkleRoot);
  const tweaked = (d + BigInt('0x' + bytesToHex(tweak))) % N;
  return hexToBytes(tweaked.toString(16).padStart(64, '0'));
}
