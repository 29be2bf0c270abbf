import { equalBytes } from '../bytes.js';
import { MerkleError } from '../merkle/errors.js';
import { computeMerkleRoot } from '../merkle/root.js';
import { checkWitnessCommitment } from '../merkle/witness.js';
import { BlockValidationError, type BlockErrorCode } from './errors.js';
import type { Block } from './parse.js';

export interface BlockCommitmentStatus {
  /** The txids hash to the header's merkle root and the tree is not CVE-2012-2459 mutated. */
  merkleRootValid: boolean;
  /** The coinbase carries a witness commitment and it matches (false if absent). */
  witnessCommitmentValid: boolean;
  hasWitnessCommitment: boolean;
  /** Core's reject reason for each failed check, in check order; empty for a consistent block. */
  errors: { code: BlockErrorCode; message: string }[];
}

function witnessErrorCode(e: MerkleError): BlockErrorCode {
  return e.code === 'witness-nonce-size' ? 'bad-witness-nonce-size' : e.code === 'unexpected-witness' ? 'unexpected-witness' : 'bad-witness-merkle-match';
}

function isCoinbase(block: Block): boolean {
  const inputs = block.txs[0]?.inputs;
  // A coinbase spends the null outpoint: all-zero txid, index 0xffffffff.
  return inputs !== undefined && inputs.length === 1 && inputs[0]!.prevout.vout === 0xffffffff && inputs[0]!.prevout.txid.every((b) => b === 0);
}

/**
 * Checks that the block's transactions are the ones its header commits to: the txid merkle root (and
 * that it is not CVE-2012-2459 mutated), then the BIP141 witness commitment. Both checks run and are
 * reported independently, for tools that show a verdict rather than stop at the first failure.
 */
export function blockCommitmentStatus(block: Block): BlockCommitmentStatus {
  const errors: BlockCommitmentStatus['errors'] = [];
  const status = { merkleRootValid: false, witnessCommitmentValid: false, hasWitnessCommitment: false, errors };
  if (block.txs.length === 0) {
    errors.push({ code: 'bad-blk-length', message: 'block has no transactions' });
    return status;
  }
  if (!isCoinbase(block)) errors.push({ code: 'bad-cb-missing', message: 'first transaction is not a coinbase' });
  const { root, mutated } = computeMerkleRoot(block.txs.map((tx) => tx.txid));
  if (!equalBytes(root, block.header.merkleRoot)) errors.push({ code: 'bad-txnmrklroot', message: 'transactions do not hash to the header merkle root' });
  else if (mutated) errors.push({ code: 'bad-txns-duplicate', message: 'duplicate transaction in the merkle tree (CVE-2012-2459)' });
  else status.merkleRootValid = true;
  try {
    status.hasWitnessCommitment = checkWitnessCommitment(block.txs, block.txs.map((tx) => tx.wtxid));
    status.witnessCommitmentValid = status.hasWitnessCommitment;
  } catch (e) {
    if (!(e instanceof MerkleError)) throw e;
    errors.push({ code: witnessErrorCode(e), message: e.message });
  }
  return status;
}

export interface BlockCommitments {
  /** Whether the coinbase carried a witness commitment (false for a block without witness data). */
  hasWitnessCommitment: boolean;
}

/** Throws BlockValidationError with Core's reject reason for the first failed commitment check. */
export function checkBlockCommitments(block: Block): BlockCommitments {
  const status = blockCommitmentStatus(block);
  const first = status.errors[0];
  if (first !== undefined) throw new BlockValidationError(first.code, first.message);
  return { hasWitnessCommitment: status.hasWitnessCommitment };
}
