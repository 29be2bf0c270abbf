/**
 * The staking contract's events as stake-accounting sees them (decoded from L2 logs at finality depth), how each
 * changes the stake book, and the ledger transaction each becomes. Replaying the events of the chain in log order
 * rebuilds the book and the ledger; both must agree with the contract's state.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { assertAmount, normaliseAddress } from './amounts.js';
import { delegationKey, type StakeBook, type UnbondingRecord } from './book.js';
import { StakeRuleError } from './errors.js';
import type { SlashDecision } from './slashing.js';
import { accounts, sourceId, type LedgerSource, type LedgerTransaction, type Posting } from './ledger.js';

export type StakingEvent =
  | { type: 'Bonded'; signer: string; amount: bigint; hostPubkey: string }
  | { type: 'Delegated'; delegator: string; signer: string; amount: bigint }
  | { type: 'UnbondingStarted'; id: bigint; owner: string; signer: string; amount: bigint; maturesAt: bigint }
  | { type: 'UnbondingReleased'; releasedBelow: bigint }
  | { type: 'Withdrawn'; id: bigint; owner: string; amount: bigint }
  /** kind 0: the signer's bond, 1: a delegation, 2: an unbonding entry. */
  | { type: 'StakeSlashed'; evidenceIdHash: string; signer: string; owner: string; kind: 0 | 1 | 2; unbondingId: bigint; amount: bigint }
  | { type: 'Slashed'; evidenceIdHash: string; signer: string; total: bigint };

export interface L2LogRef {
  blockHash: string;
  logIndex: number;
}

/** What the staking contract's `slash` takes as evidence id: keccak256 of the evidence id text. */
export function evidenceIdHash(evidenceId: string): string {
  return `0x${bytesToHex(keccak_256(new TextEncoder().encode(evidenceId)))}`;
}

export const EMPTY_BOOK: StakeBook = { signers: new Map(), delegations: new Map(), unbonding: [] };

/**
 * The book after one event. Throws StakeRuleError for an event the contract could not have emitted from this book
 * (it would mean a missed or reordered log): replay must stop rather than drift.
 */
export function applyStakingEvent(book: StakeBook, e: StakingEvent): StakeBook {
  const signers = new Map(book.signers);
  const delegations = new Map(book.delegations);
  let unbonding: UnbondingRecord[] = [...book.unbonding];
  const fail = (why: string): never => {
    throw new StakeRuleError(`${e.type}: ${why}`);
  };
  switch (e.type) {
    case 'Bonded': {
      const signer = normaliseAddress(e.signer, 'signer');
      const prev = signers.get(signer);
      const hostPubkey = e.hostPubkey.toLowerCase().replace(/^0x/, '');
      if (prev !== undefined && prev.hostPubkey !== hostPubkey) fail(`signer ${signer} bonded under another host key`);
      signers.set(signer, { address: signer, hostPubkey, selfBond: (prev?.selfBond ?? 0n) + assertAmount(e.amount, 'amount'), jailedUntilEpoch: prev?.jailedUntilEpoch ?? 0 });
      break;
    }
    case 'Delegated': {
      const signer = normaliseAddress(e.signer, 'signer');
      const delegator = normaliseAddress(e.delegator, 'delegator');
      if (!signers.has(signer)) fail(`delegation to ${signer}, which never bonded`);
      const key = delegationKey(signer, delegator);
      delegations.set(key, { signer, delegator, amount: (delegations.get(key)?.amount ?? 0n) + assertAmount(e.amount, 'amount') });
      break;
    }
    case 'UnbondingStarted': {
      const owner = normaliseAddress(e.owner, 'owner');
      const signer = normaliseAddress(e.signer, 'signer');
      if (unbonding.some((u) => u.id === e.id)) fail(`unbonding id ${e.id} seen twice`);
      if (owner === signer) {
        const s = signers.get(signer) ?? fail(`signer ${signer} unknown`);
        if (s.selfBond < e.amount) fail(`signer ${signer} unbonds ${e.amount} of ${s.selfBond}`);
        signers.set(signer, { ...s, selfBond: s.selfBond - e.amount });
      } else {
        const key = delegationKey(signer, owner);
        const d = delegations.get(key) ?? fail(`no delegation of ${owner} to ${signer}`);
        if (d.amount < e.amount) fail(`${owner} undelegates ${e.amount} of ${d.amount}`);
        if (d.amount === e.amount) delegations.delete(key);
        else delegations.set(key, { ...d, amount: d.amount - e.amount });
      }
      unbonding.push({ id: e.id, owner, signer, amount: e.amount, maturesAt: e.maturesAt, released: false });
      break;
    }
    case 'UnbondingReleased':
      unbonding = unbonding.map((u) => (u.id < e.releasedBelow && !u.released ? { ...u, released: true } : u));
      break;
    case 'Withdrawn': {
      const u = unbonding.find((x) => x.id === e.id) ?? fail(`unbonding id ${e.id} unknown`);
      if (u.amount !== e.amount || !u.released) fail(`withdrawal of ${e.amount} does not match entry ${e.id} (${u.amount}, released ${u.released})`);
      unbonding = unbonding.filter((x) => x.id !== e.id);
      break;
    }
    case 'StakeSlashed': {
      const signer = normaliseAddress(e.signer, 'signer');
      const owner = normaliseAddress(e.owner, 'owner');
      if (e.kind === 0) {
        const s = signers.get(signer) ?? fail(`signer ${signer} unknown`);
        if (s.selfBond < e.amount) fail('slash exceeds the bond');
        signers.set(signer, { ...s, selfBond: s.selfBond - e.amount });
      } else if (e.kind === 1) {
        const key = delegationKey(signer, owner);
        const d = delegations.get(key) ?? fail(`no delegation of ${owner} to ${signer}`);
        if (d.amount < e.amount) fail('slash exceeds the delegation');
        if (d.amount === e.amount) delegations.delete(key);
        else delegations.set(key, { ...d, amount: d.amount - e.amount });
      } else {
        const i = unbonding.findIndex((x) => x.id === e.unbondingId);
        if (i < 0 || unbonding[i]!.amount < e.amount) fail(`slash exceeds unbonding entry ${e.unbondingId}`);
        unbonding[i] = { ...unbonding[i]!, amount: unbonding[i]!.amount - e.amount };
      }
      break;
    }
    case 'Slashed':
      break;
  }
  return { signers, delegations, unbonding };
}

