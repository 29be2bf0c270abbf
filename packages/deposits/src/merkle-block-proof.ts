import { ByteWriter, HEADER_SIZE, bytesToHex, concatBytes, sha256d } from '@tapbridge/bitcoin';

/**
 * Merkle blocks for one block (Core's CMerkleBlock, what `gettxoutproof` returns): header ‖ u32 nTx ‖ varint n ‖
 * hashes ‖ varint nBytes ‖ flag bits LSB-first, built the way Core's CPartialMerkleTree constructor builds them,
 * so packages/bitcoin's verifyMerkleBlockProof checks them. The tree's levels are hashed once per block; each
 * proof then only walks one path.
 */
export function merkleBlockProver(header: Uint8Array, txids: readonly Uint8Array[]): (index: number) => Uint8Array {
  if (!(header instanceof Uint8Array) || header.length !== HEADER_SIZE) throw new RangeError(`header must be ${HEADER_SIZE} bytes`);
  if (txids.length === 0) throw new RangeError('a block has at least one transaction');
  const n = txids.length;
  const width = (height: number): number => Math.floor((n + 2 ** height - 1) / 2 ** height);
  let height = 0;
  while (width(height) > 1) height++;
  // Each level's hashes (level 0 = txids), with Core's duplicate-last-node rule.
  const levels: Uint8Array[][] = [txids.slice()];
  for (let h = 1; h <= height; h++) {
    const below = levels[h - 1]!;
    const level: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) level.push(sha256d(concatBytes(below[i]!, below[i + 1] ?? below[i]!)));
    levels.push(level);
  }
  return (index) => {
    if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`index ${index} outside 0..${n - 1}`);
    const bits: boolean[] = [];
    const hashes: Uint8Array[] = [];
    // A node is a parent of the match when the match's leaf lies under it; only those are descended into.
    const traverse = (h: number, pos: number): void => {
      const parentOfMatch = Math.floor(index / 2 ** h) === pos;
      bits.push(parentOfMatch);
      if (h === 0 || !parentOfMatch) {
        hashes.push(levels[h]![pos]!);
        return;
      }
      traverse(h - 1, pos * 2);
      if (pos * 2 + 1 < width(h - 1)) traverse(h - 1, pos * 2 + 1);
    };
    traverse(height, 0);
    const flags = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((bit, i) => {
      if (bit) flags[i >> 3]! |= 1 << (i & 7);
    });
    const w = new ByteWriter().bytes(header).u32le(n).varint(hashes.length);
    for (const hash of hashes) w.bytes(hash);
    return w.varBytes(flags).finish();
  };
}

/** The merkle block proving the transaction at `index` of a block with these txids (internal byte order). */
export const buildMerkleBlockProof = (header: Uint8Array, txids: readonly Uint8Array[], index: number): Uint8Array => merkleBlockProver(header, txids)(index);

export const buildMerkleBlockProofHex = (header: Uint8Array, txids: readonly Uint8Array[], index: number): string =>
  bytesToHex(buildMerkleBlockProof(header, txids, index));
