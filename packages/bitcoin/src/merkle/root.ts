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
  while (count > 1) {
    for (let pos = 0; pos + 1 < count; pos += 2) {
      if (Buffer.compare(level.subarray(pos * 32, pos * 32 + 32), level.subarray(pos * 32 + 32, pos * 32 + 64)) === 0) mutated = true;
    }
    const nextCount = (count + 1) >> 1;
    const next = new Uint8Array(nextCount * 32);
    const pair = new Uint8Array(64);
    for (let i = 0; i < nextCount; i++) {
      const left = 2 * i;
      const right = left + 1 < count ? left + 1 : left;
      pair.set(level.subarray(left * 32, left * 32 + 32), 0);
      pair.set(level.subarray(right * 32, right * 32 + 32), 32);
      next.set(hash256(pair), i * 32);
    }
    level = next;
    count = nextCount;
  }
  return { root: level.slice(0, 32), mutated };
}