/** The ledger transaction of one event's log, or null for events that move no stake (UnbondingReleased, Slashed). */
export function stakingEventTransaction(log: L2LogRef, e: StakingEvent): LedgerTransaction | null {
  const source: LedgerSource = { kind: 'l2_log', blockHash: log.blockHash, logIndex: log.logIndex, ...(e.type === 'StakeSlashed' ? { evidenceIdHash: e.evidenceIdHash } : {}) };
  const tx = (postings: Posting[]): LedgerTransaction => ({ id: sourceId(source), source, postings });
  const move = (from: string, to: string, amount: bigint) => tx([{ account: from, asset: 'STAKE', amount: -amount }, { account: to, asset: 'STAKE', amount }]);
  switch (e.type) {
    case 'Bonded':
      return move(accounts.wallets, accounts.bond(normaliseAddress(e.signer)), e.amount);
    case 'Delegated':
      return move(accounts.wallets, accounts.delegation(normaliseAddress(e.signer), normaliseAddress(e.delegator)), e.amount);
    case 'UnbondingStarted': {
      const [owner, signer] = [normaliseAddress(e.owner), normaliseAddress(e.signer)];
      return move(owner === signer ? accounts.bond(signer) : accounts.delegation(signer, owner), accounts.unbonding(e.id), e.amount);
    }
    case 'Withdrawn':
      return move(accounts.unbonding(e.id), accounts.wallets, e.amount);
    case 'StakeSlashed': {
      const [signer, owner] = [normaliseAddress(e.signer), normaliseAddress(e.owner)];
      const from = e.kind === 0 ? accounts.bond(signer) : e.kind === 1 ? accounts.delegation(signer, owner) : accounts.unbonding(e.unbondingId);
      return move(from, accounts.slashed, e.amount);
    }
    case 'UnbondingReleased':
    case 'Slashed':
      return null;
  }
}

/** The arguments of the staking contract's system `slash` call that applies a planned slash. */
export function slashCallArgs(decision: Extract<SlashDecision, { status: 'slash' }>): {
  evidenceIdHash: string;
  signer: string;
  selfAmount: bigint;
  delegators: string[];
  delegatorAmounts: bigint[];
  unbondingIds: bigint[];
  unbondingAmounts: bigint[];
} {
  const delegations = decision.debits.filter((d) => d.kind === 'delegation');
  const unbondings = decision.debits.filter((d) => d.kind === 'unbonding');
  return {
    evidenceIdHash: evidenceIdHash(decision.evidenceId),
    signer: decision.signer,
    selfAmount: decision.debits.find((d) => d.kind === 'self')?.amount ?? 0n,
    delegators: delegations.map((d) => d.owner),
    delegatorAmounts: delegations.map((d) => d.amount),
    unbondingIds: unbondings.map((d) => d.unbondingId!),
    unbondingAmounts: unbondings.map((d) => d.amount),
  };
}
