import { bytesToHex, equalBytes, hashToHex } from '../bytes.js';
import { parseDepositScript } from '../scripts/deposit.js';
import { ScriptTemplateError } from '../scripts/errors.js';
import { parseControlBlock } from '../taproot/control-block.js';
import { TaprootError } from '../taproot/errors.js';
import { tapLeafHash } from '../taproot/leaf.js';
import { encodeTransaction, encodeTransactionHex, MAX_MONEY } from '../tx/codec.js';
import { computeTxid, computeWtxid, transactionWeight } from '../tx/hashes.js';
import { SIGHASH_DEFAULT, taprootPrecomputed, taprootSighash } from '../tx/sighash-taproot.js';
import type { Transaction, TxOutput } from '../tx/types.js';
import { checkSats, checkVout, isP2tr, isPayoutScript, leafCommitsToOutput, parseTxid } from './checks.js';
import { SWEEP_MAX_COMMITTED_IDS, sweepCommitmentScript, withdrawalIdBytes } from './commitment.js';
import { SWEEP_DUST_LIMIT, SWEEP_LOCKTIME, SWEEP_MIN_DEPOSIT_REMAINDER, SWEEP_SEQUENCE, SWEEP_VERSION } from './constants.js';
import { SweepError } from './errors.js';
import { splitFee } from './fee-split.js';
import { outputWeight, sweepInputWeight, sweepWeight, weightToVsize, type SweepInputKind } from './weights.js';

export interface SweepCustodyInput {
  /** Display hex. */
  txid: string;
  vout: number;
  value: bigint;
  /** The script the custody UTXO pays; defaults to `custodyScriptPubKey` (differs only when migrating to a new key). */
  scriptPubKey?: Uint8Array;
}

export interface SweepDeposit {
  /** Display hex. */
  txid: string;
  vout: number;
  value: bigint;
  /** 'deposit-leaf': per-deposit address, script path; 'custody-key-path': simple-form deposit paying the custody script. */
  kind: SweepInputKind;
  scriptPubKey: Uint8Array;
  /** Deposit-leaf inputs only: the deposit leaf script and its control block. */
  leafScript?: Uint8Array;
  controlBlock?: Uint8Array;
  /** Most this deposit pays as its fee share; for a deposit leaf at most the leaf's own max fee. */
  maxFeeSats: bigint;
}

export interface SweepWithdrawal {
  /** The bridge contract's withdrawal id (uint256). Withdrawals go in strictly ascending id order. */
  id: bigint;
  scriptPubKey: Uint8Array;
  /** Burned amount; the payout is amountSats − fee share. */
  amountSats: bigint;
  maxFeeSats: bigint;
}

export interface SweepParams {
  /** Output 0 pays this (the current custody P2TR). */
  custodyScriptPubKey: Uint8Array;
  /** Input 0 when present; absent only in the very first sweep. */
  custodyInput?: SweepCustodyInput;
  /** Inputs 1.. (or 0.. without a custody input), in this order. */
  deposits: readonly SweepDeposit[];
  /** Outputs 2.., in this (ascending id) order. */
  withdrawals: readonly SweepWithdrawal[];
  /** Absolute fee in satoshis. */
  fee: bigint;
}

/** How each input is spent: what the signers sign and the witness needs. */
export interface SweepInputSpend {
  kind: SweepInputKind;
  /** Deposit-leaf inputs: the leaf, its control block and its BIP341 leaf hash. */
  leafScript?: Uint8Array;
  controlBlock?: Uint8Array;
  leafHash?: Uint8Array;
}

export interface SweepFeeShares {
  /** Per deposit, in `params.deposits` order. */
  deposits: bigint[];
  /** Per withdrawal, in `params.withdrawals` order; its payout is amountSats − share. */
  withdrawals: bigint[];
}

