import { buildMerkleBlock } from '@tapbridge/bitcoin';

/** CMerkleBlock serialization as `gettxoutproof` returns it, built by packages/bitcoin's one merkle-block builder. */
export function encodeMerkleBlock(header: Uint8Array, txids: readonly Uint8Array[], matches: ReadonlySet<number>): Uint8Array {
  return buildMerkleBlock(header, txids, matches);
}
