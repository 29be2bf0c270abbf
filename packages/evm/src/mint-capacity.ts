/**
 * The dynamic pledge at the mint: BTC on the L2 may not outgrow the stake that secures it. Stake value / R is the
 * most the bridge may owe; what it owes is the L2 supply (minted − burned) plus the credits already queued for the
 * next blocks. A deposit beyond that is held (state held_capacity): not minted, still reclaimable on Bitcoin, and
 * minted later, strictly in confirmation order, when stake (or burns) make room.
 *
 * The gateway takes only the stake side from stake-accounting's stake.capacity event (its stake value and R) and
 * counts obligations itself, from its own chain, at the moment it admits a deposit: an event computed before the
 * latest mints cannot make it mint twice into the same room, however events and deposits race.
 */

/** The stake side of stake.capacity (the latest by seq wins). */
export interface StakeCapacityView {
  seq: number;
  status: 'open' | 'frozen';
  /** Collateral stake × price in sats; null when frozen (no fresh price, or obligations unknown to stake-accounting). */
  stakeValueSats: bigint | null;
  /** R in bps (15,000 = 1.5). */
  collateralRatioBps: number;
}

/** Keeps the newer of two views (seq grows with every publication; a redelivered or late older one is ignored). */
export function latestCapacity(current: StakeCapacityView | null, incoming: StakeCapacityView): StakeCapacityView {
  return current !== null && current.seq >= incoming.seq ? current : incoming;
}

/**
 * Sats that may still be minted: floor(stake value × 10,000 / R) − owed, where owed = L2 supply + queued credits.
 * Null when nothing may be minted on principle (no view yet, frozen, or a nonsensical R): the gateway never guesses.
 * Negative when under-collateralised.
 */
export function mintAllowanceSats(view: StakeCapacityView | null, owedSats: bigint): bigint | null {
  if (view === null || view.status !== 'open' || view.stakeValueSats === null) return null;
  if (!Number.isInteger(view.collateralRatioBps) || view.collateralRatioBps < 10_000) return null;
  if (view.stakeValueSats < 0n || owedSats < 0n) return null;
  return (view.stakeValueSats * 10_000n) / BigInt(view.collateralRatioBps) - owedSats;
}

/** A confirmed deposit waiting for capacity, with where Bitcoin confirmed it. */
export interface WaitingDeposit {
  depositId: string;
  amountSats: bigint;
  blockHeight: number;
  /** The transaction's position in its block (from the merkle proof); 0 when unknown. */
  position: number;
  vout: number;
}

/** Confirmation order: block height, then position in the block, then output index; the id breaks any remaining tie. */
export function confirmationOrder(a: WaitingDeposit, b: WaitingDeposit): number {
  return a.blockHeight - b.blockHeight || a.position - b.position || a.vout - b.vout || (a.depositId < b.depositId ? -1 : a.depositId > b.depositId ? 1 : 0);
}

/**
 * Which waiting deposits to mint now: the longest prefix of the line (in confirmation order) that fits the allowance.
 * The first deposit that does not fit stops the line, so a large deposit is never starved by smaller ones behind it
 * and the mint order is the confirmation order. A null allowance (frozen) admits none.
 */
export function admitInOrder(allowance: bigint | null, waiting: readonly WaitingDeposit[]): { mint: WaitingDeposit[]; hold: WaitingDeposit[] } {
  const line = [...waiting].sort(confirmationOrder);
  if (allowance === null) return { mint: [], hold: line };
  let left = allowance;
  let i = 0;
  for (; i < line.length; i++) {
    const d = line[i]!;
    if (d.amountSats <= 0n) throw new RangeError(`deposit ${d.depositId} has a non-positive amount`);
    if (d.amountSats > left) break;
    left -= d.amountSats;
  }
  return { mint: line.slice(0, i), hold: line.slice(i) };
}
