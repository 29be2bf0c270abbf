import { Capability, TransactionType, type TypedTransaction } from '@ethereumjs/tx';
import { TransactionRejectedError } from './errors.js';
import { toHex } from './hex.js';

/** A transaction admitted to the pool, with what the pool needs precomputed. */
export interface PoolTransaction {
  tx: TypedTransaction;
  hash: string;
  sender: string;
  raw: Uint8Array;
  /** Arrival order, to break ties between equal tips fairly. */
  seq: number;
  /** Arrival time (ms), for the expiry of queued transactions. */
  addedAt: number;
}

export interface SenderState {
  nonce: bigint;
  balance: bigint;
  /** EIP-3607: accounts with code cannot send transactions. */
  hasCode?: boolean;
}

/**
 * geth's txpool limits, adapted: "pending" transactions are a sender's gap-free run from their account nonce (they can
 * go in the next block), "queued" ones wait behind a nonce gap.
 */
export interface MempoolLimits {
  /** Most transactions the pool holds in total; past it the lowest-tipped one is evicted for a better one (geth GlobalSlots + GlobalQueue). */
  maxTransactions: number;
  /** Most pending transactions per sender (geth AccountSlots; a hard cap here, where geth lets an account exceed it while the pool has room). */
  accountSlots: number;
  /** Most queued (nonce-gap) transactions per sender (geth AccountQueue). */
  accountQueue: number;
  /** How far ahead of the account nonce a sender may queue. */
  maxNonceGap: bigint;
  /** Queued transactions older than this are dropped (geth Lifetime, 3 h): a gap nobody fills must not pin memory. */
  queuedLifetimeMs: number;
  /** A replacement must raise both fee caps by this many percent (geth PriceBump: 10). */
  replacementBumpPercent: bigint;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = {
  maxTransactions: 20_000,
  accountSlots: 64,
  accountQueue: 64,
  maxNonceGap: 64n,
  queuedLifetimeMs: 3 * 60 * 60 * 1000,
  replacementBumpPercent: 10n,
};

export function maxFeePerGas(tx: TypedTransaction): bigint {
  return tx.supports(Capability.EIP1559FeeMarket) ? (tx as { maxFeePerGas: bigint }).maxFeePerGas : (tx as { gasPrice: bigint }).gasPrice;
}

export function maxPriorityFeePerGas(tx: TypedTransaction): bigint {
  return tx.supports(Capability.EIP1559FeeMarket)
    ? (tx as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas
    : (tx as { gasPrice: bigint }).gasPrice;
}

/** What the block producer earns per gas: min(tip cap, fee cap − base fee). */
export function effectiveTip(tx: TypedTransaction, baseFee: bigint): bigint {
  const byCap = maxFeePerGas(tx) - baseFee;
  const tip = maxPriorityFeePerGas(tx);
  return tip < byCap ? tip : byCap;
}

export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  return baseFee + effectiveTip(tx, baseFee);
}

/** Upper bound of what the sender can lose: gas limit × fee cap + value. */
export function maxCost(tx: TypedTransaction): bigint {
  return tx.gasLimit * maxFeePerGas(tx) + tx.value;
}

/**
 * Validated pending transactions, per sender by nonce. Admission checks everything that does not change within
 * a block (signature, chain id, type, gas bounds) plus nonce, fee and the sender's funds for all their pending
 * transactions together, so a block built from `select` never fails validation in runBlock.
 */
export class Mempool {
  private readonly bySender = new Map<string, Map<bigint, PoolTransaction>>();
  private readonly byHash = new Map<string, PoolTransaction>();
  /** Each pooled sender's account nonce as last seen (admission or block), which splits pending from queued. */
  private readonly accountNonces = new Map<string, bigint>();
  private seq = 0;
  private lastExpiryScan = 0;

  constructor(
    private readonly chainId: bigint,
    private readonly blockGasLimit: bigint,
    private readonly limits: MempoolLimits = DEFAULT_MEMPOOL_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.byHash.size;
  }

