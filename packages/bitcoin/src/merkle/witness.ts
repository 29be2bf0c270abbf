import { equalBytes } from '../bytes.js';
import type { Transaction } from '../tx/types.js';
import { MerkleError } from './errors.js';
import { hash256 } from './hash.js';
import { computeMerkleRoot } from './root.js';

/** BIP141 commitment output: OP_RETURN, push 36, 0xaa21a9ed, then the 32-byte commitment. */
export const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);
const MIN_COMMITMENT_SCRIPT_SIZE = 38;

/** Witness merkle root: the wtxid tree with the coinbase's wtxid taken as zero (BIP141). */
export function computeWitnessMerkleRoot(wtxids: readonly Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  if (wtxids.length === 0) throw new MerkleError('empty', 'a block has at least a coinbase');
  return computeMerkleRoot([new Uint8Array(32), ...wtxids.slice(1)]);
}

/** Index of the coinbase output carrying the witness commitment; the last match counts, as in Core. */
export function findWitnessCommitmentIndex(coinbase: Transaction): number | undefined {
  let found: number | undefined;
  coinbase.outputs.forEach((out, i) => {
    const spk = out.scriptPubKey;
    if (spk.length >= MIN_COMMITMENT_SCRIPT_SIZE && equalBytes(spk.subarray(0, 6), WITNESS_COMMITMENT_HEADER)) found = i;
  });
  return found;
}

/**
 * Core's witness commitment check (CheckWitnessMalleation): with a commitment, the coinbase witness must
 * be one 32-byte reserved value and SHA256d(witness root ‖ reserved value) must equal the commitment;
 * without one, no transaction may carry witness data. Returns whether a commitment was present.
 */
export function checkWitnessCommitment(txs: readonly Transaction[], wtxids: readonly Uint8Array[]): boolean {
  const coinbase = txs[0];
  if (coinbase === undefined) throw new MerkleError('empty', 'a block has at least a coinbase');
  const index = findWitnessCommitmentIndex(coinbase);
  if (index === undefined) {
    if (txs.some((tx) => tx.inputs.some((i) => i.witness.length > 0)))
      throw new MerkleError('unexpected-witness', 'witness data in a block without a witness commitment');
    return false;
  }
  const witness = coinbase.inputs[0]?.witness ?? [];
  if (witness.length !== 1 || witness[0]!.length !== 32)
    throw new MerkleError('witness-nonce-size', 'coinbase witness must be exactly one 32-byte reserved value');
  const { root } = computeWitnessMerkleRoot(wtxids);
  const buf = new Uint8Array(64);
  buf.set(root, 0);
  buf.set(witness[0]!, 32);
  const commitment = coinbase.outputs[index]!.scriptPubKey.subarray(6, 38);
  if (!equalBytes(hash256(buf), commitment)) throw new MerkleError('witness-merkle-match', 'witness merkle root does not match the coinbase commitment');
  return true;
}
