import { equalBytes } from '../bytes.js';
import { MerkleError } from '../merkle/errors.js';
import { computeMerkleRoot } from '../merkle/root.js';
import { checkWitnessCommitment } from '../merkle/witness.js';
import { BlockValidationError, type BlockErrorCode } from './errors.js';
import type { Block } from './parse.js';

export interface BlockCommitments {
  /** Whether the coinbase carried a witness commitment (false for a block without witness data). */
  hasWitnessCommitment: boolean;
}

/**
 * Checks that the block's transactions are the ones its header commits to: the txid merkle root (and
 * that it is not CVE-2012-2459 mutated), then the BIP141 witness commitment. Throws BlockValidationError
 * with Core's reject reason.
 */
export function checkBlockCommitments(block: Block): BlockCommitments {
  const { txs } = block;
  if (txs.length === 0) throw new BlockValidationError('bad-blk-length', 'block has no transactions');
  const coinbaseInput = txs[0]!.inputs;
  // A coinbase spends the null outpoint; without it this is not a block body at all.
  if (coinbaseInput.length !== 1 || coinbaseInput[0]!.prevout.vout !== 0xffffffff || coinbaseInput[0]!.prevout.txid.some((b) => b !== 0))
    throw new BlockValidationError('bad-cb-missing', 'first transaction is not a coinbase');
  const { root, mutated } = computeMerkleRoot(txs.map((tx) => tx.txid));
  if (!equalBytes(root, block.header.merkleRoot)) throw new BlockValidationError('bad-txnmrklroot', 'transactions do not hash to the header merkle root');
  if (mutated) throw new BlockValidationError('bad-txns-duplicate', 'duplicate transaction in the merkle tree (CVE-2012-2459)');
  try {
    return { hasWitnessCommitment: checkWitnessCommitment(txs, txs.map((tx) => tx.wtxid)) };
  } catch (e) {
    if (e instanceof MerkleError) throw new BlockValidationError(witnessErrorCode(e), e.message);
    throw e;
  }
}

export interface BlockCommitmentStatus {
  merkleRootValid: boolean;
  /** Whether the coinbase carries a witness commitment and it matches (false if absent). */
  witnessCommitmentValid: boolean;
  /** Core's reject reason for each failed check, in check order. */
  errors: { code: BlockErrorCode; message: string }[];
}

/** Both checks run and reported independently, for tools that show a verdict rather than stop at the first failure. */
export function blockCommitmentStatus(block: Block): BlockCommitmentStatus {
  const errors: BlockCommitmentStatus['errors'] = [];
  let merkleRootValid = false;
  let witnessCommitmentValid = false;
  if (block.txs.length === 0) errors.push({ code: 'bad-blk-length', message: 'block has no transactions' });
  else {
    const { root, mutated } = computeMerkleRoot(block.txs.map((tx) => tx.txid));
    merkleRootValid = equalBytes(root, block.header.merkleRoot) && !mutated;
    if (!equalBytes(root, block.header.merkleRoot)) errors.push({ code: 'bad-txnmrklroot', message: 'transactions do not hash to the header merkle root' });
    else if (mutated) errors.push({ code: 'bad-txns-duplicate', message: 'duplicate transaction in the merkle tree (CVE-2012-2459)' });
    try {
      witnessCommitmentValid = checkWitnessCommitment(block.txs, block.txs.map((tx) => tx.wtxid));
    } catch (e) {
      if (!(e instanceof MerkleError)) throw e;
      errors.push({ code: witnessErrorCode(e), message: e.message });
    }
  }
  return { merkleRootValid, witnessCommitmentValid, errors };
}

function witnessErrorCode(e: MerkleError): BlockErrorCode {
  return e.code === 'witness-nonce-size' ? 'bad-witness-nonce-size' : e.code === 'unexpected-witness' ? 'unexpected-witness' : 'bad-witness-merkle-match';
}