  get(hash: string): PoolTransaction | undefined {
    return this.byHash.get(hash);
  }

  /** Next nonce to use for `sender` counting pending transactions with no gap ("pending" block tag). */
  pendingNonce(sender: string, accountNonce: bigint): bigint {
    const txs = this.bySender.get(sender);
    let n = accountNonce;
    while (txs?.has(n) === true) n++;
    return n;
  }

  /**
   * Checks `tx` statically (signature, chain, type, gas); returns the sender. Separate from `add` because the
   * caller must look up the sender's account (asynchronously) between the two.
   */
  precheck(tx: TypedTransaction): string {
    if (tx.type !== TransactionType.Legacy && tx.type !== TransactionType.AccessListEIP2930 && tx.type !== TransactionType.FeeMarketEIP1559) {
      throw new TransactionRejectedError('transaction type not supported');
    }
    if (!tx.isSigned()) throw new TransactionRejectedError('transaction is not signed');
    if (tx.type === TransactionType.Legacy && !tx.supports(Capability.EIP155ReplayProtection)) {
      throw new TransactionRejectedError('only replay-protected (EIP-155) transactions allowed over RPC');
    }
    if (tx.common.chainId() !== this.chainId) throw new TransactionRejectedError('invalid chain id for signer');
    let sender: string;
    try {
      sender = tx.getSenderAddress().toString();
    } catch {
      throw new TransactionRejectedError('invalid sender: signature does not recover');
    }
    if (tx.gasLimit > this.blockGasLimit) throw new TransactionRejectedError('exceeds block gas limit');
    if (tx.gasLimit < tx.getIntrinsicGas()) throw new TransactionRejectedError('intrinsic gas too low');
    if (maxPriorityFeePerGas(tx) > maxFeePerGas(tx)) throw new TransactionRejectedError('max priority fee per gas higher than max fee per gas');
    return sender;
  }

  /** Admits a prechecked transaction against the sender's committed state and the current base fee. */
  add(tx: TypedTransaction, sender: string, raw: Uint8Array, account: SenderState, baseFee: bigint): PoolTransaction {
    const hash = toHex(tx.hash());
    if (this.byHash.has(hash)) throw new TransactionRejectedError('already known');
    if (account.hasCode === true) throw new TransactionRejectedError(`sender not an eoa: address ${sender}`);
    if (tx.nonce < account.nonce) throw new TransactionRejectedError(`nonce too low: next nonce ${account.nonce}, tx nonce ${tx.nonce}`);
    if (tx.nonce > account.nonce + this.limits.maxNonceGap) throw new TransactionRejectedError(`nonce too high: next nonce ${account.nonce}, tx nonce ${tx.nonce}`);
    if (maxFeePerGas(tx) < baseFee) {
      throw new TransactionRejectedError(`max fee per gas less than block base fee: maxFeePerGas: ${maxFeePerGas(tx)}, baseFee: ${baseFee}`);
    }
    const txs = this.bySender.get(sender) ?? new Map<bigint, PoolTransaction>();
    const replaced = txs.get(tx.nonce);
    let evict: PoolTransaction | undefined;
    if (replaced !== undefined) {
      const bump = (v: bigint) => v + (v * this.limits.replacementBumpPercent) / 100n;
      if (maxFeePerGas(tx) < bump(maxFeePerGas(replaced.tx)) || maxPriorityFeePerGas(tx) < bump(maxPriorityFeePerGas(replaced.tx))) {
        throw new TransactionRejectedError('replacement transaction underpriced');
      }
    } else {
      this.checkAccountLimits(txs, tx.nonce, account.nonce);
      if (this.byHash.size >= this.limits.maxTransactions) evict = this.evictionFor(tx, sender, baseFee);
    }
    let committed = maxCost(tx);
    for (const [nonce, other] of txs) if (nonce !== tx.nonce && nonce >= account.nonce) committed += maxCost(other.tx);
    if (committed > account.balance) {
      throw new TransactionRejectedError(`insufficient funds for gas * price + value: balance ${account.balance}, tx cost ${maxCost(tx)}, overshot ${committed - account.balance}`);
    }
    if (evict !== undefined) this.removeFrom(evict.sender, evict.tx.nonce);
    const entry: PoolTransaction = { tx, hash, sender, raw, seq: this.seq++, addedAt: this.now() };
    if (replaced !== undefined) this.byHash.delete(replaced.hash);
    txs.set(tx.nonce, entry);
    this.bySender.set(sender, txs);
    this.byHash.set(hash, entry);
    this.accountNonces.set(sender, account.nonce);
    return entry;
  }

