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

/** BIP141's default witness reserved value (the coinbase witness), as Core's miner uses. */
export const WITNESS_RESERVED_VALUE = new Uint8Array(32);

/** The commitment output script for a witness root: header ‖ SHA256d(witness root ‖ reserved value). */
export function witnessCommitmentScript(witnessRoot: Uint8Array, reservedValue: Uint8Array = WITNESS_RESERVED_VALUE): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(witnessRoot, 0);
  buf.set(reservedValue, 32);
  const script = new Uint8Array(WITNESS_COMMITMENT_HEADER.length + 32);
  script.set(WITNESS_COMMITMENT_HEADER, 0);
  script.set(hash256(buf), WITNESS_COMMITMENT_HEADER.length);
  return script;
}

/**
 * Index of the output script carrying the witness commitment; the last match counts, as in Core's
 * GetWitnessCommitmentIndex. Takes bare scripts so any transaction type (ours, bitcoinjs-lib's) can ask.
 */
export function findWitnessCommitmentInScripts(scripts: readonly Uint8Array[]): number | undefined {
  for (let i = scripts.length - 1; i >= 0; i--) {
    const spk = scripts[i]!;
    if (spk.length >= MIN_COMMITMENT_SCRIPT_SIZE && equalBytes(spk.subarray(0, 6), WITNESS_COMMITMENT_HEADER)) return i;
  }
  return undefined;
}

/** Index of the coinbase output carrying the witness commitment; the last match counts, as in Core. */
export function findWitnessCommitmentIndex(coinbase: Transaction): number | undefined {
  return findWitnessCommitmentInScripts(coinbase.outputs.map((out) => out.scriptPubKey));
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
  const expected = witnessCommitmentScript(root, witness[0]!);
  if (!equalBytes(coinbase.outputs[index]!.scriptPubKey.subarray(0, 38), expected)) throw new MerkleError('witness-merkle-match', 'witness merkle root does not match the coinbase commitment');
  return true;
}
