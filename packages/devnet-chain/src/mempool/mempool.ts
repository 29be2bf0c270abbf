import type { Transaction } from 'bitcoinjs-lib';
import { hashToHex } from '@tapbridge/bitcoin';
import { formatBtc, formatMoney } from '../amount.js';
import type { Coin } from '../chain/utxo-set.js';
import { outpointKey } from '../chain/utxo-set.js';
import { isFinalTx, sequenceLocksSatisfied } from '../consensus/locks.js';
import { checkInputScripts, checkTransaction, checkTxInputs, isCoinbaseTx, wtxidHex } from '../consensus/tx-checks.js';
import { RPC_ERROR, RpcError, TxRejectedError, rejectTx } from '../errors.js';
import { POLICY } from '../params.js';
import { checkStandard } from './standardness.js';

export interface MempoolEntry {
  tx: Transaction;
  txid: string;
  wtxid: string;
  fee: bigint;
  vsize: number;
  weight: number;
  /** Unix seconds when it entered the mempool. */
  time: number;
  /** Tip height when it entered the mempool. */
  height: number;
  /** Outpoints it spends. */
  spends: string[];
}

/** What the mempool needs to know about the chain it sits on. */
export interface MempoolChainView {
  tipHeight: number;
  tipMedianTimePast: number;
  /** Median time past of the active block at `height`. */
  medianTimePastAt(height: number): number;
  getCoin(key: string): Coin | undefined;
  isConfirmed(txid: string): boolean;
  now: number;
}

export interface AcceptOptions {
  /** sat/kvB; 0 disables the check (sendrawtransaction's maxfeerate). */
  maxFeeRateSatPerKvB: bigint;
  /** testmempoolaccept: validate only. */
  dryRun?: boolean;
  /** Core's bypass_limits, for transactions of disconnected blocks: no mempool min fee. */
  bypassLimits?: boolean;
}

export interface AcceptResult {
  entry: MempoolEntry;
  /** Txids evicted by replace-by-fee. */
  replaced: string[];
}

const feeRateLess = (feeA: bigint, vsizeA: number, feeB: bigint, vsizeB: number): boolean => feeA * BigInt(vsizeB) < feeB * BigInt(vsizeA);

/** Core's CFeeRate(fee, size): sat/kvB, truncated, which is what its replacement rule compares. */
const feeRatePerKvB = (fee: bigint, vsize: number): bigint => (fee * 1000n) / BigInt(vsize);

/** Core's CFeeRate::GetFee: the fee at `satPerKvB` for `vsize`, rounded up. */
export const feeAtRate = (satPerKvB: bigint, vsize: number): bigint => (BigInt(vsize) * satPerKvB + 999n) / 1000n;

/** Core's CFeeRate::ToString. */
const formatFeeRate = (satPerKvB: bigint): string => `${formatBtc(satPerKvB)} BTC/kvB`;

/**
 * Unconfirmed transactions, validated as Core's AcceptToMemoryPool does for the rules tapbridge meets:
 * inputs exist and are unspent, value balance, coinbase maturity, finality and BIP68, fees, standardness,
 * full-RBF replacement (BIP125 rules 3, 4, 5 and the feerate check), and every input script.
 */
export class Mempool {
  readonly entries = new Map<string, MempoolEntry>();
  /** outpoint → txid of the mempool transaction spending it. */
  readonly spentBy = new Map<string, string>();
  /** wtxids whose scripts passed, so block connection need not run them again (Core's script cache). */
  readonly verifiedScripts = new Set<string>();
  /**
   * Core's rolling minimum fee (sat/kvB) that a full mempool raises; 0 while the mempool is not full. The devnet
   * raises it on request (devnet_setmempoolminfee) to act like a node under load.
   */
  rollingMinFeeSatPerKvB = 0n;