  /** geth AccountSlots / AccountQueue: a new nonce joins the sender's pending run or their queue, each bounded. */
  private checkAccountLimits(txs: Map<bigint, PoolTransaction>, nonce: bigint, accountNonce: bigint): void {
    let pendingEnd = accountNonce;
    while (txs.has(pendingEnd)) pendingEnd++;
    const pending = Number(pendingEnd - accountNonce);
    let queued = 0;
    for (const n of txs.keys()) if (n > pendingEnd) queued++;
    if (nonce === pendingEnd && pending >= this.limits.accountSlots) {
      throw new TransactionRejectedError(`account limit exceeded: ${pending} pending transactions, at most ${this.limits.accountSlots}`);
    }
    if (nonce > pendingEnd && queued >= this.limits.accountQueue) {
      throw new TransactionRejectedError(`account limit exceeded: ${queued} queued transactions, at most ${this.limits.accountQueue}`);
    }
  }

  /**
   * The pool is full: the transaction with the lowest effective tip (the latest of equals) makes room, if the
   * newcomer pays strictly more. Its sender's later nonces go with it, since they could no longer execute.
   */
  private evictionFor(tx: TypedTransaction, sender: string, baseFee: bigint): PoolTransaction {
    let cheapest: { entry: PoolTransaction; tip: bigint } | undefined;
    for (const entry of this.byHash.values()) {
      const tip = effectiveTip(entry.tx, baseFee);
      if (cheapest === undefined || tip < cheapest.tip || (tip === cheapest.tip && entry.seq > cheapest.entry.seq)) cheapest = { entry, tip };
    }
    if (cheapest === undefined || effectiveTip(tx, baseFee) <= cheapest.tip) throw new TransactionRejectedError('transaction underpriced: the pool is full');
    // Evicting one of the sender's own earlier nonces would leave the newcomer behind a gap.
    if (cheapest.entry.sender === sender && cheapest.entry.tx.nonce < tx.nonce) throw new TransactionRejectedError('txpool is full');
    return cheapest.entry;
  }

  /** Drops a sender's transaction at `nonce` and every later one. */
  private removeFrom(sender: string, nonce: bigint): number {
    const txs = this.bySender.get(sender);
    if (txs === undefined) return 0;
    let removed = 0;
    for (const [n, entry] of txs) {
      if (n < nonce) continue;
      txs.delete(n);
      this.byHash.delete(entry.hash);
      removed++;
    }
    if (txs.size === 0) this.forget(sender);
    return removed;
  }

  private forget(sender: string): void {
    this.bySender.delete(sender);
    this.accountNonces.delete(sender);
  }

  /**
   * Drops queued (nonce-gap) transactions older than the lifetime; pending ones are about to be mined anyway.
   * Scans at most once a second whatever the caller's rate. Returns how many were dropped.
   */
  expireQueued(): number {
    const now = this.now();
    if (now - this.lastExpiryScan < 1_000) return 0;
    this.lastExpiryScan = now;
    let dropped = 0;
    for (const [sender, txs] of [...this.bySender]) {
      let pendingEnd = this.accountNonces.get(sender) ?? 0n;
      while (txs.has(pendingEnd)) pendingEnd++;
      for (const [n, entry] of txs) {
        if (n > pendingEnd && now - entry.addedAt >= this.limits.queuedLifetimeMs) {
          txs.delete(n);
          this.byHash.delete(entry.hash);
          dropped++;
        }
      }
      if (txs.size === 0) this.forget(sender);
    }
    return dropped;
  }

