import { bytesToHex, merkleBlockProver } from '@tapbridge/bitcoin';

// The builder itself is packages/bitcoin's (merkle/merkle-block.ts), shared with the devnet node's gettxoutproof.
export { merkleBlockProver };

/** The merkle block proving the transaction at `index` of a block with these txids (internal byte order). */
export const buildMerkleBlockProof = (header: Uint8Array, txids: readonly Uint8Array[], index: number): Uint8Array => merkleBlockProver(header, txids)(index);

export const buildMerkleBlockProofHex = (header: Uint8Array, txids: readonly Uint8Array[], index: number): string =>
  bytesToHex(buildMerkleBlockProof(header, txids, index));
