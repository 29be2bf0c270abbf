// The emergency disbursal (issue 11, the escape hatch after the sweep; Nomic's checkpoint disbursal is the model):
// pre-signed transactions that pay every L2 account with a registered recovery script its share of a custody output,
// valid only after a lock height. The next sweep spends the custody output and so supersedes them.
//
//   intermediate: custody output (key path) → one funding output per final transaction (custody script) [+ excess]
//   final k:      intermediate:k (key path)  → the accounts of batch k
//
// Every transaction has nLockTime = lockHeight and sequence 0xfffffffe (the lock is enforced; no RBF: nobody is left
// to re-sign). The builder is deterministic: every signer rebuilds the same bytes from the same inputs and its own
// L2 view, and signs only when they match.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, equalBytes, hashToHex } from '../bytes.js';
import { encodeTransaction, encodeTransactionHex, MAX_MONEY } from '../tx/codec.js';
import { computeTxid, computeWtxid, transactionWeight } from '../tx/hashes.js';
import { SIGHASH_DEFAULT, taprootSighash } from '../tx/sighash-taproot.js';
import type { Transaction, TxOutput } from '../tx/types.js';
import { checkSats, checkVout, isP2tr, isPayoutScript, parseTxid } from '../sweep/checks.js';
import { SWEEP_DUST_LIMIT, SWEEP_MAX_STANDARD_VSIZE, SWEEP_VERSION } from '../sweep/constants.js';
import { splitFee } from '../sweep/fee-split.js';
import { compactSizeLength, outputWeight, sweepInputWeight, weightToVsize } from '../sweep/weights.js';
import { DisbursalError } from './errors.js';

/** Enforces nLockTime (a final sequence would disable it) without signalling replaceability. */
export const DISBURSAL_SEQUENCE = 0xfffffffe;
/** nLockTime below this is a block height (BIP65 / consensus LOCKTIME_THRESHOLD). */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** Every disbursal transaction stays strictly below Core's standard weight (400,000 WU). */
export const DISBURSAL_MAX_TX_WEIGHT = 4 * (SWEEP_MAX_STANDARD_VSIZE - 1);
/** D on mainnet: about two weeks of blocks between the checkpoint and the disbursal's lock. */
export const DISBURSAL_MAINNET_LOCK_BLOCKS = 2016;

export interface DisbursalAccount {
  /** The L2 account (0x + 40 lowercase hex). */
  account: string;
  /** Its L2 balance at the checkpoint block, in whole sats (wei / 10^10, rounded down). */
  balanceSats: bigint;
  /** Its registered recovery script: a standard payout template. */
  scriptPubKey: Uint8Array;
}

export interface DisbursalParams {
  /** The custody output the disbursal spends (a sweep's output 0). */
  custody: { txid: string; vout: number; value: bigint; scriptPubKey: Uint8Array };
  /**
   * What the bridge owes in total at the checkpoint (every account's bridged BTC, registered or not): the pro rata
   * basis. When custody holds less, every share shrinks by custody / liability; never does anyone get more than
   * their balance.
   */
  liabilitySats: bigint;
  /** Accounts with a registered recovery script; any order (sorted here by account). */
  accounts: readonly DisbursalAccount[];
  /** The excess (unregistered accounts' shares, skipped dust, rounding) goes here: the recovery leaf's keys. */
  excessScriptPubKey: Uint8Array;
  /** nLockTime of every transaction: a block height, the checkpoint's tip + D. */
  lockHeight: number;
  /** Whole sat/vB for every transaction (it must still confirm weeks later: choose it high). */
  feeRate: number;
  /** Most weight per transaction; default DISBURSAL_MAX_TX_WEIGHT. Tests lower it to force several batches. */
  maxTxWeight?: number;
  /** Payouts below this are skipped (default 546 sat). */
  dustLimit?: bigint;
}

export interface DisbursalTx {
  tx: Transaction;
  /** Unsigned serialization. */
  hex: string;
  /** Display hex; signing does not change it. */
  txid: string;
  /** The one output it spends (its single input's prevout). */
  prevout: TxOutput;
  /** Of the signed transaction (one 64-byte key-path signature): exact. */
  weight: number;
  vsize: number;
  fee: bigint;
}

export interface DisbursalPayout {
  account: string;
  scriptPubKey: Uint8Array;
  balanceSats: bigint;
  /** balance × min(1, custody / liability), rounded down: the most this account may receive. */
  shareSats: bigint;
  feeShareSats: bigint;
  /** What the output pays: share − fee share. */
  amountSats: bigint;
  /** Which final transaction (0-based) and output pay it. */
  batch: number;
  vout: number;
}

