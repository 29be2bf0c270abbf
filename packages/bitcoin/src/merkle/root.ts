import { MerkleError } from './errors.js';
import { hash256 } from './hash.js';

export interface MerkleRootResult {
  /** Internal byte order. Zero for an empty list, as Core returns. */
  root: Uint8Array;
  /**
   * True when some level has two equal adjacent hashes (CVE-2012-2459): the same root could then be
   * produced by a different transaction list, so a block with this property is rejected as mutated.
   */
  mutated: boolean;
}

function sameHash(buf: Uint8Array, a: number, b: number): boolean {
  for (let k = 0; k < 32; k++) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

/** Core's ComputeMerkleRoot: pairwise SHA256d, the last hash of an odd level paired with itself. */
export function computeMerkleRoot(hashes: readonly Uint8Array[]): MerkleRootResult {
  const n = hashes.length;
  if (n === 0) return { root: new Uint8Array(32), mutated: false };
  // Levels live in one flat buffer each: fewer allocations than arrays of 32-byte views.
  let level = new Uint8Array(n * 32);
  hashes.forEach((h, i) => {
    if (h.length !== 32) throw new MerkleError('bad-proof', `hash ${i} is ${h.length} bytes, not 32`);
    level.set(h, i * 32);
  });
  let count = n;
  let mutated = false;
  const pair = new Uint8Array(64);
  while (count > 1) {
    const nextCount = (count + 1) >> 1;
    const next = new Uint8Array(nextCount * 32);
    for (let i = 0; i < nextCount; i++) {
      const left = i * 64;
      if (2 * i + 1 < count) {
        if (sameHash(level, left, left + 32)) mutated = true;
        // Adjacent siblings are already contiguous: hash them in place.
        next.set(hash256(level.subarray(left, left + 64)), i * 32);
      } else {
        pair.set(level.subarray(left, left + 32), 0);
        pair.set(level.subarray(left, left + 32), 32);
        next.set(hash256(pair), i * 32);
      }
    }
    level = next;
    count = nextCount;
  }
  return { root: level.slice(0, 32), mutated };
}
