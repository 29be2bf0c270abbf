import { equalBytes, hashToHex } from '../bytes.js';
import { parseDepositScript, type DepositScriptParams } from '../scripts/deposit.js';
import { parseControlBlock } from '../taproot/control-block.js';
import { tapLeafHash } from '../taproot/leaf.js';
import { decodeTransaction, MAX_MONEY } from '../tx/codec.js';
import { computeTxid } from '../tx/hashes.js';
import type { Transaction, TxOutput } from '../tx/types.js';
import { isP2tr, isPayoutScript, leafCommitsToOutput } from './checks.js';
import { parseSweepCommitment, type SweepCommitment } from './commitment.js';
import { SWEEP_DUST_LIMIT, SWEEP_LOCKTIME, SWEEP_SEQUENCE, SWEEP_VERSION } from './constants.js';
import { SweepLayoutError } from './errors.js';
import { splitFee } from './fee-split.js';
import { compactSizeLength, outputWeight, sweepInputWeight, weightToVsize, type SweepInputKind } from './weights.js';

export interface ClassifySweepOptions {
  /**
   * The custody UTXO the checker believes is current. An outpoint: input 0 must spend it. null: the
   * checker expects no custody input (the first sweep), so input 0 is a deposit. Omitted: input 0 counts
   * as the custody input when it is a key-path spend of the custody script, which a simple-form deposit at
   * input 0 of a first sweep would also be; pass the outpoint (or null) to remove the ambiguity.
   */
  custodyOutpoint?: { txid: string; vout: number } | null;
  /** The script input 0 spends when it differs from the output's custody script (a key migration). */
  custodyInputScriptPubKey?: Uint8Array;
  /**
   * The deposit leaf (and control block) of each deposit-leaf input, by input index, from the checker's own
   * registry. Needed for unsigned transactions, where no witness names the leaf; a signed transaction's
   * witness is used when it is given, and must agree with it.
   */
  depositLeaves?: readonly ({ leafScript: Uint8Array; controlBlock: Uint8Array } | undefined)[];
}

export interface SweepViewInput {
  inputIndex: number;
  /** Display hex. */
  txid: string;
  vout: number;
  value: bigint;
  scriptPubKey: Uint8Array;
  kind: SweepInputKind;
  /** Deposit-leaf inputs: the leaf, its BIP341 hash and what it says (max fee, EVM recipient, group key). */
  leafScript?: Uint8Array;
  controlBlock?: Uint8Array;
  leafHash?: Uint8Array;
  depositLeaf?: DepositScriptParams;
}

export interface SweepViewPayout {
  /** Output index (2..). */
  vout: number;
  scriptPubKey: Uint8Array;
  value: bigint;
}

/** What a sweep does, decoded: everything the signer policy checks against its own view. */
export interface SweepView {
  txid: string;
  /** True when every input carries a witness (the signed transaction). */
  signed: boolean;
  custodyInputIndex: 0 | null;
  custodyInput: SweepViewInput | null;
  /** Every input but the custody input, in order. */
  deposits: SweepViewInput[];
  custodyOutput: { value: bigint; scriptPubKey: Uint8Array };
  commitment: SweepCommitment;
  payouts: SweepViewPayout[];
  /** Σ prevouts − Σ outputs. */
  fee: bigint;
  /** fee / vsize, sat/vB. */
  feeRate: number;
  /** Of the signed transaction (exact: 64-byte signatures), whether or not this one is signed yet. */
  weight: number;
  vsize: number;
  inputWeights: number[];
  outputWeights: number[];
  /** splitFee over the requests (deposits by input weight, then payouts by output weight): each payout should be its amount − share. */
  feeShares: { deposits: bigint[]; payouts: bigint[] };
}

const fail = (rule: string, message: string): never => {
  throw new SweepLayoutError(rule, message);
};

