/**
 * Host keys: each party's long-lived secp256k1 key. It is ChillDKG's host key (encryption and certificate) and
 * authenticates every protocol message (BIP340 under a tapbridge-specific tag, so neither use can be replayed as
 * the other).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hostpubkeyGen } from '@tapbridge/frost';
import { randomBytes } from '@noble/hashes/utils.js';

/** A fresh valid host secret key (32 bytes). */
export function generateHostKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey(randomBytes(48));
}

/** The compressed (33-byte) host public key, as ChillDKG lists it. */
export function hostPublicKey(hostSeckey: Uint8Array): Uint8Array {
  return hostpubkeyGen(hostSeckey);
}

/** The x-only (BIP340) form of a compressed host public key. */
export function xonlyHostKey(hostPubkey: Uint8Array): Uint8Array {
  if (hostPubkey.length === 32) return hostPubkey;
  if (hostPubkey.length !== 33) throw new RangeError('a host public key is 33 bytes (compressed) or 32 (x-only)');
  return hostPubkey.subarray(1);
}
