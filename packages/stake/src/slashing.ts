/**
 * Slashing on proof. Each verified offence has a configured rate; the signer's own bond, every delegation to it and
 * every still-slashable unbonding entry of either lose that share (rounded up per position, capped at the position),
 * and the signer is jailed for `jailEpochs` epochs, so it leaves the next set. An evidence id is slashed at most once,
 * and a signer already in jail is not slashed again until it is out: one fault that repeats over many sessions
 * before the next epoch (the signer keeps its seat until then) costs one slash, not one per session.
 */
import { assertBps, BPS, mulDivCeil } from './amounts.js';
import { delegationKey, isSlashable, type DelegationRecord, type SignerRecord, type StakeBook, type UnbondingRecord } from './book.js';
import { StakeRuleError } from './errors.js';

export const OFFENCES = ['invalid_partial_signature', 'equivocation', 'liveness'] as const;
export type Offence = (typeof OFFENCES)[number];

export interface SlashingConfig {
  rateBps: Record<Offence, number>;
  jailEpochs: number;
}

export interface SlashOrder {
  evidenceId: string;
  offence: Offence;
  /** The signer's bonding address (resolve a host key with signerByHostKey). */
  signer: string;
  /** The epoch in which the slash is applied; the signer is jailed for epochs < epoch + 1 + jailEpochs. */
  epoch: number;
}

export interface SlashDebit {
  kind: 'self' | 'delegation' | 'unbonding';
  /** Whose stake: the signer, a delegator, or an unbonding entry's owner. */
  owner: string;
  unbondingId?: bigint;
  before: bigint;
  amount: bigint;
}

export type SlashDecision =
  | { status: 'slash'; evidenceId: string; offence: Offence; signer: string; debits: SlashDebit[]; total: bigint; jailedUntilEpoch: number }
  | { status: 'duplicate' | 'already_jailed' | 'unknown_signer'; evidenceId: string };

export function checkSlashingConfig(c: SlashingConfig): SlashingConfig {
  for (const o of OFFENCES) assertBps(c.rateBps[o], `slashing rate of ${o}`);
  if (!Number.isInteger(c.jailEpochs) || c.jailEpochs < 0) throw new StakeRuleError(`jailEpochs must be a non-negative integer, got ${c.jailEpochs}`);
  return c;
}

export function signerByHostKey(book: StakeBook, hostPubkey: string): SignerRecord | undefined {
  const key = hostPubkey.toLowerCase();
  for (const s of book.signers.values()) if (s.hostPubkey === key) return s;
  return undefined;
}

/** What a slash would take, without changing anything. `slashed` holds the evidence ids already applied. */
export function planSlash(config: SlashingConfig, book: StakeBook, order: SlashOrder, slashed: ReadonlySet<string>, nowSeconds: bigint): SlashDecision {
  checkSlashingConfig(config);
  if (slashed.has(order.evidenceId)) return { status: 'duplicate', evidenceId: order.evidenceId };
  const signer = book.signers.get(order.signer);
  if (signer === undefined) return { status: 'unknown_signer', evidenceId: order.evidenceId };
  // Jailed through the next epoch: the set that excludes it has not started yet, or it is still out.
  if (signer.jailedUntilEpoch > order.epoch) return { status: 'already_jailed', evidenceId: order.evidenceId };
  const rate = BigInt(config.rateBps[order.offence]);
  const cut = (v: bigint): bigint => {
    const c = mulDivCeil(v, rate, BPS);
    return c > v ? v : c;
  };
  const debits: SlashDebit[] = [];
  const add = (d: Omit<SlashDebit, 'amount'>) => {
    const amount = cut(d.before);
    if (amount > 0n) debits.push({ ...d, amount });
  };
  add({ kind: 'self', owner: signer.address, before: signer.selfBond });
  for (const d of book.delegations.values()) if (d.signer === signer.address) add({ kind: 'delegation', owner: d.delegator, before: d.amount });
  for (const u of book.unbonding) if (u.signer === signer.address && isSlashable(u, nowSeconds)) add({ kind: 'unbonding', owner: u.owner, unbondingId: u.id, before: u.amount });
  let total = 0n;
  for (const d of debits) total += d.amount;
  return { status: 'slash', evidenceId: order.evidenceId, offence: order.offence, signer: signer.address, debits, total, jailedUntilEpoch: order.epoch + 1 + config.jailEpochs };
}

