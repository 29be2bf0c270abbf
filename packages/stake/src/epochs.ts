/**
 * Epochs: every `epochLengthBlocks` Bitcoin blocks from `firstHeight` the active signer set is chosen again: the top
 * `maxSigners` by bonded + delegated stake among signers whose own bond reaches `minSelfBond` and who are not
 * jailed. Ties are broken by address so every party computes the same set. The signing threshold is
 * ceil(n × thresholdBps / 10,000), at least 1.
 */
import { assertAmount, assertBps } from './amounts.js';
import { activeStakeBySigner, type StakeBook } from './book.js';
import { StakeRuleError } from './errors.js';

export interface EpochConfig {
  /** Bitcoin height where epoch 0 starts. */
  firstHeight: number;
  epochLengthBlocks: number;
  /** N: the most signers in a set. */
  maxSigners: number;
  minSelfBond: bigint;
  /** Threshold as a share of the set, e.g. 6,667 for two thirds (667 of 1,000) or 6,000 for 3 of 5. */
  thresholdBps: number;
}

export interface EpochMember {
  address: string;
  hostPubkey: string;
  selfBond: bigint;
  delegated: bigint;
  /** selfBond + delegated. */
  stake: bigint;
}

export interface EpochSet {
  epoch: number;
  /** Bitcoin height range [startHeight, startHeight + epochLengthBlocks). */
  startHeight: number;
  /** Ranked: highest stake first. Signer index i + 1 in the epoch's DKG is members[i]. */
  members: EpochMember[];
  threshold: number;
  totalStake: bigint;
}

export function checkEpochConfig(c: EpochConfig): EpochConfig {
  if (!Number.isInteger(c.firstHeight) || c.firstHeight < 0) throw new StakeRuleError(`firstHeight must be a non-negative integer, got ${c.firstHeight}`);
  if (!Number.isInteger(c.epochLengthBlocks) || c.epochLengthBlocks < 1) throw new StakeRuleError(`epochLengthBlocks must be a positive integer, got ${c.epochLengthBlocks}`);
  if (!Number.isInteger(c.maxSigners) || c.maxSigners < 1 || c.maxSigners > 65_535) throw new StakeRuleError(`maxSigners must be 1..65535, got ${c.maxSigners}`);
  assertAmount(c.minSelfBond, 'minSelfBond');
  assertBps(c.thresholdBps, 'thresholdBps');
  if (c.thresholdBps === 0) throw new StakeRuleError('thresholdBps must be positive');
  return c;
}

/** The epoch a Bitcoin height belongs to; heights before `firstHeight` belong to none (null). */
export function epochOfHeight(c: EpochConfig, height: number): number | null {
  checkEpochConfig(c);
  if (!Number.isInteger(height) || height < 0) throw new StakeRuleError(`height must be a non-negative integer, got ${height}`);
  if (height < c.firstHeight) return null;
  return Math.floor((height - c.firstHeight) / c.epochLengthBlocks);
}

export function epochStartHeight(c: EpochConfig, epoch: number): number {
  if (!Number.isInteger(epoch) || epoch < 0) throw new StakeRuleError(`epoch must be a non-negative integer, got ${epoch}`);
  return c.firstHeight + epoch * c.epochLengthBlocks;
}

export function thresholdFor(n: number, thresholdBps: number): number {
  if (n === 0) return 0;
  return Math.max(1, Math.ceil((n * thresholdBps) / 10_000));
}

/** Chooses the active set of `epoch` from the book as it stands at the epoch's first block. */
export function selectEpochSet(c: EpochConfig, book: StakeBook, epoch: number): EpochSet {
  checkEpochConfig(c);
  const stakes = activeStakeBySigner(book);
  const eligible: EpochMember[] = [];
  for (const s of book.signers.values()) {
    if (s.selfBond < c.minSelfBond || s.selfBond === 0n) continue;
    if (epoch < s.jailedUntilEpoch) continue;
    const delegated = stakes.get(s.address)?.delegated ?? 0n;
    eligible.push({ address: s.address, hostPubkey: s.hostPubkey, selfBond: s.selfBond, delegated, stake: s.selfBond + delegated });
  }
  eligible.sort((a, b) => (a.stake !== b.stake ? (a.stake > b.stake ? -1 : 1) : a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const members = eligible.slice(0, c.maxSigners);
  let totalStake = 0n;
  for (const m of members) totalStake += m.stake;
  return { epoch, startHeight: epochStartHeight(c, epoch), members, threshold: thresholdFor(members.length, c.thresholdBps), totalStake };
}
