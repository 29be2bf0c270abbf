import type { Transaction } from 'bitcoinjs-lib';
import { hashToHex } from '@tapbridge/bitcoin';
import { formatBtc } from '../amount.js';
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
}

export interface AcceptResult {
  entry: MempoolEntry;
  /** Txids evicted by replace-by-fee. */
  replaced: string[];
}

const feeRateLess = (feeA: bigint, vsizeA: number, feeB: bigint, vsizeB: number): boolean => feeA * BigInt(vsizeB) < feeB * BigInt(vsizeA);

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
    if (this.entries.has(txid)) throw new TxRejectedError(RPC_ERROR.VERIFY_ALREADY_IN_CHAIN, 'txn-already-in-mempool');

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
    const minFee = (BigInt(vsize) * POLICY.minRelayFeeSatPerKvB + 999n) / 1000n;
    if (fee < minFee) throw rejectTx('min relay fee not met', `${fee} < ${minFee}`);
    if (options.maxFeeRateSatPerKvB > 0n && fee * 1000n > options.maxFeeRateSatPerKvB * BigInt(vsize))
      throw new RpcError(RPC_ERROR.VERIFY_ERROR, 'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)');

    const evicted = conflicts.size > 0 ? this.checkReplacement(txid, keys, fee, vsize, conflicts) : [];
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

  /** Full-RBF (Core's default since v28): the replacement must pay more in rate and in total, plus its own relay. */
  private checkReplacement(txid: string, keys: readonly string[], fee: bigint, vsize: number, conflicts: Set<string>): string[] {
    const evicted = new Set<string>();
    for (const id of conflicts) for (const d of this.withDescendants(id)) evicted.add(d);
    if (evicted.size > POLICY.maxReplacementEvictions) throw rejectTx('too many potential replacements', `rejecting replacement ${txid}; too many potential replacements (${evicted.size} > ${POLICY.maxReplacementEvictions})`);
    for (const key of keys) {
      if (evicted.has(key.slice(0, key.lastIndexOf(':')))) throw rejectTx('bad-txns-spends-conflicting-tx', `${txid} spends conflicting transaction`);
    }
    for (const id of conflicts) {
      const old = this.entries.get(id)!;
      if (!feeRateLess(old.fee, old.vsize, fee, vsize))
        throw rejectTx('insufficient fee', `rejecting replacement ${txid}; new feerate ${formatBtc((fee * 1000n) / BigInt(vsize))} BTC/kvB <= old feerate ${formatBtc((old.fee * 1000n) / BigInt(old.vsize))} BTC/kvB`);
    }
    const evictedFees = [...evicted].reduce((sum, id) => sum + this.entries.get(id)!.fee, 0n);
    if (fee < evictedFees) throw rejectTx('insufficient fee', `rejecting replacement ${txid}, less fees than conflicting txs; ${formatBtc(fee)} < ${formatBtc(evictedFees)}`);
    const relayFee = (BigInt(vsize) * POLICY.incrementalRelayFeeSatPerKvB + 999n) / 1000n;
    if (fee - evictedFees < relayFee)
      throw rejectTx('insufficient fee', `rejecting replacement ${txid}, not enough additional fees to relay; ${formatBtc(fee - evictedFees)} < ${formatBtc(relayFee)}`);
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

  /** Takes every entry out, oldest first, so a reorg can re-validate them against the new tip. */
  drain(): MempoolEntry[] {
    const all = [...this.entries.values()].sort((a, b) => a.time - b.time);
    this.entries.clear();
    this.spentBy.clear();
    return all;
  }

  /**
   * Core's BlockAssembler, simplified: highest fee rate first, a transaction only after its mempool
   * parents, until the weight budget is used.
   */
  selectForBlock(maxWeight: number): MempoolEntry[] {
    const pending = [...this.entries.values()].sort((a, b) => (feeRateLess(a.fee, a.vsize, b.fee, b.vsize) ? 1 : feeRateLess(b.fee, b.vsize, a.fee, a.vsize) ? -1 : a.time - b.time));
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
