import { SweepError } from './errors.js';
import { feeForVsize, rateToMilli } from './rates.js';

export interface RbfFeeParams {
  /** Absolute fee of the transaction being replaced, sat. */
  oldFee: bigint;
  oldVsize: number;
  /** vsize of the replacement (it may pay fewer requests than the original). */
  newVsize: number;
  marketRateSatPerVb: number;
  /** Core's -incrementalrelayfee; 1 sat/vB by default. */
  incrementalRelaySatPerVb?: number;
}

export interface RbfFee {
  /** The smallest fee meeting both rules. */
  fee: bigint;
  /** fee / newVsize. */
  feeRate: number;
  /** ceil(newVsize × max(market, old rate × 1.001)). */
  byRate: bigint;
  /** oldFee + ceil(newVsize × incremental relay rate) (BIP125 rules 3 and 4). */
  byIncrement: bigint;
}

/**
 * The minimum fee of a replacement: its rate at least max(market, old rate × 1.001), and its absolute fee
 * at least the old fee plus its own vsize at the incremental relay rate.
 */
export function rbfReplacementFee(params: RbfFeeParams): RbfFee {
  const { oldFee, oldVsize, newVsize, marketRateSatPerVb } = params;
  const incremental = params.incrementalRelaySatPerVb ?? 1;
  if (typeof oldFee !== 'bigint' || oldFee < 0n) throw new SweepError('fee', `old fee ${String(oldFee)} must be a non-negative bigint`);
  for (const [name, v] of [['old vsize', oldVsize], ['new vsize', newVsize]] as const)
    if (!Number.isSafeInteger(v) || v <= 0) throw new SweepError('vsize', `${name} ${v} must be a positive integer`);
  const market = feeForVsize(newVsize, marketRateSatPerVb);
  // old rate × 1.001 × newVsize = oldFee × 1001 × newVsize / (oldVsize × 1000), rounded up.
  const denominator = BigInt(oldVsize) * 1000n;
  const bumped = (oldFee * 1001n * BigInt(newVsize) + denominator - 1n) / denominator;
  const byRate = market > bumped ? market : bumped;
  const byIncrement = oldFee + (BigInt(newVsize) * rateToMilli(incremental, 'incremental relay fee') + 999n) / 1000n;
  const fee = byRate > byIncrement ? byRate : byIncrement;
  return { fee, feeRate: Number(fee) / newVsize, byRate, byIncrement };
}