export interface SweepBuild {
  /** The unsigned transaction (empty witnesses). */
  tx: Transaction;
  /** Unsigned serialization (no witness). */
  hex: string;
  /** Display hex; signing does not change it. */
  txid: string;
  /** The output each input spends (value + scriptPubKey), for the BIP341 sighash of every input. */
  prevouts: TxOutput[];
  inputKinds: SweepInputKind[];
  inputSpends: SweepInputSpend[];
  /** Index of the custody input, or null in the first sweep. */
  custodyInputIndex: 0 | null;
  /** Ids paid, in payout output order (outputs 2..). */
  withdrawalIds: bigint[];
  feeShares: SweepFeeShares;
  fee: bigint;
  /** Output 0's value. */
  custodyValue: bigint;
  /** Of the signed transaction: exact, since every signature is 64 bytes. */
  weight: number;
  vsize: number;
  /** fee / vsize, sat/vB. */
  feeRate: number;
}

const EMPTY = new Uint8Array(0);

/** Checks one deposit on its own (fields, P2TR, leaf commits to the output, max fee within the leaf's); throws SweepError. */
export function checkSweepDeposit(d: SweepDeposit, i: number): SweepInputSpend {
  const what = `deposit ${i}`;
  if (d === null || typeof d !== 'object') throw new SweepError('deposit', `${what} is not an object`);
  checkVout(d.vout, what);
  checkSats(d.value, `${what} value`, 1n);
  checkSats(d.maxFeeSats, `${what} maxFeeSats`);
  if (!isP2tr(d.scriptPubKey)) throw new SweepError('deposit-script', `${what}: scriptPubKey is not P2TR`);
  if (d.kind === 'custody-key-path') {
    if (d.leafScript !== undefined || d.controlBlock !== undefined) throw new SweepError('deposit-leaf', `${what}: a key-path input has no leaf script or control block`);
    return { kind: d.kind };
  }
  if (d.kind !== 'deposit-leaf') throw new SweepError('input-kind', `${what}: unknown kind ${JSON.stringify(d.kind)}`);
  if (!(d.leafScript instanceof Uint8Array) || !(d.controlBlock instanceof Uint8Array))
    throw new SweepError('deposit-leaf', `${what}: a deposit-leaf input needs leafScript and controlBlock`);
  let leafMaxFee: bigint;
  let leafHash: Uint8Array;
  try {
    leafMaxFee = parseDepositScript(d.leafScript).maxFee;
    leafHash = tapLeafHash(d.leafScript, parseControlBlock(d.controlBlock).leafVersion);
    if (!leafCommitsToOutput(d.scriptPubKey, d.leafScript, d.controlBlock))
      throw new SweepError('deposit-leaf', `${what}: leaf script and control block do not commit to its scriptPubKey`);
  } catch (e) {
    if (e instanceof ScriptTemplateError || e instanceof TaprootError) throw new SweepError('deposit-leaf', `${what}: ${e.message}`);
    throw e;
  }
  if (d.maxFeeSats > leafMaxFee) throw new SweepError('deposit-max-fee', `${what}: maxFeeSats ${d.maxFeeSats} exceeds its leaf's max fee ${leafMaxFee}`);
  return { kind: d.kind, leafScript: d.leafScript, controlBlock: d.controlBlock, leafHash };
}

/** Checks one withdrawal on its own (uint256 id, amounts, a standard payout script that is not custody's); throws SweepError. */
export function checkSweepWithdrawal(w: SweepWithdrawal, i: number, custodyScriptPubKey: Uint8Array): void {
  const what = `withdrawal ${i}`;
  if (w === null || typeof w !== 'object') throw new SweepError('withdrawal', `${what} is not an object`);
  withdrawalIdBytes(w.id);
  checkSats(w.amountSats, `${what} (id ${w.id}) amountSats`, 1n);
  checkSats(w.maxFeeSats, `${what} (id ${w.id}) maxFeeSats`);
  if (!isPayoutScript(w.scriptPubKey)) throw new SweepError('payout-script', `${what} (id ${w.id}): scriptPubKey is not P2PKH, P2SH, P2WPKH, P2WSH or P2TR`);
  if (equalBytes(w.scriptPubKey, custodyScriptPubKey)) throw new SweepError('payout-script', `${what} (id ${w.id}) pays the custody script`);
}

/**
 * Builds the unsigned sweep/payout transaction (sweep-spec.md layout) for a given absolute fee, splitting
 * the fee over the requests by weight. Throws a SweepError naming the rule when any share breaks one:
 * a share above its max fee, a deposit left with < 546 sat, a payout or the custody output below dust.
 */