function checkPrevouts(prevouts: unknown, n: number): asserts prevouts is readonly TxOutput[] {
  if (!Array.isArray(prevouts)) fail('prevouts', 'prevouts must be an array');
  const list = prevouts as unknown[];
  if (list.length !== n) fail('prevouts', `${list.length} prevouts for ${n} inputs`);
  list.forEach((p, i) => {
    const o = p as Partial<TxOutput> | null;
    if (o === null || typeof o !== 'object' || typeof o.value !== 'bigint' || o.value < 0n || o.value > MAX_MONEY || !(o.scriptPubKey instanceof Uint8Array))
      fail('prevouts', `prevout ${i} must be { value: bigint in 0..MAX_MONEY, scriptPubKey: Uint8Array }`);
  });
}

function toTransaction(tx: Transaction | Uint8Array | string): Transaction {
  if (typeof tx === 'string' || tx instanceof Uint8Array) {
    try {
      return decodeTransaction(tx);
    } catch (e) {
      return fail('decode', `cannot decode the transaction: ${(e as Error).message}`);
    }
  }
  if (tx === null || typeof tx !== 'object' || !Array.isArray(tx.inputs) || !Array.isArray(tx.outputs)) return fail('decode', 'not a transaction');
  return tx;
}

/** Leaf + control block of a script-path input: from the witness when signed, else from the checker's registry. */
function leafOf(
  i: number,
  witness: readonly Uint8Array[],
  known: { leafScript: Uint8Array; controlBlock: Uint8Array } | undefined,
): { leafScript: Uint8Array; controlBlock: Uint8Array } | undefined {
  if (witness.length === 3) {
    const [, leafScript, controlBlock] = witness as [Uint8Array, Uint8Array, Uint8Array];
    if (known && (!equalBytes(known.leafScript, leafScript) || !equalBytes(known.controlBlock, controlBlock)))
      fail('deposit-leaf', `input ${i}: the witness spends another leaf than the registered deposit leaf`);
    return { leafScript, controlBlock };
  }
  return known;
}

/**
 * Decodes a sweep (signed or not) against the outputs it spends and the custody script, checking the
 * layout of sweep-spec.md. Throws SweepLayoutError, and nothing else, naming the first rule broken:
 * decode, prevouts, version, locktime, no-inputs, sequence, script-sig, duplicate-input, custody-input,
 * witness, sighash-type, input-kind, deposit-leaf, outputs, custody-output, commitment, commitment-count,
 * payout-script, payout-dust, fee-negative.
 */
export function classifySweep(tx: Transaction | Uint8Array | string, prevouts: readonly TxOutput[], custodyScriptPubKey: Uint8Array, options: ClassifySweepOptions = {}): SweepView {
  try {
    return classify(toTransaction(tx), prevouts, custodyScriptPubKey, options);
  } catch (e) {
    if (e instanceof SweepLayoutError) throw e;
    // Anything else is a malformed field this function did not anticipate: still not a sweep, never a crash.
    throw new SweepLayoutError('malformed', e instanceof Error ? e.message : String(e));
  }
}

