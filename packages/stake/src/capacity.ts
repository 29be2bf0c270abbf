/**
 * Collateral and capacity. Stake value (sats) must cover `collateralRatioBps` × what the bridge owes: BTC in custody
 * plus confirmed deposits on their way to being minted. Capacity is what is left for new deposits; a deposit that
 * does not fit is held (not minted, still reclaimable) and minted in confirmation order when capacity returns.
 * Without a usable price capacity is frozen: nothing new is minted and no unbonding is released.
 */
import { assertAmount, assertBps, BPS, mulDivFloor } from './amounts.js';
import { collateralStake, type StakeBook, type UnbondingRecord } from './book.js';
import { StakeRuleError } from './errors.js';
import { stakeValueSats } from './price.js';

export interface CollateralConfig {
  /** R in bps: 15,000 = 1.5. At least 10,000 (stake worth less than custody secures nothing). */
  collateralRatioBps: number;
  tokenDecimals?: number;
}

export interface Obligations {
  /** BTC in custody (sats). */
  custodySats: bigint;
  /** Confirmed deposits admitted for minting but not yet in custody's count (sats). */
  pendingSats: bigint;
}

export type Capacity =
  | {
      status: 'open';
      stakeUnits: bigint;
      stakeValueSats: bigint;
      obligationsSats: bigint;
      /** stake value / R − obligations; negative when under-collateralised. */
      capacitySats: bigint;
      /** stake value / obligations in bps (null when nothing is owed). */
      ratioBps: bigint | null;
    }
  | { status: 'frozen'; reason: string; stakeUnits: bigint; obligationsSats: bigint };

export function checkCollateralConfig(c: CollateralConfig): CollateralConfig {
  assertBps(c.collateralRatioBps, 'collateralRatioBps', 1_000_000);
  if (c.collateralRatioBps < 10_000) throw new StakeRuleError(`collateralRatioBps must be at least 10000 (R >= 1), got ${c.collateralRatioBps}`);
  return c;
}

/** Capacity from stake units, a usable price (null = frozen) and obligations. */
export function capacityOf(config: CollateralConfig, stakeUnits: bigint, priceSatsPerToken: bigint | null, o: Obligations): Capacity {
  checkCollateralConfig(config);
  assertAmount(stakeUnits, 'stake');
  const obligationsSats = assertAmount(o.custodySats, 'custody') + assertAmount(o.pendingSats, 'pending deposits');
  if (priceSatsPerToken === null) return { status: 'frozen', reason: 'no fresh stake price', stakeUnits, obligationsSats };
  const value = stakeValueSats(stakeUnits, priceSatsPerToken, config.tokenDecimals);
  const capacitySats = mulDivFloor(value, BPS, BigInt(config.collateralRatioBps)) - obligationsSats;
  return { status: 'open', stakeUnits, stakeValueSats: value, obligationsSats, capacitySats, ratioBps: obligationsSats === 0n ? null : mulDivFloor(value, BPS, obligationsSats) };
}

/** Capacity of a stake book. */
export function bookCapacity(config: CollateralConfig, book: StakeBook, priceSatsPerToken: bigint | null, o: Obligations): Capacity {
  return capacityOf(config, collateralStake(book), priceSatsPerToken, o);
}

export interface HeldDeposit {
  depositId: string;
  amountSats: bigint;
}

/**
 * Which held deposits to mint now, strictly in confirmation order (`held` must be in that order): minting stops at
 * the first that does not fit, so a large deposit is never starved by smaller ones behind it. Minted deposits count
 * as pending from then on; the caller adds them to `pendingSats`.
 */
export function admitHeldDeposits(capacity: Capacity, held: readonly HeldDeposit[]): { mint: HeldDeposit[]; stillHeld: HeldDeposit[] } {
  if (capacity.status === 'frozen') return { mint: [], stillHeld: [...held] };
  let left = capacity.capacitySats;
  let i = 0;
  for (; i < held.length; i++) {
    const d = held[i]!;
    assertAmount(d.amountSats, `deposit ${d.depositId} amount`);
    if (d.amountSats > left) break;
    left -= d.amountSats;
  }
  return { mint: held.slice(0, i), stillHeld: held.slice(i) };
}

/**
 * A newly confirmed deposit: minted only if nothing is held before it (confirmation order) and it fits.
 */
export function admitNewDeposit(capacity: Capacity, heldBefore: number, amountSats: bigint): 'mint' | 'hold' {
  assertAmount(amountSats, 'deposit amount');
  if (capacity.status === 'frozen' || heldBefore > 0) return 'hold';
  return amountSats <= capacity.capacitySats ? 'mint' : 'hold';
}

/**
 * Unbonding entries to release now, in id order: each leaves the collateral only if what remains still covers R ×
 * obligations; the first that does not fit stops the queue (first come, first served). Frozen capacity releases none.
 */
export function releasableUnbondings(config: CollateralConfig, book: StakeBook, priceSatsPerToken: bigint | null, o: Obligations): UnbondingRecord[] {
  checkCollateralConfig(config);
  if (priceSatsPerToken === null) return [];
  const obligations = o.custodySats + o.pendingSats;
  let stake = collateralStake(book);
  const out: UnbondingRecord[] = [];
  for (const u of [...book.unbonding].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (u.released) continue;
    const after = stake - u.amount;
    const coverable = mulDivFloor(stakeValueSats(after, priceSatsPerToken, config.tokenDecimals), BPS, BigInt(config.collateralRatioBps));
    if (coverable < obligations) break;
    stake = after;
    out.push(u);
  }
  return out;
}
