import { randomBytes } from 'node:crypto';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '@ethereumjs/util';
import { describe, expect, it } from 'vitest';
import { orderedTrieRoot } from '../src/ordered-trie.js';

async function mptRoot(values: Uint8Array[]): Promise<string> {
  const trie = new MerklePatriciaTrie();
  for (const [i, v] of values.entries()) await trie.put(RLP.encode(i), v);
  return bytesToHex(trie.root());
}

describe('orderedTrieRoot', () => {
  // Sizes around the RLP key-length steps (1 byte below 128, 2 below 256, 3 above) and the branch fan-out (16).
  it.each([0, 1, 2, 3, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 1500])('equals @ethereumjs/mpt for %i entries', async (count) => {
    // Short values make nodes shorter than 32 bytes, which are embedded rather than hashed.
    const values = Array.from({ length: count }, (_, i) => randomBytes(i % 3 === 0 ? 1 + (i % 5) : 20 + (i % 90)));
    expect(bytesToHex(orderedTrieRoot(values))).toBe(await mptRoot(values));
  });

  it('equals @ethereumjs/mpt for single-byte values (all leaves embedded)', async () => {
    const values = Array.from({ length: 300 }, (_, i) => Uint8Array.of(i & 0xff));
    expect(bytesToHex(orderedTrieRoot(values))).toBe(await mptRoot(values));
  });
});