function classify(tx: Transaction, prevouts: readonly TxOutput[], custodyScriptPubKey: Uint8Array, options: ClassifySweepOptions): SweepView {
  if (!isP2tr(custodyScriptPubKey)) fail('custody-script', 'the custody scriptPubKey given is not P2TR');
  checkPrevouts(prevouts, tx.inputs.length);
  if (tx.version !== SWEEP_VERSION) fail('version', `version ${tx.version} is not ${SWEEP_VERSION}`);
  if (tx.locktime !== SWEEP_LOCKTIME) fail('locktime', `nLockTime ${tx.locktime} is not ${SWEEP_LOCKTIME}`);
  if (tx.inputs.length === 0) fail('no-inputs', 'a sweep spends at least one input');
  const seen = new Set<string>();
  tx.inputs.forEach((input, i) => {
    if (input.sequence !== SWEEP_SEQUENCE) fail('sequence', `input ${i} nSequence 0x${(input.sequence >>> 0).toString(16)} is not 0x${SWEEP_SEQUENCE.toString(16)} (RBF, no relative lock)`);
    if (input.scriptSig.length !== 0) fail('script-sig', `input ${i} has a scriptSig; taproot spends have none`);
    const key = `${hashToHex(input.prevout.txid)}:${input.prevout.vout}`;
    if (seen.has(key)) fail('duplicate-input', `input ${i} spends ${key} twice`);
    seen.add(key);
  });

  const custodyOutpoint = options.custodyOutpoint;
  const custodyInputScript = options.custodyInputScriptPubKey ?? custodyScriptPubKey;
  const signed = tx.inputs.every((input) => input.witness.length > 0);
  const inputs: SweepViewInput[] = tx.inputs.map((input, i) => {
    const prevout = prevouts[i]!;
    const txid = hashToHex(input.prevout.txid);
    const view: SweepViewInput = { inputIndex: i, txid, vout: input.prevout.vout, value: prevout.value, scriptPubKey: prevout.scriptPubKey, kind: 'custody-key-path' };
    if (!isP2tr(prevout.scriptPubKey)) fail('input-kind', `input ${i} spends a non-P2TR output`);
    const witness = input.witness;
    if (witness.length > 0 && !signed) fail('witness', `input ${i} is signed but others are not`);
    if (witness.length === 1 || witness.length === 3) {
      const sig = witness[0]!;
      if (sig.length === 65) fail('sighash-type', `input ${i} signature carries hash type 0x${sig[64]!.toString(16)}; only SIGHASH_DEFAULT (64-byte signatures) is allowed`);
      if (sig.length !== 64) fail('witness', `input ${i} signature is ${sig.length} bytes, not 64`);
    } else if (witness.length !== 0) fail('witness', `input ${i} witness has ${witness.length} items: not a key-path [sig] or deposit-leaf [sig, leaf, control block] spend (annexes are refused)`);
    const known = options.depositLeaves?.[i];
    const leaf = witness.length === 1 ? undefined : leafOf(i, witness, known);
    if (witness.length === 1 && known) fail('deposit-leaf', `input ${i} is a key-path spend but a deposit leaf is registered for it`);
    if (leaf === undefined) {
      // Key path: only the custody script's own key may be spent that way. In a key migration, outputs paying the old
      // custody script (the custody UTXO at input 0, and simple-form deposits made to the old address) are the old key's.
      const oldKeyInput = (i === 0 && custodyOutpoint !== null) || options.custodyInputScriptPubKey !== undefined;
      const allowed = equalBytes(prevout.scriptPubKey, custodyScriptPubKey) || (oldKeyInput && equalBytes(prevout.scriptPubKey, custodyInputScript));
      if (!allowed) fail('input-kind', `input ${i} spends ${txid}:${input.prevout.vout}, which pays neither the custody script nor has a known deposit leaf`);
      return view;
    }
    if (!(leaf.leafScript instanceof Uint8Array) || !(leaf.controlBlock instanceof Uint8Array)) fail('deposit-leaf', `input ${i}: leaf script and control block must be bytes`);
    let cb;
    try {
      cb = parseControlBlock(leaf.controlBlock);
    } catch (e) {
      return fail('deposit-leaf', `input ${i}: ${(e as Error).message}`);
    }
    if (cb.leafVersion !== 0xc0) fail('deposit-leaf', `input ${i}: leaf version 0x${cb.leafVersion.toString(16)} is not tapscript`);
    let depositLeaf: DepositScriptParams;
    try {
      depositLeaf = parseDepositScript(leaf.leafScript);
    } catch (e) {
      return fail('deposit-leaf', `input ${i}: the spent leaf is not a deposit leaf: ${(e as Error).message}`);
    }
    let commits: boolean;
    try {
      commits = leafCommitsToOutput(prevout.scriptPubKey, leaf.leafScript, leaf.controlBlock);
    } catch (e) {
      return fail('deposit-leaf', `input ${i}: ${(e as Error).message}`);
    }
    if (!commits) fail('deposit-leaf', `input ${i}: the deposit leaf and control block do not commit to the spent output`);
    return { ...view, kind: 'deposit-leaf', leafScript: leaf.leafScript, controlBlock: leaf.controlBlock, leafHash: tapLeafHash(leaf.leafScript), depositLeaf };
  });

  let custodyInputIndex: 0 | null;
  if (custodyOutpoint === null) custodyInputIndex = null;
  else if (custodyOutpoint !== undefined) {
    const at0 = inputs[0]!;
    if (at0.txid !== custodyOutpoint.txid.toLowerCase() || at0.vout !== custodyOutpoint.vout)
      fail('custody-input', `input 0 spends ${at0.txid}:${at0.vout}, not the custody UTXO ${custodyOutpoint.txid}:${custodyOutpoint.vout}`);
    if (at0.kind !== 'custody-key-path') fail('custody-input', 'input 0 (the custody UTXO) is not a key-path spend');
    custodyInputIndex = 0;
  } else custodyInputIndex = inputs[0]!.kind === 'custody-key-path' ? 0 : null;

  const outs = tx.outputs;
  if (outs.length < 2) fail('outputs', `${outs.length} outputs; a sweep has custody change and the commitment at least`);
  const custodyOut = outs[0]!;
  if (!equalBytes(custodyOut.scriptPubKey, custodyScriptPubKey)) fail('custody-output', 'output 0 does not pay the custody script');
  if (custodyOut.value < SWEEP_DUST_LIMIT) fail('custody-output', `output 0 (custody) is ${custodyOut.value} sat, below dust`);
  if (outs[1]!.value !== 0n) fail('commitment', `output 1 (OP_RETURN commitment) carries ${outs[1]!.value} sat, not 0`);
  let commitment: SweepCommitment;
  try {
    commitment = parseSweepCommitment(outs[1]!.scriptPubKey);
  } catch (e) {
    return fail('commitment', `output 1: ${(e as Error).message}`);
  }
  if (commitment.count !== outs.length - 2) fail('commitment-count', `the commitment counts ${commitment.count} withdrawals but there are ${outs.length - 2} payout outputs`);
  const payouts: SweepViewPayout[] = outs.slice(2).map((o, k) => {
    const vout = k + 2;
    if (!isPayoutScript(o.scriptPubKey)) fail('payout-script', `output ${vout} is not a P2PKH, P2SH, P2WPKH, P2WSH or P2TR payout`);
    if (equalBytes(o.scriptPubKey, custodyScriptPubKey)) fail('payout-script', `output ${vout} pays the custody script: only output 0 may`);
    if (o.value < SWEEP_DUST_LIMIT) fail('payout-dust', `output ${vout} pays ${o.value} sat, below the ${SWEEP_DUST_LIMIT} sat dust limit`);
    return { vout, scriptPubKey: o.scriptPubKey, value: o.value };
  });

  const inTotal = prevouts.reduce((a, p) => a + p.value, 0n);
  const outTotal = outs.reduce((a, o) => a + o.value, 0n);
  const fee = inTotal - outTotal;
  if (fee < 0n) fail('fee-negative', `outputs (${outTotal} sat) exceed inputs (${inTotal} sat)`);

  const inputWeights = inputs.map((v) => sweepInputWeight(v.kind, v));
  const outputWeights = outs.map((o) => outputWeight(o.scriptPubKey));
  const weight =
    4 * (4 + 4) + 2 + 4 * compactSizeLength(inputs.length) + 4 * compactSizeLength(outs.length) + inputWeights.reduce((a, b) => a + b, 0) + outputWeights.reduce((a, b) => a + b, 0);
  const vsize = weightToVsize(weight);
  const deposits = inputs.filter((_, i) => i !== custodyInputIndex);
  const requestWeights = [...deposits.map((d) => inputWeights[d.inputIndex]!), ...outputWeights.slice(2)];
  const shares = requestWeights.length === 0 ? [] : splitFee(requestWeights, fee);
  return {
    txid: hashToHex(computeTxid(tx)),
    signed,
    custodyInputIndex,
    custodyInput: custodyInputIndex === null ? null : inputs[0]!,
    deposits,
    custodyOutput: { value: custodyOut.value, scriptPubKey: custodyOut.scriptPubKey },
    commitment,
    payouts,
    fee,
    feeRate: Number(fee) / vsize,
    weight,
    vsize,
    inputWeights,
    outputWeights,
    feeShares: { deposits: shares.slice(0, deposits.length), payouts: shares.slice(deposits.length) },
  };
}
