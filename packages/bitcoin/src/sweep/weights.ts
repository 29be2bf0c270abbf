import { SweepError } from './errors.js';
import { SWEEP_COMMITMENT_SCRIPT_SIZE } from './commitment.js';

// Exact BIP141 weights of a sweep's parts, as they are in the SIGNED transaction (64-byte BIP340
// signatures: SIGHASH_DEFAULT adds no hash-type byte). Non-witness bytes weigh 4, witness bytes 1.

export type SweepInputKind = 'custody-key-path' | 'deposit-leaf';

/** Byte length of a CompactSize encoding of n. */
export function compactSizeLength(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new SweepError('compact-size', `count ${n} is not a non-negative integer`);
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/** outpoint (36) ‖ empty scriptSig (1) ‖ nSequence (4), at 4 WU per byte. */
export const SWEEP_INPUT_BASE_WEIGHT = 4 * (36 + 1 + 4);
export const SCHNORR_SIGNATURE_SIZE = 64;
/** The deposit leaf: <28-byte push> OP_DROP <32-byte push> OP_CHECKSIG. */
export const DEPOSIT_LEAF_SCRIPT_SIZE = 64;
/** The deposit tree has two leaves, so its control block carries one sibling hash: 33 + 32. */
export const DEPOSIT_CONTROL_BLOCK_SIZE = 65;

/**
 * Version (4) ‖ locktime (4) at 4 WU per byte, the segwit marker and flag (2 WU), and one-byte input
 * and output counts (4 WU each): right for fewer than 253 inputs and 253 outputs. `sweepWeight` uses
 * the real count lengths.
 */
export const SWEEP_BASE_WEIGHT = 4 * (4 + 4) + 2 + 4 * 1 + 4 * 1;

/** The script-path data of a deposit-leaf input; the template's sizes when omitted. */
export interface LeafSpendSizes {
  leafScript?: Uint8Array;
  controlBlock?: Uint8Array;
}

const itemWeight = (length: number): number => compactSizeLength(length) + length;

/**
 * Weight of one signed sweep input. Key path: witness [sig]. Deposit leaf: witness [sig, leaf script,
 * control block]; pass the real leaf and control block to size a non-template leaf exactly.
 */
export function sweepInputWeight(kind: SweepInputKind, spend: LeafSpendSizes = {}): number {
  if (kind === 'custody-key-path') return SWEEP_INPUT_BASE_WEIGHT + 1 + itemWeight(SCHNORR_SIGNATURE_SIZE);
  if (kind === 'deposit-leaf') {
    const script = spend.leafScript?.length ?? DEPOSIT_LEAF_SCRIPT_SIZE;
    const control = spend.controlBlock?.length ?? DEPOSIT_CONTROL_BLOCK_SIZE;
    return SWEEP_INPUT_BASE_WEIGHT + 1 + itemWeight(SCHNORR_SIGNATURE_SIZE) + itemWeight(script) + itemWeight(control);
  }
  throw new SweepError('input-kind', `unknown sweep input kind ${JSON.stringify(kind)}`);
}

/** value (8) ‖ CompactSize script length ‖ script, at 4 WU per byte. */
export function outputWeight(scriptPubKey: Uint8Array): number {
  if (!(scriptPubKey instanceof Uint8Array)) throw new SweepError('output-script', 'scriptPubKey must be a Uint8Array');
  return 4 * (8 + compactSizeLength(scriptPubKey.length) + scriptPubKey.length);
}

/** The commitment output (OP_RETURN, 0 sat) weighs the same in every sweep. */
export const SWEEP_COMMITMENT_OUTPUT_WEIGHT = 4 * (8 + 1 + SWEEP_COMMITMENT_SCRIPT_SIZE);

/**
 * What a sweep's weight depends on. `SweepParams` (buildSweep's input) satisfies it, so the weight of a
 * planned sweep is `sweepWeight(params)`.
 */
export interface SweepShape {
  custodyScriptPubKey: Uint8Array;
  /** Present when the sweep spends a custody UTXO (input 0, key path). */
  custodyInput?: unknown;
  deposits: readonly ({ kind: SweepInputKind } & LeafSpendSizes)[];
  withdrawals: readonly { scriptPubKey: Uint8Array }[];
}

/** Exact weight of the signed sweep: base, custody input, deposits, custody output, commitment, payouts. */
export function sweepWeight(shape: SweepShape): number {
  const nIn = (shape.custodyInput === undefined ? 0 : 1) + shape.deposits.length;
  const nOut = 2 + shape.withdrawals.length;
  let weight = 4 * (4 + 4) + 2 + 4 * compactSizeLength(nIn) + 4 * compactSizeLength(nOut);
  if (shape.custodyInput !== undefined) weight += sweepInputWeight('custody-key-path');
  for (const d of shape.deposits) weight += sweepInputWeight(d.kind, d);
  weight += outputWeight(shape.custodyScriptPubKey) + SWEEP_COMMITMENT_OUTPUT_WEIGHT;
  for (const w of shape.withdrawals) weight += outputWeight(w.scriptPubKey);
  return weight;
}

/** Virtual size in vbytes: weight / 4 rounded up (BIP141). */
export const weightToVsize = (weight: number): number => Math.ceil(weight / 4);

export const sweepVsize = (shape: SweepShape): number => weightToVsize(sweepWeight(shape));