  /**
   * Picks transactions for the next block: highest effective tip first, each sender's in nonce order with no
   * gaps, within the gas limit and each sender's balance (counting only their own spending, the one thing that
   * can lower an EOA's balance under Cancun).
   */
  async select(baseFee: bigint, gasLimit: bigint, account: (sender: string) => Promise<SenderState>): Promise<PoolTransaction[]> {
    const heads: { entry: PoolTransaction; tip: bigint }[] = [];
    const cursor = new Map<string, { nonce: bigint; funds: bigint }>();
    for (const [sender, txs] of this.bySender) {
      const state = await account(sender);
      const first = txs.get(state.nonce);
      cursor.set(sender, { nonce: state.nonce, funds: state.balance });
      if (first !== undefined && maxFeePerGas(first.tx) >= baseFee) heads.push({ entry: first, tip: effectiveTip(first.tx, baseFee) });
    }
    const heap = new TipHeap(heads);
    const chosen: PoolTransaction[] = [];
    let gasLeft = gasLimit;
    for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
      const { entry } = top;
      const c = cursor.get(entry.sender)!;
      const cost = maxCost(entry.tx);
      // A sender whose next transaction does not fit is skipped for this block, as geth does.
      if (entry.tx.gasLimit > gasLeft || cost > c.funds) continue;
      chosen.push(entry);
      gasLeft -= entry.tx.gasLimit;
      c.nonce += 1n;
      c.funds -= cost;
      const next = this.bySender.get(entry.sender)?.get(c.nonce);
      if (next !== undefined && maxFeePerGas(next.tx) >= baseFee) heap.push({ entry: next, tip: effectiveTip(next.tx, baseFee) });
      if (gasLeft < 21_000n) break;
    }
    return chosen;
  }

  /** After a block: drops everything at or below each sender's new nonce. */
  prune(senderNonces: Map<string, bigint>): void {
    for (const [sender, nonce] of senderNonces) {
      const txs = this.bySender.get(sender);
      if (txs === undefined) continue;
      for (const [n, entry] of txs) {
        if (n < nonce) {
          txs.delete(n);
          this.byHash.delete(entry.hash);
        }
      }
      if (txs.size === 0) this.forget(sender);
      else this.accountNonces.set(sender, nonce);
    }
  }

  remove(hash: string): void {
    const entry = this.byHash.get(hash);
    if (entry === undefined) return;
    this.byHash.delete(hash);
    const txs = this.bySender.get(entry.sender);
    txs?.delete(entry.tx.nonce);
    if (txs?.size === 0) this.forget(entry.sender);
  }

  senders(): string[] {
    return [...this.bySender.keys()];
  }
}

/** Max-heap on tip, then earliest arrival. */
class TipHeap {
  private readonly items: { entry: PoolTransaction; tip: bigint }[] = [];

  constructor(initial: { entry: PoolTransaction; tip: bigint }[]) {
    for (const item of initial) this.push(item);
  }

  push(item: { entry: PoolTransaction; tip: bigint }): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): { entry: PoolTransaction; tip: bigint } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && this.before(a[l]!, a[best]!)) best = l;
        if (r < a.length && this.before(a[r]!, a[best]!)) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best]!, a[i]!];
        i = best;
      }
    }
    return top;
  }

  private before(x: { entry: PoolTransaction; tip: bigint }, y: { entry: PoolTransaction; tip: bigint }): boolean {
    return x.tip !== y.tip ? x.tip > y.tip : x.entry.seq < y.entry.seq;
  }
}
