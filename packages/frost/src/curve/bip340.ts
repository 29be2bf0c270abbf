/**
 * BIP340 Schnorr signatures, with the tag prefix parameterised as in secp256k1lab
 * (`tag_prefix`): ChillDKG signs its proofs of possession under "BIP DKG/pop message" so they can
 * never be replayed as ordinary BIP340 signatures. With the default prefix this is plain BIP340.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { FrostInputError } from '../errors.js';
import * as ecc from 'tiny-secp256k1';
import { mulGen, mulPoint } from './native.js';
import { type GroupElement, hasEvenY, Point, pointFromXonly, pointToXonly } from './point.js';
import { N, scalarFromBytesWrapping, scalarToBytes } from './scalar.js';
import { taggedHash } from './tagged-hash.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';

const FIELD_P: bigint = Point.Fp.ORDER;

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** BIP340 "Default Signing", tags `${tagPrefix}/aux|nonce|challenge`. */
export function schnorrSign(msg: Uint8Array, seckey: Uint8Array, auxRand: Uint8Array = randomBytes(32), tagPrefix = 'BIP0340'): Uint8Array {
  if (seckey.length !== 32) throw new FrostInputError('The secret key must be 32 bytes.');
  const d0 = bytesToNumberBE(seckey);
  if (d0 <= 0n || d0 >= N) throw new FrostInputError('The secret key must be an integer in the range 1..n-1.');
  if (auxRand.length !== 32) throw new FrostInputError('aux_rand must be 32 bytes.');
  const P = mulGen(d0);
  const d = hasEvenY(P) ? d0 : N - d0;
  const t = xor(scalarToBytes(d), taggedHash(`${tagPrefix}/aux`, auxRand));
  const Px = pointToXonly(P);
  const k0 = scalarFromBytesWrapping(taggedHash(`${tagPrefix}/nonce`, t, Px, msg));
  if (k0 === 0n) throw new Error('BIP340 nonce is zero (negligible probability)');
  const R = mulGen(k0);
  const k = hasEvenY(R) ? k0 : N - k0;
  const Rx = pointToXonly(R);
  const e = scalarFromBytesWrapping(taggedHash(`${tagPrefix}/challenge`, Rx, Px, msg));
  const sig = new Uint8Array(64);
  sig.set(Rx, 0);
  sig.set(scalarToBytes((k + e * d) % N), 32);
  return sig;
}

/** BIP340 "Verification"; returns false for every invalid input except wrong lengths. */
export function schnorrVerify(msg: Uint8Array, pubkey: Uint8Array, sig: Uint8Array, tagPrefix = 'BIP0340'): boolean {
  if (pubkey.length !== 32) throw new FrostInputError('The public key must be a 32-byte array.');
  if (sig.length !== 64) throw new FrostInputError('The signature must be a 64-byte array.');
  let P: GroupElement;
  try {
    P = pointFromXonly(pubkey);
  } catch {
    return false;
  }
  const r = bytesToNumberBE(sig.subarray(0, 32));
  const s = bytesToNumberBE(sig.subarray(32, 64));
  if (r >= FIELD_P || s >= N) return false;
  if (tagPrefix === 'BIP0340' && msg.length === 32) return ecc.verifySchnorr(msg, pubkey, sig);
  const e = scalarFromBytesWrapping(taggedHash(`${tagPrefix}/challenge`, sig.subarray(0, 32), pubkey, msg));
  // R = s·G − e·P with libsecp256k1's multiplications (native.ts).
  const R = mulGen(s).add(mulPoint(P, (N - e) % N));
  if (R.is0() || !hasEvenY(R)) return false;
  return R.toAffine().x === r;
}
