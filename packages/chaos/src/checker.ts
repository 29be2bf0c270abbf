// The invariants, as pure functions of what was asked for (the load the harness submitted) and what the chains and
// the public API show (a Snapshot from observer.ts). Nothing here reads a service's database or logs.

export interface SubmittedDeposit {
  n: number;
  form: 'taproot' | 'op_return' | 'reclaimed' | 'large';
  txid: string;
  vout: number;
  amountSats: bigint;
  /** Lower-case EVM address. */
  recipient: string;
  sentAt: number;
  /** Hex of the deposit's reclaim leaf script (taproot forms): a spend that shows it in its witness is the owner's reclaim. */
  reclaimScript?: string;
}

export interface SubmittedWithdrawal {
  n: number;
  id: string;
  /** Unique per withdrawal: the checker finds its payout by this script alone. */
  scriptPubKey: string;
  scriptType: string;
  amountSats: bigint;
  maxFeeSats: bigint;
  burnedAt: number;
}

export interface Payout {
  txid: string;
  vout: number;
  valueSats: bigint;
  height: number;
}

export interface Snapshot {
  takenAt: number;
  btcTip: number;
  /** Outpoint `txid:vout` of each submitted deposit output that is in a best-chain block. */
  depositsOnChain: Set<string>;
  /** Deposit outpoints spent on the best chain by their owner's reclaim leaf (never-registered ones, or held ones taken back). */
  reclaimedOnChain: Set<string>;
  /** `recipient:amountSats` → number of L2 mint entries (EIP-4895 withdrawal-list entries) on the L2 chain. */
  mints: Map<string, number>;
  /** Mint entries on the L2 chain for our users' addresses that match no submitted deposit. */
  unmatchedMints: string[];
  /** Withdrawal script → outputs paying it on the best chain. */
  payouts: Map<string, Payout[]>;
  /** Money: custody on Bitcoin (custody-script UTXOs + unspent registered deposits), from the chain. */
  custodySats: bigint;
  /** Σ mints − Σ burns, from the L2 chain. */
  l2SupplySats: bigint;
  /** Σ burns whose payout is not on the best chain. */
  pendingSats: bigint;
  /** Fees the custody paid: per sweep on the best chain, its fee less what the withdrawals it paid bore of it. */
  feesPaidSats: bigint;
  /** Public API: deposit status by outpoint, withdrawal status by id (absent when the read failed). */
  depositStatus: Map<string, string>;
  withdrawalStatus: Map<string, string>;
  /** Public API: the sweep-coordinator's own reserves check. */
  reserves?: { invariantHolds: boolean | null; discrepancySats: string | null };
}

export type InvariantName = 'no-deposit-lost' | 'no-deposit-minted-twice' | 'no-withdrawal-lost' | 'no-withdrawal-paid-twice' | 'custody-balances' | 'final-within-bound';

export interface Violation {
  invariant: InvariantName;
  at: number;
  detail: string;
}

export const outpoint = (txid: string, vout: number): string => `${txid}:${vout}`;
export const mintKey = (recipient: string, amountSats: bigint): string => `${recipient.toLowerCase()}:${amountSats}`;

/** API statuses of a deposit whose mint the L2 chain shows (the indexer's own view stops at confirmed until swept). */
export const DEPOSIT_DONE = ['confirmed', 'held_capacity', 'minted', 'swept'];

/** Deposits that must be minted: everything but the reclaimed ones (never registered). */
export const mintable = (d: SubmittedDeposit): boolean => d.form !== 'reclaimed';

/**
 * Held for capacity (EVM_MINT_CAPACITY=stake): confirmed on the best chain, not minted, not reclaimed, and the public API
 * says held_capacity. Not lost: it stays in custody, reclaimable by its owner, and is minted once stake makes room. So
 * it is final for now, and custody holds it beside the L2 supply.
 */
