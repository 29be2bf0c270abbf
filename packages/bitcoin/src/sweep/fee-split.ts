import { SweepError } from './errors.js';

/**
 * Each request's share of the fee: ceil(w_i × fee / Σw). The shares sum to at least `fee` (the
 * rounding excess, under one sat per request, stays with custody), and no share exceeds its exact
 * proportional part by a sat or more. Overhead weight (base, custody input and output, commitment) is
 * not a request: dividing by the requests' weight alone spreads it in proportion.
 */
export function splitFee(weights: readonly number[], fee: bigint): bigint[] {
  if (typeof fee !== 'bigint' || fee < 0n) throw new SweepError('fee', `fee ${String(fee)} must be a non-negative bigint`);
  let total = 0n;
  const ws = weights.map((w, i) => {
    if (!Number.isSafeInteger(w) || w <= 0) throw new SweepError('request-weight', `request ${i} weight ${w} must be a positive integer`);
    total += BigInt(w);
    return BigInt(w);
  });
  if (ws.length === 0) {
    if (fee > 0n) throw new SweepError('no-requests', `a fee of ${fee} sat cannot be split among zero requests`);
    return [];
  }
  return ws.map((w) => (w * fee + total - 1n) / total);
}
