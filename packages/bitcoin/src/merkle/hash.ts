import crypto from 'node:crypto';

type OneShot = (alg: string, data: Uint8Array, enc: 'buffer') => Buffer;
// crypto.hash (Node ≥ 20.12) skips the Hash object that createHash builds; a block needs tens of
// thousands of small hashes (txids, wtxids, two merkle trees), where that overhead dominates.
const oneShot: OneShot | undefined = (crypto as { hash?: OneShot }).hash;

function digest(data: Uint8Array): Buffer {
  return oneShot ? oneShot('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest();
}

/** Plain Uint8Array view, so results compare equal to the other hashes in this package. */
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

export function sha256Fast(data: Uint8Array): Uint8Array {
  return view(digest(data));
}

/** SHA256(SHA256(data)). */
export function hash256(data: Uint8Array): Uint8Array {
  return view(digest(digest(data)));
}

/** SHA256d(left ‖ right): one inner merkle node. */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return hash256(buf);
}