export function isHeld(s: Snapshot, d: SubmittedDeposit): boolean {
  const op = outpoint(d.txid, d.vout);
  return mintable(d) && (s.mints.get(mintKey(d.recipient, d.amountSats)) ?? 0) === 0 && s.depositsOnChain.has(op) && !s.reclaimedOnChain.has(op) && s.depositStatus.get(op) === 'held_capacity';
}

/** A registered deposit its owner took back (held, then reclaimed after its lock): final, and never to be minted. */
const reclaimedByOwner = (s: Snapshot, d: SubmittedDeposit): boolean => mintable(d) && s.reclaimedOnChain.has(outpoint(d.txid, d.vout));

/** Σ of the deposits held for capacity: in custody on Bitcoin, not (yet) L2 supply. */
export function heldSats(s: Snapshot, deposits: readonly SubmittedDeposit[]): bigint {
  return deposits.filter((d) => isHeld(s, d)).reduce((n, d) => n + d.amountSats, 0n);
}

/** Safety, checked on every snapshot: nothing minted twice or from nothing, nothing paid twice. */
export function checkSafety(s: Snapshot, deposits: readonly SubmittedDeposit[], withdrawals: readonly SubmittedWithdrawal[]): Violation[] {
  const v: Violation[] = [];
  for (const d of deposits) {
    const count = s.mints.get(mintKey(d.recipient, d.amountSats)) ?? 0;
    if (count > 1) v.push({ invariant: 'no-deposit-minted-twice', at: s.takenAt, detail: `deposit #${d.n} ${outpoint(d.txid, d.vout)} (${d.amountSats} sat to ${d.recipient}) minted ${count} times` });
    if (!mintable(d) && count > 0) v.push({ invariant: 'no-deposit-minted-twice', at: s.takenAt, detail: `reclaimed deposit #${d.n} ${outpoint(d.txid, d.vout)} was minted (${count}) although it was never registered` });
    // Reclaimed on Bitcoin and minted on the L2: the same coins paid out twice (a held deposit must never be both).
    if (count > 0 && s.reclaimedOnChain.has(outpoint(d.txid, d.vout)))
      v.push({ invariant: 'no-deposit-minted-twice', at: s.takenAt, detail: `deposit #${d.n} (${d.form}) both reclaimed on Bitcoin and minted on the L2` });
  }
  for (const m of s.unmatchedMints) v.push({ invariant: 'no-deposit-minted-twice', at: s.takenAt, detail: `mint ${m} matches no deposit` });
  for (const w of withdrawals) {
    const paid = s.payouts.get(w.scriptPubKey) ?? [];
    if (paid.length > 1) v.push({ invariant: 'no-withdrawal-paid-twice', at: s.takenAt, detail: `withdrawal ${w.id} (${w.scriptType}) paid ${paid.length} times: ${paid.map((p) => `${p.txid}:${p.vout}@${p.height}`).join(', ')}` });
    for (const p of paid)
      if (p.valueSats < w.amountSats - w.maxFeeSats || p.valueSats > w.amountSats)
        v.push({ invariant: 'no-withdrawal-paid-twice', at: s.takenAt, detail: `withdrawal ${w.id} paid ${p.valueSats} sat, outside [amount − max fee, amount] = [${w.amountSats - w.maxFeeSats}, ${w.amountSats}]` });
  }
  return v;
}

