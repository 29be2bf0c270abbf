/**
 * The stake ledger as pure types and an in-memory implementation (the model stake-accounting's Postgres ledger
 * follows). A transaction is a set of postings that sum to zero per asset; transactions are never changed; every
 * balance is the sum of its postings; only `external:` accounts (the world outside the ledger) may go negative.
 * A transaction names its source (an L2 log, an evidence id, an epoch's reward run), and its id is derived from
 * that source, so applying the same fact twice is a no-op and applying a different fact under a used id is refused.
 * Writers lock the touched accounts in one fixed order (`lockOrder`), so two transactions never deadlock.
 */
import { LedgerError } from './errors.js';
import type { RewardSplit } from './rewards.js';

export const ASSETS = ['STAKE', 'WEI'] as const;
export type Asset = (typeof ASSETS)[number];

export type LedgerSource =
  /** A staking contract log; a slash's log also names the evidence (keccak256 of its id), so it is traceable to it. */
  | { kind: 'l2_log'; blockHash: string; logIndex: number; evidenceIdHash?: string }
  | { kind: 'evidence'; evidenceId: string }
  | { kind: 'reward'; epoch: number };

export interface Posting {
  account: string;
  asset: Asset;
  /** Positive: the account's balance grows; negative: it shrinks. */
  amount: bigint;
}

export interface LedgerTransaction {
  id: string;
  source: LedgerSource;
  postings: readonly Posting[];
}

const ACCOUNT = /^(external:[a-z0-9_]+|[a-z_]+(:[0-9a-zA-Z_]+)*)$/;

export function sourceId(source: LedgerSource): string {
  switch (source.kind) {
    case 'l2_log':
      return `l2log:${source.blockHash.toLowerCase()}:${source.logIndex}`;
    case 'evidence':
      return `evidence:${source.evidenceId}`;
    case 'reward':
      return `reward:${source.epoch}`;
  }
}

/** Accounts outside the ledger's custody (wallets on the L2, fee income): the only ones allowed below zero. */
export function isExternalAccount(account: string): boolean {
  return account.startsWith('external:');
}

export const accounts = {
  /** Stake tokens held in wallets on the L2 (outside the staking contract). */
  wallets: 'external:l2_wallets',
  /** Where fee income enters (bridge fees and L2 gas fees, in wei). */
  feeIncome: 'external:fee_income',
  /** Rewards written back to the L2 (wei paid out). */
  rewardsPaid: 'external:rewards_paid',
  bond: (signer: string) => `bond:${signer}`,
  delegation: (signer: string, delegator: string) => `delegation:${signer}:${delegator}`,
  unbonding: (id: bigint) => `unbonding:${id}`,
  /** Stake taken by slashes. */
  slashed: 'slashed',
  /** Fees collected and not yet distributed (the carried dust lives here). */
  feePot: 'fee_pot',
  /** Rewards owed to an address, until written back to the L2. */
  reward: (address: string) => `reward:${address}`,
};

/** Checks shape and balance; returns the postings merged per (account, asset), sorted by lock order. */
export function checkTransaction(tx: LedgerTransaction): Posting[] {
  if (tx.id !== sourceId(tx.source)) throw new LedgerError(`transaction id ${tx.id} does not match its source (${sourceId(tx.source)})`);
  if (tx.postings.length === 0) throw new LedgerError(`${tx.id}: no postings`);
  const merged = new Map<string, Posting>();
  for (const p of tx.postings) {
    if (!ACCOUNT.test(p.account)) throw new LedgerError(`${tx.id}: bad account name ${JSON.stringify(p.account)}`);
    if (!(ASSETS as readonly string[]).includes(p.asset)) throw new LedgerError(`${tx.id}: unknown asset ${String(p.asset)}`);
    if (typeof p.amount !== 'bigint') throw new LedgerError(`${tx.id}: amounts are bigint`);
    const key = `${p.asset} ${p.account}`;
    const prev = merged.get(key);
    merged.set(key, { account: p.account, asset: p.asset, amount: (prev?.amount ?? 0n) + p.amount });
  }
  const totals = new Map<Asset, bigint>();
  for (const p of merged.values()) totals.set(p.asset, (totals.get(p.asset) ?? 0n) + p.amount);
  for (const [asset, total] of totals) if (total !== 0n) throw new LedgerError(`${tx.id}: ${asset} postings sum to ${total}, not 0`);
  return [...merged.values()].filter((p) => p.amount !== 0n).sort((a, b) => compareLockKey(a, b));
}

