/**
 * When unbonding stake is released (may leave the collateral and be withdrawn). The staking contract releases by
 * prefix: `releaseUnbonding(below)` releases every entry with id < below, and `below` never goes back. So
 * stake-accounting decides the next `below`: the entries in id order, each released only when
 *  - its unbonding delay has ended (L2 time ≥ maturesAt): until then it stays slashable;
 *  - its signer is not jailed and has no decided slash the L2 has not applied yet (the slash may still take it);
 *  - custody no longer depends on its signer (`custodySettled`: the custody-rotation hook, issue #11; until rotation
 *    exists every entry counts as settled);
 *  - what is left still covers R × what the bridge owes (capacity), with a usable price (frozen releases nothing).
 * The first entry that cannot go stops the line (first come, first served): the prefix rule leaves no other choice.
 */
import { BPS, mulDivFloor } from './amounts.js';
import { collateralStake, type StakeBook, type UnbondingRecord } from './book.js';
import { checkCollateralConfig, type CollateralConfig, type Obligations } from './capacity.js';
import { stakeValueSats } from './price.js';

export type ReleaseBlock = 'not_matured' | 'jailed' | 'pending_slash' | 'custody_not_settled' | 'capacity' | 'frozen';

export interface ReleaseGuards {
  /** L2 time (unix seconds) of the newest finalized block. */
  nowSeconds: bigint;
  /** The newest started epoch (jail terms are "until epoch"); null before the first. */
  currentEpoch: number | null;
  /** Stake of a signer that decided slashes still take (not yet applied on the L2). */
  pendingSlashOf: (signer: string) => bigint;
  /**
   * Issue #11's hook: true once custody no longer needs this entry's signer (its key shares were rotated out and the
   * migration to the new custody is final). Absent: every entry counts as settled (no rotation yet).
   */
  custodySettled?: (u: UnbondingRecord) => boolean;
}

export interface ReleaseDecision {
  /** The new `below` for releaseUnbonding, or null when nothing more can be released. */
  below: bigint | null;
  released: UnbondingRecord[];
  /** The entry that stopped the line, and why (null: every unreleased entry is released). */
  blocked: { id: bigint; reason: ReleaseBlock } | null;
}

/** The next release: the longest prefix (by id) of unreleased entries that may go now. */
export function decideUnbondingRelease(config: CollateralConfig, book: StakeBook, priceSatsPerToken: bigint | null, o: Obligations, g: ReleaseGuards): ReleaseDecision {
  checkCollateralConfig(config);
  const line = [...book.unbonding].filter((u) => !u.released).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const obligations = o.custodySats + o.pendingSats;
  let stake = collateralStake(book);
  const released: UnbondingRecord[] = [];
  const stop = (u: UnbondingRecord, reason: ReleaseBlock): ReleaseDecision => ({ below: released.length === 0 ? null : released[released.length - 1]!.id + 1n, released, blocked: { id: u.id, reason } });
  for (const u of line) {
    if (g.nowSeconds < u.maturesAt) return stop(u, 'not_matured');
    const signer = book.signers.get(u.signer);
    if (signer !== undefined && g.currentEpoch !== null && g.currentEpoch < signer.jailedUntilEpoch) return stop(u, 'jailed');
    if (signer !== undefined && g.currentEpoch === null && signer.jailedUntilEpoch > 0) return stop(u, 'jailed');
    if (g.pendingSlashOf(u.signer) > 0n) return stop(u, 'pending_slash');
    if (g.custodySettled !== undefined && !g.custodySettled(u)) return stop(u, 'custody_not_settled');
    if (priceSatsPerToken === null) return stop(u, 'frozen');
    const after = stake - u.amount;
    const coverable = mulDivFloor(stakeValueSats(after, priceSatsPerToken, config.tokenDecimals), BPS, BigInt(config.collateralRatioBps));
    if (coverable < obligations) return stop(u, 'capacity');
    stake = after;
    released.push(u);
  }
  return { below: released.length === 0 ? null : released[released.length - 1]!.id + 1n, released, blocked: null };
}