export interface DisbursalSkip {
  account: string;
  balanceSats: bigint;
  shareSats: bigint;
  reason: 'share-below-dust' | 'payout-below-dust';
}

export interface DisbursalBuild {
  intermediate: DisbursalTx;
  finals: DisbursalTx[];
  payouts: DisbursalPayout[];
  skipped: DisbursalSkip[];
  /** The intermediate's excess output (to the recovery leaf's keys), or 0 when it would be dust (then it is fee). */
  excessSats: bigint;
  /** Sum of every transaction's fee. */
  totalFee: bigint;
  lockHeight: number;
  feeRate: number;
}

const EMPTY = new Uint8Array(0);
/** version ‖ locktime (4 WU per byte) and the segwit marker and flag; the counts are added per transaction. */
const TX_FIXED_WEIGHT = 4 * (4 + 4) + 2;
const KEY_PATH_INPUT_WEIGHT = sweepInputWeight('custody-key-path');

/** Exact weight of a signed one-input (key path) transaction with these outputs. */
export function disbursalTxWeight(outputScripts: readonly Uint8Array[]): number {
  let w = TX_FIXED_WEIGHT + 4 * compactSizeLength(1) + 4 * compactSizeLength(outputScripts.length) + KEY_PATH_INPUT_WEIGHT;
  for (const s of outputScripts) w += outputWeight(s);
  return w;
}

const feeFor = (weight: number, feeRate: number): bigint => BigInt(weightToVsize(weight)) * BigInt(feeRate);

function checkParams(p: DisbursalParams): { accounts: DisbursalAccount[]; maxWeight: number; dust: bigint } {
  if (p === null || typeof p !== 'object') throw new DisbursalError('params', 'params must be an object');
  const c = p.custody;
  parseTxid(c.txid, 'custody');
  checkVout(c.vout, 'custody');
  checkSats(c.value, 'custody value', 1n);
  if (c.value > MAX_MONEY) throw new DisbursalError('amount', `custody value ${c.value} exceeds MAX_MONEY`);
  if (!isP2tr(c.scriptPubKey)) throw new DisbursalError('custody-script', 'custody scriptPubKey is not P2TR');
  if (!isP2tr(p.excessScriptPubKey)) throw new DisbursalError('excess-script', 'excessScriptPubKey is not P2TR');
  checkSats(p.liabilitySats, 'liabilitySats');
  if (!Number.isInteger(p.lockHeight) || p.lockHeight < 1 || p.lockHeight >= LOCKTIME_THRESHOLD)
    throw new DisbursalError('lock-height', `lockHeight ${p.lockHeight} is not a block height 1..${LOCKTIME_THRESHOLD - 1}`);
  if (!Number.isSafeInteger(p.feeRate) || p.feeRate < 1) throw new DisbursalError('fee-rate', `feeRate ${p.feeRate} is not a whole sat/vB ≥ 1`);
  const maxWeight = p.maxTxWeight ?? DISBURSAL_MAX_TX_WEIGHT;
  if (!Number.isSafeInteger(maxWeight) || maxWeight > DISBURSAL_MAX_TX_WEIGHT || maxWeight < disbursalTxWeight([c.scriptPubKey, c.scriptPubKey]))
    throw new DisbursalError('max-weight', `maxTxWeight ${maxWeight} is outside what a standard disbursal transaction can use`);
  const dust = p.dustLimit ?? SWEEP_DUST_LIMIT;
  checkSats(dust, 'dustLimit', 1n);
  if (!Array.isArray(p.accounts)) throw new DisbursalError('params', 'accounts must be an array');
  const seen = new Set<string>();
  let registered = 0n;
  const accounts = p.accounts.map((a, i) => {
    if (a === null || typeof a !== 'object' || typeof a.account !== 'string' || !/^0x[0-9a-f]{40}$/.test(a.account))
      throw new DisbursalError('account', `account ${i} is not 0x + 40 lowercase hex`);
    if (seen.has(a.account)) throw new DisbursalError('duplicate-account', `account ${a.account} appears twice`);
    seen.add(a.account);
    checkSats(a.balanceSats, `account ${a.account} balanceSats`);
    if (!isPayoutScript(a.scriptPubKey)) throw new DisbursalError('recovery-script', `account ${a.account}: recovery script is not P2PKH, P2SH, P2WPKH, P2WSH or P2TR`);
    if (equalBytes(a.scriptPubKey, c.scriptPubKey)) throw new DisbursalError('recovery-script', `account ${a.account}: recovery script is the custody script`);
    registered += a.balanceSats;
    return a;
  });
  if (registered > p.liabilitySats)
    throw new DisbursalError('liability', `registered balances ${registered} sat exceed the liability ${p.liabilitySats} sat: the view is inconsistent`);
  // Byte order of the lowercase hex = numeric order of the address: the one order every signer agrees on.
  accounts.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  return { accounts, maxWeight, dust };
}

