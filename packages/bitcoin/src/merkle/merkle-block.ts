import { ByteWriter } from '../bytes.js';
import { HEADER_SIZE } from '../header/codec.js';
import { MerkleError } from './errors.js';
import { hashNode } from './hash.js';

/**
 * Builds merkle blocks (Core's CMerkleBlock, what `gettxoutproof` returns): header ‖ u32 nTx ‖ varint n ‖ hashes ‖
 * varint nBytes ‖ flag bits LSB-first, traversed the way Core's CPartialMerkleTree constructor does, so
 * verifyMerkleBlockProof accepts them. The tree's levels are hashed once; each proof then walks only its paths.
 * The one builder of the project: the devnet node's `gettxoutproof` and the deposit indexer's proofs both use it.
 */
export function merkleBlockProver(header: Uint8Array, txids: readonly Uint8Array[]): (matches: number | Iterable<number>) => Uint8Array {
  if (!(header instanceof Uint8Array) || header.length !== HEADER_SIZE) throw new MerkleError('bad-proof', `header must be ${HEADER_SIZE} bytes`);
  if (txids.length === 0) throw new MerkleError('empty', 'a block has at least one transaction');
  const n = txids.length;
  const width = (height: number): number => Math.floor((n + 2 ** height - 1) / 2 ** height);
  let treeHeight = 0;
  while (width(treeHeight) > 1) treeHeight++;
  // Each level's hashes (level 0 = txids), with Core's duplicate-last-node rule.
  const levels: Uint8Array[][] = [txids.slice()];
  for (let h = 1; h <= treeHeight; h++) {
    const below = levels[h - 1]!;
    const level: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) level.push(hashNode(below[i]!, below[i + 1] ?? below[i]!));
    levels.push(level);
  }
  return (matches) => {
    const indexes = typeof matches === 'number' ? [matches] : [...matches];
    for (const index of indexes) {
      if (!Number.isInteger(index) || index < 0 || index >= n) throw new MerkleError('bad-proof', `transaction index ${index} outside 0..${n - 1}`);
    }
    // A node is a parent of a match when a matched leaf lies under it; only those are descended into.
    const parentOfMatch: Set<number>[] = Array.from({ length: treeHeight + 1 }, () => new Set<number>());
    for (const index of indexes) for (let h = 0; h <= treeHeight; h++) parentOfMatch[h]!.add(Math.floor(index / 2 ** h));
    const bits: boolean[] = [];
    const hashes: Uint8Array[] = [];
    const traverse = (h: number, pos: number): void => {
      const descend = parentOfMatch[h]!.has(pos);
      bits.push(descend);
      if (h === 0 || !descend) {
        hashes.push(levels[h]![pos]!);
        return;
      }
      traverse(h - 1, pos * 2);
      if (pos * 2 + 1 < width(h - 1)) traverse(h - 1, pos * 2 + 1);
    };
    traverse(treeHeight, 0);
    const flags = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((bit, i) => {
      if (bit) flags[i >> 3]! |= 1 << (i & 7);
    });
    const w = new ByteWriter().bytes(header).u32le(n).varint(hashes.length);
    for (const hash of hashes) w.bytes(hash);
    return w.varBytes(flags).finish();
  };
}

/** The merkle block proving the transactions at `matches` of a block with these txids (internal byte order). */
export function buildMerkleBlock(header: Uint8Array, txids: readonly Uint8Array[], matches: number | Iterable<number>): Uint8Array {
  return merkleBlockProver(header, txids)(matches);
}
