import { equalBytes, hexToHash } from '../bytes.js';
import { MerkleError } from './errors.js';
import { hashNode } from './hash.js';

/** Sibling hashes from leaf `index` up to the root (the path an SPV client folds). */
export function computeMerkleBranch(hashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= hashes.length)
    throw new MerkleError('index-out-of-range', `leaf index ${index} outside 0..${hashes.length - 1}`);
  const branch: Uint8Array[] = [];
  let level = hashes.slice();
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    branch.push(level[sibling < level.length ? sibling : i]!);
    const next: Uint8Array[] = [];
    for (let k = 0; k < level.length; k += 2) next.push(hashNode(level[k]!, level[k + 1 < level.length ? k + 1 : k]!));
    level = next;
    i >>= 1;
  }
  return branch;
}

/** Folds a leaf up its branch: bit k of `index` says whether the node is a right child at level k. */
export function merkleRootFromBranch(leaf: Uint8Array, branch: readonly Uint8Array[], index: number): Uint8Array {
  if (leaf.length !== 32) throw new MerkleError('bad-proof', 'leaf must be a 32-byte hash');
  if (!Number.isInteger(index) || index < 0 || (branch.length < 31 && index >= 2 ** branch.length))
    throw new MerkleError('index-out-of-range', `index ${index} does not fit a branch of ${branch.length} levels`);
  let node = leaf;
  let i = index;
  for (const sibling of branch) {
    if (sibling.length !== 32) throw new MerkleError('bad-proof', 'branch hashes must be 32 bytes');
    node = i & 1 ? hashNode(sibling, node) : hashNode(node, sibling);
    i = Math.floor(i / 2);
  }
  return node;
}

/** Tree depth for `txCount` leaves: the branch length every valid proof in that block has. */
export function merkleTreeDepth(txCount: number): number {
  let depth = 0;
  while (2 ** depth < txCount) depth++;
  return depth;
}

export interface MerkleBranchCheck {
  /** Internal byte order. */
  leaf: Uint8Array;
  branch: readonly Uint8Array[];
  index: number;
  root: Uint8Array;
  /**
   * Transactions in the block, when known. Pinning the depth stops a 64-byte transaction from being
   * passed off as an inner node (the "leaf-node weakness" of Bitcoin's merkle tree).
   */
  txCount?: number;
}

/** Throws MerkleError unless the branch proves `leaf` at `index` under `root`. */
export function verifyMerkleBranch(check: MerkleBranchCheck): void {
  const { leaf, branch, index, root, txCount } = check;
  if (txCount !== undefined) {
    if (!Number.isInteger(txCount) || txCount < 1) throw new MerkleError('empty', 'a block has at least one transaction');
    if (index >= txCount) throw new MerkleError('index-out-of-range', `index ${index} outside a block of ${txCount} transactions`);
    const depth = merkleTreeDepth(txCount);
    if (branch.length !== depth) throw new MerkleError('bad-proof', `branch has ${branch.length} levels, a block of ${txCount} has ${depth}`);
  }
  if (!equalBytes(merkleRootFromBranch(leaf, branch, index), root)) throw new MerkleError('root-mismatch', 'branch does not lead to the merkle root');
}

/** Esplora `/tx/:txid/merkle-proof` (Electrum get_merkle shape): siblings leaf → root in display hex. */
export interface EsploraMerkleProof {
  block_height: number;
  merkle: string[];
  pos: number;
}

/** Verifies an Esplora merkle proof for `txid` (display hex) against a header's merkle root (internal order). */
export function verifyEsploraMerkleProof(proof: EsploraMerkleProof, txid: string, merkleRoot: Uint8Array, txCount?: number): void {
  if (proof === null || typeof proof !== 'object' || !Array.isArray(proof.merkle) || !Number.isInteger(proof.pos))
    throw new MerkleError('bad-proof', 'proof must be {block_height, merkle[], pos}');
  verifyMerkleBranch({
    leaf: hexToHash(txid),
    branch: proof.merkle.map((h) => hexToHash(h)),
    index: proof.pos,
    root: merkleRoot,
    ...(txCount === undefined ? {} : { txCount }),
  });
}