export function buildSweep(params: SweepParams): SweepBuild {
  const { custodyScriptPubKey, custodyInput, deposits, withdrawals, fee } = params;
  checkSats(fee, 'fee');
  if (!isP2tr(custodyScriptPubKey)) throw new SweepError('custody-script', 'custodyScriptPubKey is not P2TR');
  if (!Array.isArray(deposits) || !Array.isArray(withdrawals)) throw new SweepError('params', 'deposits and withdrawals must be arrays');
  if (custodyInput === undefined && deposits.length === 0) throw new SweepError('no-inputs', 'a sweep needs a custody input or at least one deposit');
  if (withdrawals.length > SWEEP_MAX_COMMITTED_IDS) throw new SweepError('too-many-withdrawals', `${withdrawals.length} withdrawals exceed the commitment's ${SWEEP_MAX_COMMITTED_IDS}`);

  const tx: Transaction = { version: SWEEP_VERSION, inputs: [], outputs: [], locktime: SWEEP_LOCKTIME };
  const prevouts: TxOutput[] = [];
  const spends: SweepInputSpend[] = [];
  const seen = new Set<string>();
  const addInput = (txid: string, vout: number, prevout: TxOutput, spend: SweepInputSpend, what: string) => {
    const key = `${txid.toLowerCase()}:${vout}`;
    if (seen.has(key)) throw new SweepError('duplicate-input', `${what}: outpoint ${key} is spent twice`);
    seen.add(key);
    tx.inputs.push({ prevout: { txid: parseTxid(txid, what), vout }, scriptSig: EMPTY, sequence: SWEEP_SEQUENCE, witness: [] });
    prevouts.push(prevout);
    spends.push(spend);
  };

  let inputTotal = 0n;
  if (custodyInput !== undefined) {
    checkVout(custodyInput.vout, 'custody input');
    checkSats(custodyInput.value, 'custody input value', 1n);
    const spk = custodyInput.scriptPubKey ?? custodyScriptPubKey;
    if (!isP2tr(spk)) throw new SweepError('custody-script', 'custody input scriptPubKey is not P2TR');
    addInput(custodyInput.txid, custodyInput.vout, { value: custodyInput.value, scriptPubKey: spk }, { kind: 'custody-key-path' }, 'custody input');
    inputTotal += custodyInput.value;
  }
  deposits.forEach((d, i) => {
    const spend = checkSweepDeposit(d, i);
    addInput(d.txid, d.vout, { value: d.value, scriptPubKey: d.scriptPubKey }, spend, `deposit ${i}`);
    inputTotal += d.value;
  });

  let previous: bigint | undefined;
  withdrawals.forEach((w, i) => {
    checkSweepWithdrawal(w, i, custodyScriptPubKey);
    if (previous !== undefined && w.id <= previous)
      throw new SweepError('withdrawal-order', `withdrawal ${i}: id ${w.id} after ${previous}; withdrawals go in strictly ascending id order`);
    previous = w.id;
  });

  const requestWeights = [...spends.slice(custodyInput === undefined ? 0 : 1).map((s) => sweepInputWeight(s.kind, s)), ...withdrawals.map((w) => outputWeight(w.scriptPubKey))];
  // With no requests at all (a custody-only consolidation or key migration) custody pays the whole fee.
  const shares = requestWeights.length === 0 ? [] : splitFee(requestWeights, fee);
  const depositShares = shares.slice(0, deposits.length);
  const withdrawalShares = shares.slice(deposits.length);

  deposits.forEach((d, i) => {
    const share = depositShares[i]!;
    if (share > d.maxFeeSats) throw new SweepError('deposit-share-above-max-fee', `deposit ${i} (${d.txid}:${d.vout}): fee share ${share} sat exceeds its max fee ${d.maxFeeSats} sat`);
    if (d.value - share < SWEEP_MIN_DEPOSIT_REMAINDER)
      throw new SweepError('deposit-remainder-below-minimum', `deposit ${i} (${d.txid}:${d.vout}): ${d.value} sat minus fee share ${share} sat leaves less than ${SWEEP_MIN_DEPOSIT_REMAINDER} sat to mint`);
  });
  let payoutTotal = 0n;
  const payouts: TxOutput[] = withdrawals.map((w, i) => {
    const share = withdrawalShares[i]!;
    if (share > w.maxFeeSats) throw new SweepError('withdrawal-share-above-max-fee', `withdrawal ${w.id}: fee share ${share} sat exceeds its max fee ${w.maxFeeSats} sat`);
    const value = w.amountSats - share;
    if (value < SWEEP_DUST_LIMIT) throw new SweepError('payout-below-dust', `withdrawal ${w.id}: ${w.amountSats} sat minus fee share ${share} sat is below the ${SWEEP_DUST_LIMIT} sat dust limit`);
    payoutTotal += value;
    return { value, scriptPubKey: w.scriptPubKey };
  });
  const custodyValue = inputTotal - payoutTotal - fee;
  if (custodyValue < SWEEP_DUST_LIMIT)
    throw new SweepError('custody-output-below-dust', `inputs ${inputTotal} sat − payouts ${payoutTotal} sat − fee ${fee} sat leave ${custodyValue} sat for custody, below ${SWEEP_DUST_LIMIT} sat`);
  if (custodyValue > MAX_MONEY) throw new SweepError('amount', `custody output ${custodyValue} sat exceeds MAX_MONEY`);

  const ids = withdrawals.map((w) => w.id);
  tx.outputs.push({ value: custodyValue, scriptPubKey: custodyScriptPubKey }, { value: 0n, scriptPubKey: sweepCommitmentScript(ids) }, ...payouts);
  const weight = sweepWeight(params);
  const vsize = weightToVsize(weight);
  return {
    tx,
    hex: encodeTransactionHex(tx),
    txid: hashToHex(computeTxid(tx)),
    prevouts,
    inputKinds: spends.map((s) => s.kind),
    inputSpends: spends,
    custodyInputIndex: custodyInput === undefined ? null : 0,
    withdrawalIds: ids,
    feeShares: { deposits: depositShares, withdrawals: withdrawalShares },
    fee,
    custodyValue,
    weight,
    vsize,
    feeRate: Number(fee) / vsize,
  };
}