/** What is still open: deposits not minted (or not yet final in the API), withdrawals not paid. */
export function openRequests(s: Snapshot, deposits: readonly SubmittedDeposit[], withdrawals: readonly SubmittedWithdrawal[], withApi = true): string[] {
  const open: string[] = [];
  for (const d of deposits) {
    const op = outpoint(d.txid, d.vout);
    if (mintable(d)) {
      if (reclaimedByOwner(s, d) || (withApi && isHeld(s, d))) continue;
      if ((s.mints.get(mintKey(d.recipient, d.amountSats)) ?? 0) === 0) open.push(`deposit #${d.n} ${op} (${d.form}) not minted (API: ${s.depositStatus.get(op) ?? '?'})`);
      else if (withApi && !DEPOSIT_DONE.includes(s.depositStatus.get(op) ?? '')) open.push(`deposit #${d.n} ${op} minted on the L2 but the API says ${s.depositStatus.get(op) ?? '?'}`);
    } else if (!s.reclaimedOnChain.has(op)) open.push(`deposit #${d.n} ${op} not reclaimed yet`);
  }
  for (const w of withdrawals) {
    if ((s.payouts.get(w.scriptPubKey) ?? []).length === 0) open.push(`withdrawal ${w.id} (${w.scriptType}) not paid on Bitcoin (API: ${s.withdrawalStatus.get(w.id) ?? '?'})`);
    else if (withApi && s.withdrawalStatus.get(w.id) !== 'paid') open.push(`withdrawal ${w.id} paid on Bitcoin but the API says ${s.withdrawalStatus.get(w.id) ?? '?'}`);
  }
  return open;
}

/** Liveness at the end: whatever is still open after the bound is lost (or late); a deposit off the chain is lost too. */
export function checkLiveness(s: Snapshot, deposits: readonly SubmittedDeposit[], withdrawals: readonly SubmittedWithdrawal[], boundMs: number, faultsEndedAt: number): Violation[] {
  const v: Violation[] = [];
  for (const d of deposits) {
    if (!s.depositsOnChain.has(outpoint(d.txid, d.vout)) && !s.reclaimedOnChain.has(outpoint(d.txid, d.vout)))
      v.push({ invariant: 'no-deposit-lost', at: s.takenAt, detail: `deposit #${d.n} ${outpoint(d.txid, d.vout)} is not on the best chain` });
    else if (mintable(d) && !reclaimedByOwner(s, d) && !isHeld(s, d) && (s.mints.get(mintKey(d.recipient, d.amountSats)) ?? 0) === 0)
      v.push({ invariant: 'no-deposit-lost', at: s.takenAt, detail: `deposit #${d.n} ${outpoint(d.txid, d.vout)} (${d.form}, ${d.amountSats} sat) confirmed but never minted (API: ${s.depositStatus.get(outpoint(d.txid, d.vout)) ?? '?'})` });
  }
  for (const w of withdrawals)
    if ((s.payouts.get(w.scriptPubKey) ?? []).length === 0)
      v.push({ invariant: 'no-withdrawal-lost', at: s.takenAt, detail: `withdrawal ${w.id} (${w.scriptType}, ${w.amountSats} sat) never paid (API: ${s.withdrawalStatus.get(w.id) ?? '?'})` });
  const open = openRequests(s, deposits, withdrawals);
  if (open.length > 0)
    v.push({ invariant: 'final-within-bound', at: s.takenAt, detail: `${open.length} request(s) not final ${Math.round((s.takenAt - faultsEndedAt) / 1000)} s after the faults stopped (bound ${Math.round(boundMs / 1000)} s): ${open.slice(0, 10).join('; ')}${open.length > 10 ? ' …' : ''}` });
  return v;
}

/**
 * At a quiescent checkpoint (nothing open, nothing in flight): custody = L2 supply + pending − fees paid + held (deposits
 * held for capacity are in custody but not minted; reclaimed ones have left custody and were never minted).
 */
export function checkCustody(s: Snapshot, deposits: readonly SubmittedDeposit[]): Violation[] {
  const held = heldSats(s, deposits);
  const expected = s.l2SupplySats + s.pendingSats - s.feesPaidSats + held;
  if (s.custodySats === expected) return [];
  return [{
    invariant: 'custody-balances', at: s.takenAt,
    detail: `custody on Bitcoin ${s.custodySats} sat ≠ L2 supply ${s.l2SupplySats} + pending ${s.pendingSats} − fees paid ${s.feesPaidSats} + held ${held} = ${expected} (off by ${s.custodySats - expected}; the API's reserves check: holds=${s.reserves?.invariantHolds ?? '?'}, discrepancy ${s.reserves?.discrepancySats ?? '?'})`,
  }];
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}
