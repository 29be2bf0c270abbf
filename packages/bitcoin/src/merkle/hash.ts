import crypto from 'node:crypto';

// crypto.hash (Node ≥ 20.12) skips the Hash object that createHash builds; merkle trees hash thousands
// of 64-byte nodes per block, where that overhead dominates.
const oneShot: ((alg: string, data: Uint8Array, enc: 'buffer') => Buffer) | undefined = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

export function sha256Fast(data: Uint8Array): Uint8Array {
  const b = oneShot ? oneShot('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest();
  // Hand out plain Uint8Array views so results compare equal to other hashes in this package.
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function hash256(data: Uint8Array): Uint8Array {
  return sha256Fast(sha256Fast(data));
}

/** SHA256d(left ‖ right): one inner merkle node. */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return hash256(buf);
}