  /** getmempoolinfo's mempoolminfee: the rolling minimum, never below the min relay fee (sat/kvB). */
  get minFeeSatPerKvB(): bigint {
    return this.rollingMinFeeSatPerKvB > POLICY.minRelayFeeSatPerKvB ? this.rollingMinFeeSatPerKvB : POLICY.minRelayFeeSatPerKvB;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A coin as seen from the mempool: chain coins not spent here, plus outputs of mempool transactions. */
  getCoin(key: string, view: MempoolChainView): Coin | undefined {
    if (this.spentBy.has(key)) return undefined;
    return this.getCoinIgnoringSpends(key, view);
  }

  private getCoinIgnoringSpends(key: string, view: MempoolChainView): Coin | undefined {
    const sep = key.lastIndexOf(':');
    const parent = this.entries.get(key.slice(0, sep));
    if (parent) {
      const out = parent.tx.outs[Number(key.slice(sep + 1))];
      return out ? { value: out.value, script: out.script, height: view.tipHeight + 1, coinbase: false } : undefined;
    }
    return view.getCoin(key);
  }

  accept(tx: Transaction, view: MempoolChainView, options: AcceptOptions): AcceptResult {
    checkTransaction(tx);
    if (isCoinbaseTx(tx)) throw rejectTx('coinbase');
    checkStandard(tx);
    const spendHeight = view.tipHeight + 1;
    if (!isFinalTx(tx, spendHeight, view.tipMedianTimePast)) throw rejectTx('non-final');
    const txid = tx.getId();
    const wtxid = wtxidHex(tx);
    const pooled = this.entries.get(txid);
    // Same txid with another witness (e.g. signed again with fresh nonces): Core names it apart.
    if (pooled) throw new TxRejectedError(RPC_ERROR.VERIFY_ALREADY_IN_CHAIN, pooled.wtxid === wtxid ? 'txn-already-in-mempool' : 'txn-same-nonwitness-data-in-mempool');

    const keys = tx.ins.map((input) => outpointKey(hashToHex(input.hash), input.index));
    const conflicts = new Set<string>();
    for (const key of keys) {
      const spender = this.spentBy.get(key);
      if (spender !== undefined) conflicts.add(spender);
    }
    const coins = keys.map((key) => {
      const coin = this.getCoinIgnoringSpends(key, view);
      if (!coin) {
        if (view.isConfirmed(txid)) throw new RpcError(RPC_ERROR.VERIFY_ALREADY_IN_CHAIN, 'Transaction outputs already in utxo set');
        throw new TxRejectedError(RPC_ERROR.VERIFY_ERROR, 'bad-txns-inputs-missingorspent');
      }
      return coin;
    });
    const fee = checkTxInputs(tx, coins, spendHeight);
    const times = coins.map((c) => ({
      height: c.height,
      medianTimePastBefore: c.height > view.tipHeight ? view.tipMedianTimePast : view.medianTimePastAt(Math.max(c.height - 1, 0)),
    }));
    if (!sequenceLocksSatisfied(tx, times, spendHeight, view.tipMedianTimePast)) throw rejectTx('non-BIP68-final');

    const vsize = tx.virtualSize();
    // Core's PreChecks order: the min relay fee, then the mempool's (possibly raised) minimum, then replacement.
    const minFee = feeAtRate(POLICY.minRelayFeeSatPerKvB, vsize);
    if (!options.bypassLimits && fee < minFee) throw rejectTx('min relay fee not met', `${fee} < ${minFee}`);
    const mempoolRejectFee = feeAtRate(this.rollingMinFeeSatPerKvB, vsize);
    if (!options.bypassLimits && mempoolRejectFee > 0n && fee < mempoolRejectFee) throw rejectTx('mempool min fee not met', `${fee} < ${mempoolRejectFee}`);
    if (options.maxFeeRateSatPerKvB > 0n && fee * 1000n > options.maxFeeRateSatPerKvB * BigInt(vsize))
      throw new RpcError(RPC_ERROR.VERIFY_ERROR, 'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)');

    const evicted = conflicts.size > 0 ? this.checkReplacement(tx, txid, keys, fee, vsize, conflicts) : [];
    if (!this.verifiedScripts.has(wtxid)) {
      checkInputScripts(tx, coins);
      this.verifiedScripts.add(wtxid);
    }
    const entry: MempoolEntry = { tx, txid, wtxid, fee, vsize, weight: tx.weight(), time: view.now, height: view.tipHeight, spends: keys };
    if (!options.dryRun) {
      for (const id of evicted) this.removeOne(id);
      this.entries.set(txid, entry);
      for (const key of keys) this.spentBy.set(key, txid);
    }
    return { entry, replaced: evicted };
  }

  /**
   * Full RBF (Core's default since v28; every transaction is replaceable), with Core's rules in Core's order
   * (validation.cpp PreChecks and ReplacementChecks, policy/rbf.cpp) and its reject reasons and messages:
   * - no spending of a transaction it replaces (bad-txns-spends-conflicting-tx);
   * - BIP125 rule 6: a higher fee rate than each direct conflict, compared as Core's truncated sat/kvB;
   * - rule 5: at most 100 transactions evicted (direct conflicts with their descendants);
   * - rule 2: no new unconfirmed inputs, except outputs of transactions an evicted one already spends;
   * - rule 3: an absolute fee at least the sum of everything evicted;
   * - rule 4: the extra fee pays the replacement's own relay at the incremental relay fee rate.
   */
  private checkReplacement(tx: Transaction, txid: string, keys: readonly string[], fee: bigint, vsize: number, conflicts: Set<string>): string[] {
    for (const key of keys) {
      for (const ancestor of this.withAncestors(key.slice(0, key.lastIndexOf(':'))))
        if (conflicts.has(ancestor)) throw rejectTx('bad-txns-spends-conflicting-tx', `${txid} spends conflicting transaction ${ancestor}`);
    }
    const newRate = feeRatePerKvB(fee, vsize);
    for (const id of conflicts) {
      const old = this.entries.get(id)!;
      const oldRate = feeRatePerKvB(old.fee, old.vsize);
      if (newRate <= oldRate) throw rejectTx('insufficient fee', `rejecting replacement ${txid}; new feerate ${formatFeeRate(newRate)} <= old feerate ${formatFeeRate(oldRate)}`);
    }
    // Core counts each direct conflict with its descendants (shared descendants counted twice: conservative).
    const candidates = [...conflicts].reduce((n, id) => n + this.withDescendants(id).length, 0);
    if (candidates > POLICY.maxReplacementEvictions)
      throw rejectTx('too many potential replacements', `rejecting replacement ${txid}; too many potential replacements (${candidates} > ${POLICY.maxReplacementEvictions})`);
    const evicted = new Set<string>();
    for (const id of conflicts) for (const d of this.withDescendants(id)) evicted.add(d);
    const parentsOfConflicts = new Set<string>();
    // Core v28+ (HasNoNewUnconfirmed over all conflicts): parents of anything evicted may be spent.
    for (const id of evicted) for (const key of this.entries.get(id)!.spends) parentsOfConflicts.add(key.slice(0, key.lastIndexOf(':')));
    for (let j = 0; j < tx.ins.length; j++) {
      const parent = hashToHex(tx.ins[j]!.hash);
      if (!parentsOfConflicts.has(parent) && this.entries.has(parent)) throw rejectTx('replacement-adds-unconfirmed', `replacement ${txid} adds unconfirmed input, idx ${j}`);
    }
    const evictedFees = [...evicted].reduce((sum, id) => sum + this.entries.get(id)!.fee, 0n);
    if (fee < evictedFees) throw rejectTx('insufficient fee', `rejecting replacement ${txid}, less fees than conflicting txs; ${formatMoney(fee)} < ${formatMoney(evictedFees)}`);
    const relayFee = feeAtRate(POLICY.incrementalRelayFeeSatPerKvB, vsize);
    if (fee - evictedFees < relayFee)
      throw rejectTx('insufficient fee', `rejecting replacement ${txid}, not enough additional fees to relay; ${formatMoney(fee - evictedFees)} < ${formatMoney(relayFee)}`);
    return [...evicted];
  }

  /** Mempool transactions spending an output of `txid` directly (getmempoolentry's spentby). */
  children(txid: string): string[] {
    const entry = this.entries.get(txid);
    if (!entry) return [];
    const out = new Set<string>();
    entry.tx.outs.forEach((_, vout) => {
      const child = this.spentBy.get(outpointKey(txid, vout));
      if (child) out.add(child);
    });
    return [...out];
  }

  /** Mempool transactions whose outputs `txid` spends directly (getmempoolentry's depends). */
  parents(txid: string): string[] {
    const entry = this.entries.get(txid);
    if (!entry) return [];
    return [...new Set(entry.spends.map((k) => k.slice(0, k.lastIndexOf(':'))).filter((id) => this.entries.has(id)))];
  }

  /** The transaction and its unconfirmed ancestors, transitively. */
  withAncestors(txid: string): string[] {
    const out: string[] = [];
    const queue = [txid];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (!this.entries.has(id) || seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      queue.push(...this.parents(id));
    }
    return out;
  }

  /** The transaction and everything in the mempool that spends its outputs, transitively. */
  withDescendants(txid: string): string[] {
    const out: string[] = [];
    const queue = [txid];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const id = queue.pop()!;
      const entry = this.entries.get(id);
      if (!entry || seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      entry.tx.outs.forEach((_, vout) => {
        const child = this.spentBy.get(outpointKey(id, vout));
        if (child) queue.push(child);
      });
    }
    return out;
  }

  private removeOne(txid: string): void {
    const entry = this.entries.get(txid);
    if (!entry) return;
    this.entries.delete(txid);
    for (const key of entry.spends) if (this.spentBy.get(key) === txid) this.spentBy.delete(key);
  }

  /** Core's removeForBlock: drop the block's transactions, and anything conflicting with them (with descendants). */
  removeForBlock(txs: readonly Transaction[], txids: readonly string[]): void {
    txs.forEach((tx, i) => {
      if (i === 0) return;
      if (this.entries.has(txids[i]!)) {
        this.removeOne(txids[i]!);
        return;
      }
      for (const input of tx.ins) {
        const spender = this.spentBy.get(outpointKey(hashToHex(input.hash), input.index));
        if (spender) for (const id of this.withDescendants(spender)) this.removeOne(id);
      }
    });
  }

  /** Core's TrimToSize, as the devnet uses it: evicts every transaction paying below `satPerKvB`, with its descendants. */
  evictBelow(satPerKvB: bigint): string[] {
    const evicted = new Set<string>();
    for (const e of [...this.entries.values()]) {
      if (evicted.has(e.txid) || e.fee * 1000n >= satPerKvB * BigInt(e.vsize)) continue;
      for (const id of this.withDescendants(e.txid)) evicted.add(id);
    }
    for (const id of evicted) this.removeOne(id);
    return [...evicted];
  }

  /** Takes every entry out, oldest first, so a reorg can re-validate them against the new tip. */
  drain(): MempoolEntry[] {
    const all = [...this.entries.values()].sort((a, b) => a.time - b.time);
    this.entries.clear();
    this.spentBy.clear();
    return all;
  }

  /**
   * Core's BlockAssembler, simplified: highest fee rate first, a transaction only after its mempool
   * parents, until the weight budget is used. Transactions paying less than `floorSatPerKvB` (by their own
   * fee rate, no CPFP) are left out, and with them their descendants (Core's -blockmintxfee).
   */
  selectForBlock(maxWeight: number, floorSatPerKvB = 0n): MempoolEntry[] {
    const pending = [...this.entries.values()].filter((e) => e.fee * 1000n >= floorSatPerKvB * BigInt(e.vsize)).sort((a, b) => (feeRateLess(a.fee, a.vsize, b.fee, b.vsize) ? 1 : feeRateLess(b.fee, b.vsize, a.fee, a.vsize) ? -1 : a.time - b.time));
    const chosen: MempoolEntry[] = [];
    const included = new Set<string>();
    let weight = 0;
    let progress = true;
    while (progress) {
      progress = false;
      for (const entry of pending) {
        if (included.has(entry.txid)) continue;
        const parentsIn = entry.spends.every((key) => {
          const parent = key.slice(0, key.lastIndexOf(':'));
          return !this.entries.has(parent) || included.has(parent);
        });
        if (!parentsIn || weight + entry.weight > maxWeight) continue;
        chosen.push(entry);
        included.add(entry.txid);
        weight += entry.weight;
        progress = true;
      }
    }
    return chosen;
  }
}