function compareLockKey(a: Posting, b: Posting): number {
  const ka = `${a.account} ${a.asset}`;
  const kb = `${b.account} ${b.asset}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The (account, asset) pairs a transaction touches, in the one order every writer locks them. */
export function lockOrder(tx: LedgerTransaction): { account: string; asset: Asset }[] {
  return checkTransaction(tx).map(({ account, asset }) => ({ account, asset }));
}

export function sameContent(a: LedgerTransaction, b: LedgerTransaction): boolean {
  const pa = checkTransaction(a);
  const pb = checkTransaction(b);
  return pa.length === pb.length && pa.every((p, i) => p.account === pb[i]!.account && p.asset === pb[i]!.asset && p.amount === pb[i]!.amount);
}

/**
 * What a ledger store offers: MemoryLedger answers synchronously, stake-accounting's PostgresLedger asynchronously
 * (the same results for the same transactions: its parity test posts the same sequences to both).
 */
export interface StakeLedger {
  /** Applies a transaction once: 'applied', or 'duplicate' for the same fact again. Throws LedgerError otherwise. */
  post(tx: LedgerTransaction): 'applied' | 'duplicate' | Promise<'applied' | 'duplicate'>;
  balance(account: string, asset: Asset): bigint | Promise<bigint>;
  has(id: string): boolean | Promise<boolean>;
  /** Balances ("ASSET account" → amount, zeros omitted) recomputed from the entries alone. */
  derivedBalances(): Map<string, bigint> | Promise<Map<string, bigint>>;
  /** The balances the store keeps (what it checks `>= 0` against), zeros omitted. */
  cachedBalances(): Map<string, bigint> | Promise<Map<string, bigint>>;
}

/** Append-only in-memory ledger: the reference model for the Postgres one and for replay tests. */
export class MemoryLedger implements StakeLedger {
  readonly #entries: LedgerTransaction[] = [];
  readonly #byId = new Map<string, LedgerTransaction>();
  readonly #balances = new Map<string, bigint>();

  /** Applies a transaction once: 'applied', or 'duplicate' for the same fact again. Throws LedgerError otherwise. */
  post(tx: LedgerTransaction): 'applied' | 'duplicate' {
    const postings = checkTransaction(tx);
    const existing = this.#byId.get(tx.id);
    if (existing !== undefined) {
      if (!sameContent(existing, tx)) throw new LedgerError(`${tx.id} was already recorded with different postings`);
      return 'duplicate';
    }
    for (const p of postings) {
      const after = (this.#balances.get(balanceKey(p.account, p.asset)) ?? 0n) + p.amount;
      if (after < 0n && !isExternalAccount(p.account)) throw new LedgerError(`${tx.id}: ${p.account} would hold ${after} ${p.asset}`);
    }
    for (const p of postings) this.#balances.set(balanceKey(p.account, p.asset), (this.#balances.get(balanceKey(p.account, p.asset)) ?? 0n) + p.amount);
    const frozen: LedgerTransaction = Object.freeze({ id: tx.id, source: Object.freeze({ ...tx.source }), postings: Object.freeze(postings.map((p) => Object.freeze({ ...p }))) });
    this.#entries.push(frozen);
    this.#byId.set(tx.id, frozen);
    return 'applied';
  }

  balance(account: string, asset: Asset): bigint {
    return this.#balances.get(balanceKey(account, asset)) ?? 0n;
  }

  get entries(): readonly LedgerTransaction[] {
    return this.#entries;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Balances recomputed from the entries alone (what the cached balances must always equal). */
  derivedBalances(): Map<string, bigint> {
    return deriveBalances(this.#entries);
  }

  cachedBalances(): Map<string, bigint> {
    return new Map([...this.#balances].filter(([, v]) => v !== 0n));
  }
}

export function balanceKey(account: string, asset: Asset): string {
  return `${asset} ${account}`;
}

/** Balances ("ASSET account" → amount, zeros omitted) as the sum of every posting. */
export function deriveBalances(entries: Iterable<LedgerTransaction>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const tx of entries) for (const p of tx.postings) out.set(balanceKey(p.account, p.asset), (out.get(balanceKey(p.account, p.asset)) ?? 0n) + p.amount);
  for (const [k, v] of out) if (v === 0n) out.delete(k);
  return out;
}

// ---- transactions that do not come from a staking log (those are in events.ts)

/**
 * An epoch's rewards: the epoch's fee income enters the pot, and the split's payouts leave it (the carried dust,
 * already in the pot, stays there). `split.pot` must be this income plus the pot's balance before.
 */
export function rewardTransaction(epoch: number, incomeWei: bigint, split: RewardSplit): LedgerTransaction {
  const source: LedgerSource = { kind: 'reward', epoch };
  const postings: Posting[] = [
    { account: accounts.feeIncome, asset: 'WEI', amount: -incomeWei },
    { account: accounts.feePot, asset: 'WEI', amount: incomeWei - split.paid },
  ];
  for (const [address, amount] of [...split.payouts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) postings.push({ account: accounts.reward(address), asset: 'WEI', amount });
  return { id: sourceId(source), source, postings };
}