/** The BIP341 SIGHASH_DEFAULT sighash of each input (with the leaf hash for deposit-leaf inputs). */
export function sweepSighashes(build: Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'>): Uint8Array[] {
  const pre = taprootPrecomputed(build.tx, build.prevouts);
  return build.inputSpends.map((s, inputIndex) =>
    taprootSighash({ tx: build.tx, inputIndex, prevouts: build.prevouts, hashType: SIGHASH_DEFAULT, ...(s.leafHash ? { leafHash: s.leafHash } : {}) }, pre),
  );
}

export interface SignedSweep {
  tx: Transaction;
  /** Full serialization with witnesses, ready for sendrawtransaction. */
  hex: string;
  txid: string;
  wtxid: string;
  weight: number;
  vsize: number;
}

/**
 * Puts one 64-byte BIP340 signature per input into the witnesses: [sig] on the key path, [sig, leaf
 * script, control block] on a deposit leaf. Does not verify the signatures (the aggregator did).
 */
export function finalizeSweep(build: Pick<SweepBuild, 'tx' | 'inputSpends'>, signatures: readonly Uint8Array[]): SignedSweep {
  if (signatures.length !== build.tx.inputs.length) throw new SweepError('signatures', `${signatures.length} signatures for ${build.tx.inputs.length} inputs`);
  const tx: Transaction = {
    ...build.tx,
    inputs: build.tx.inputs.map((input, i) => {
      const sig = signatures[i]!;
      if (!(sig instanceof Uint8Array) || sig.length !== 64)
        throw new SweepError('signatures', `input ${i}: signature must be 64 bytes (SIGHASH_DEFAULT), got ${sig instanceof Uint8Array ? sig.length : typeof sig}`);
      const s = build.inputSpends[i]!;
      return { ...input, witness: s.kind === 'custody-key-path' ? [sig] : [sig, s.leafScript!, s.controlBlock!] };
    }),
  };
  const weight = transactionWeight(tx);
  return { tx, hex: bytesToHex(encodeTransaction(tx)), txid: hashToHex(computeTxid(tx)), wtxid: hashToHex(computeWtxid(tx)), weight, vsize: weightToVsize(weight) };
}