/** Splits payouts greedily, in account order, into batches whose signed transaction fits maxWeight. */
function batch(scripts: readonly Uint8Array[], maxWeight: number): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let currentScripts: Uint8Array[] = [];
  scripts.forEach((s, i) => {
    if (current.length > 0 && disbursalTxWeight([...currentScripts, s]) > maxWeight) {
      batches.push(current);
      current = [];
      currentScripts = [];
    }
    current.push(i);
    currentScripts.push(s);
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Builds the unsigned disbursal of one custody output. Throws DisbursalError naming the broken rule.
 *
 * Amounts: share_i = balance_i × min(1, custody / liability) (rounded down). The fee of every transaction
 * (exact vsize × rate) is split by output weight over the payouts and the excess output (sweep's splitFee: rounded
 * up, the overhead spread in proportion). A share that is dust, or whose payout after its fee share would be, is
 * skipped and stays with the excess; the excess output is dropped (its sats become fee) when it would be dust.
 * So Σ payouts + excess + fees = custody exactly, and no payout exceeds its share.
 */
export function buildDisbursal(params: DisbursalParams): DisbursalBuild {
  const { accounts, maxWeight, dust } = checkParams(params);
  const custody = params.custody;
  const C = custody.value;
  const L = params.liabilitySats;
  const shareOf = (balance: bigint): bigint => (L === 0n ? 0n : C >= L ? balance : (balance * C) / L);

  const skipped: DisbursalSkip[] = [];
  let included = accounts.map((a) => ({ ...a, shareSats: shareOf(a.balanceSats) })).filter((a) => {
    if (a.shareSats >= dust) return true;
    skipped.push({ account: a.account, balanceSats: a.balanceSats, shareSats: a.shareSats, reason: 'share-below-dust' });
    return false;
  });
  let withExcess = true;

  // Each round either finishes or removes a payout or the excess output, so it ends within n + 2 rounds.
  for (;;) {
    const scripts = included.map((a) => a.scriptPubKey);
    const batches = batch(scripts, maxWeight);
    const finalFees = batches.map((b) => feeFor(disbursalTxWeight(b.map((i) => scripts[i]!)), params.feeRate));
    const intermediateScripts = [...batches.map(() => custody.scriptPubKey), ...(withExcess ? [params.excessScriptPubKey] : [])];
    const intermediateWeight = disbursalTxWeight(intermediateScripts);
    if (intermediateWeight > maxWeight) throw new DisbursalError('too-many-batches', `${batches.length} batches do not fit one standard intermediate transaction`);
    const intermediateFee = feeFor(intermediateWeight, params.feeRate);
    const totalFee = intermediateFee + finalFees.reduce((s, f) => s + f, 0n);

    const weights = [...scripts.map(outputWeight), ...(withExcess ? [outputWeight(params.excessScriptPubKey)] : [])];
    if (weights.length === 0) throw new DisbursalError('custody-below-fee', `custody ${C} sat cannot pay the disbursal fee and a non-dust output`);
    const feeShares = splitFee(weights, totalFee);
    const below = included.filter((a, i) => a.shareSats - feeShares[i]! < dust);
    if (below.length > 0) {
      for (const a of below) skipped.push({ account: a.account, balanceSats: a.balanceSats, shareSats: a.shareSats, reason: 'payout-below-dust' });
      const drop = new Set(below.map((a) => a.account));
      included = included.filter((a) => !drop.has(a.account));
      continue;
    }
    const paid = included.reduce((s, a, i) => s + a.shareSats - feeShares[i]!, 0n);
    const leftover = C - paid - totalFee;
    if (leftover < 0n) throw new DisbursalError('custody-below-fee', `custody ${C} sat is less than payouts ${paid} sat + fees ${totalFee} sat`);
    if (withExcess && leftover < dust) {
      withExcess = false;
      continue;
    }

    const payouts: DisbursalPayout[] = [];
    const fundingValues = batches.map((b, k) => b.reduce((s, i) => s + included[i]!.shareSats - feeShares[i]!, 0n) + finalFees[k]!);
    const intermediateTx: Transaction = {
      version: SWEEP_VERSION,
      locktime: params.lockHeight,
      inputs: [{ prevout: { txid: parseTxid(custody.txid, 'custody'), vout: custody.vout }, scriptSig: EMPTY, sequence: DISBURSAL_SEQUENCE, witness: [] }],
      outputs: [...fundingValues.map((value) => ({ value, scriptPubKey: custody.scriptPubKey })), ...(withExcess ? [{ value: leftover, scriptPubKey: params.excessScriptPubKey }] : [])],
    };
    const intermediate = finishTx(intermediateTx, { value: C, scriptPubKey: custody.scriptPubKey }, intermediateWeight);
    const finals = batches.map((b, k) => {
      const tx: Transaction = {
        version: SWEEP_VERSION,
        locktime: params.lockHeight,
        inputs: [{ prevout: { txid: computeTxid(intermediateTx), vout: k }, scriptSig: EMPTY, sequence: DISBURSAL_SEQUENCE, witness: [] }],
        outputs: b.map((i, vout) => {
          const a = included[i]!;
          const amountSats = a.shareSats - feeShares[i]!;
          payouts.push({ account: a.account, scriptPubKey: a.scriptPubKey, balanceSats: a.balanceSats, shareSats: a.shareSats, feeShareSats: feeShares[i]!, amountSats, batch: k, vout });
          return { value: amountSats, scriptPubKey: a.scriptPubKey };
        }),
      };
      return finishTx(tx, intermediateTx.outputs[k]!, disbursalTxWeight(tx.outputs.map((o) => o.scriptPubKey)));
    });
    skipped.sort((a, b) => (a.account < b.account ? -1 : 1));
    return {
      intermediate,
      finals,
      payouts,
      skipped,
      excessSats: withExcess ? leftover : 0n,
      totalFee: intermediate.fee + finals.reduce((s, f) => s + f.fee, 0n),
      lockHeight: params.lockHeight,
      feeRate: params.feeRate,
    };
  }
}

function finishTx(tx: Transaction, prevout: TxOutput, weight: number): DisbursalTx {
  const fee = prevout.value - tx.outputs.reduce((s, o) => s + o.value, 0n);
  return { tx, hex: encodeTransactionHex(tx), txid: hashToHex(computeTxid(tx)), prevout, weight, vsize: weightToVsize(weight), fee };
}

/** What signing needs of a disbursal transaction: its bytes and the one output it spends. */
export type DisbursalTxToSign = Pick<DisbursalTx, 'tx' | 'prevout'>;
export interface DisbursalToSign {
  intermediate: DisbursalTxToSign;
  finals: readonly DisbursalTxToSign[];
}

/** Every transaction of the disbursal, intermediate first: the order signatures are given in. */
export function disbursalTransactions<T extends DisbursalTxToSign>(build: { intermediate: T; finals: readonly T[] }): T[] {
  return [build.intermediate, ...build.finals];
}

/** The BIP341 SIGHASH_DEFAULT key-path sighash of each transaction's one input, intermediate first. */
export function disbursalSighashes(build: DisbursalToSign): Uint8Array[] {
  return disbursalTransactions(build).map((t) => taprootSighash({ tx: t.tx, inputIndex: 0, prevouts: [t.prevout], hashType: SIGHASH_DEFAULT }));
}

/** Whether `signature` is a valid BIP340 key-path signature of transaction `index` under the custody output key. */
export function verifyDisbursalSignature(sighash: Uint8Array, signature: Uint8Array, outputKey: Uint8Array): boolean {
  try {
    return signature.length === 64 && schnorr.verify(signature, sighash, outputKey);
  } catch {
    return false;
  }
}

export interface SignedDisbursalTx {
  txid: string;
  wtxid: string;
  /** Full serialization with the witness, ready for sendrawtransaction. */
  hex: string;
  weight: number;
  vsize: number;
}

/** Puts one 64-byte key-path signature in each transaction (intermediate first). Does not verify them. */
export function finalizeDisbursal(build: DisbursalToSign, signatures: readonly Uint8Array[]): SignedDisbursalTx[] {
  const txs = disbursalTransactions(build);
  if (signatures.length !== txs.length) throw new DisbursalError('signatures', `${signatures.length} signatures for ${txs.length} transactions`);
  return txs.map((t, i) => {
    const sig = signatures[i]!;
    if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new DisbursalError('signatures', `transaction ${i}: signature must be 64 bytes`);
    const tx: Transaction = { ...t.tx, inputs: [{ ...t.tx.inputs[0]!, witness: [sig] }] };
    const weight = transactionWeight(tx);
    return { txid: hashToHex(computeTxid(tx)), wtxid: hashToHex(computeWtxid(tx)), hex: bytesToHex(encodeTransaction(tx)), weight, vsize: weightToVsize(weight) };
  });
}