/** The book after a planned slash (a new book; the input is not changed). */
export function applySlash(book: StakeBook, decision: SlashDecision): StakeBook {
  if (decision.status !== 'slash') return book;
  const signers = new Map(book.signers);
  const delegations = new Map(book.delegations);
  const unbonding = book.unbonding.map((u) => ({ ...u }));
  const signer = signers.get(decision.signer)!;
  let selfBond = signer.selfBond;
  for (const d of decision.debits) {
    if (d.kind === 'self') selfBond -= d.amount;
    else if (d.kind === 'delegation') {
      const key = delegationKey(decision.signer, d.owner);
      const rec = delegations.get(key)!;
      if (rec.amount === d.amount) delegations.delete(key);
      else delegations.set(key, { ...rec, amount: rec.amount - d.amount });
    } else {
      const u = unbonding.find((x) => x.id === d.unbondingId)!;
      u.amount -= d.amount;
    }
  }
  signers.set(decision.signer, { ...signer, selfBond, jailedUntilEpoch: Math.max(signer.jailedUntilEpoch, decision.jailedUntilEpoch) });
  return { signers, delegations, unbonding };
}

/** A slash decided on verified evidence that the staking contract may not have applied yet. */
export interface PendingSlash {
  /** keccak256 of the evidence id: what the contract's Slashed/StakeSlashed logs carry. */
  evidenceIdHash: string;
  signer: string;
  debits: ReadonlyArray<Pick<SlashDebit, 'kind' | 'owner' | 'unbondingId' | 'amount'>>;
}

/**
 * The book with every decided slash that the L2 has not applied yet (its evidence id hash not among `applied`) taken
 * off, each position at most down to zero. Collateral, epochs and the API read this, so a slash counts from the
 * moment it is decided and not a second time once the contract's StakeSlashed logs are indexed. Jail is not touched.
 */
export function withPendingSlashes(book: StakeBook, pending: Iterable<PendingSlash>, applied: ReadonlySet<string>): StakeBook {
  let signers: Map<string, SignerRecord> | undefined;
  let delegations: Map<string, DelegationRecord> | undefined;
  let unbonding: UnbondingRecord[] | undefined;
  const less = (v: bigint, d: bigint): bigint => (d >= v ? 0n : v - d);
  for (const p of pending) {
    if (applied.has(p.evidenceIdHash.toLowerCase())) continue;
    for (const d of p.debits) {
      if (d.kind === 'self') {
        signers ??= new Map(book.signers);
        const s = signers.get(p.signer);
        if (s !== undefined) signers.set(p.signer, { ...s, selfBond: less(s.selfBond, d.amount) });
      } else if (d.kind === 'delegation') {
        delegations ??= new Map(book.delegations);
        const key = delegationKey(p.signer, d.owner);
        const rec = delegations.get(key);
        if (rec === undefined) continue;
        const left = less(rec.amount, d.amount);
        if (left === 0n) delegations.delete(key);
        else delegations.set(key, { ...rec, amount: left });
      } else {
        unbonding ??= book.unbonding.map((u) => ({ ...u }));
        const u = unbonding.find((x) => x.id === d.unbondingId);
        if (u !== undefined) u.amount = less(u.amount, d.amount);
      }
    }
  }
  return { signers: signers ?? book.signers, delegations: delegations ?? book.delegations, unbonding: unbonding ?? book.unbonding };
}
