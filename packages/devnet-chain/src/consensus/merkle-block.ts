import { ByteWriter, concatBytes, sha256d } from '@tapbridge/bitcoin';

// The bitcoin package parses and verifies merkle blocks; the node is the one place that builds them.

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
