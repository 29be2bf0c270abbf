import { ByteWriter, concatBytes, sha256d } from '@tapbridge/bitcoin';

/** Core's ComputeMerkleRoot: pairs hashed with SHA256d, an odd last node paired with itself. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError('a merkle tree needs at least one leaf');
  let level = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return level[0]!;
}

/** Sibling hashes from leaf `pos` up to the root (Esplora's /tx/:txid/merkle-proof `merkle`). */
export function merkleBranch(leaves: readonly Uint8Array[], pos: number): Uint8Array[] {
  if (!Number.isInteger(pos) || pos < 0 || pos >= leaves.length) throw new RangeError(`leaf ${pos} is not in a tree of ${leaves.length}`);
  const branch: Uint8Array[] = [];
  let level = leaves.slice();
  let index = pos;
  while (level.length > 1) {
    branch.push(level[index ^ 1] ?? level[index]!);
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
    index >>= 1;
  }
  return branch;
}

/**
 * CMerkleBlock serialization as `gettxoutproof` returns it: header, transaction count, then the partial
 * merkle tree (Core's CPartialMerkleTree: depth-first hashes and flag bits, least significant bit first).
 */
export function encodeMerkleBlock(header: Uint8Array, txids: readonly Uint8Array[], matches: ReadonlySet<number>): Uint8Array {
  const nTx = txids.length;
  const width = (height: number): number => (nTx + (1 << height) - 1) >> height;
  const hashAt = (height: number, pos: number): Uint8Array => {
    if (height === 0) return txids[pos]!;
    const left = hashAt(height - 1, pos * 2);
    const right = pos * 2 + 1 < width(height - 1) ? hashAt(height - 1, pos * 2 + 1) : left;
    return sha256d(concatBytes(left, right));
  };
  const bits: boolean[] = [];
  const hashes: Uint8Array[] = [];
  const traverse = (height: number, pos: number): void => {
    let parentOfMatch = false;
    for (let p = pos << height; p < (pos + 1) << height && p < nTx; p++) if (matches.has(p)) parentOfMatch = true;
    bits.push(parentOfMatch);
    if (height === 0 || !parentOfMatch) {
      hashes.push(hashAt(height, pos));
      return;
    }
    traverse(height - 1, pos * 2);
    if (pos * 2 + 1 < width(height - 1)) traverse(height - 1, pos * 2 + 1);
  };
  let height = 0;
  while (width(height) > 1) height++;
  traverse(height, 0);

  const flags = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, p) => {
    if (bit) flags[p >> 3]! |= 1 << (p & 7);
  });
  const w = new ByteWriter().bytes(header).u32le(nTx).varint(hashes.length);
  for (const h of hashes) w.bytes(h);
  return w.varBytes(flags).finish();
}
