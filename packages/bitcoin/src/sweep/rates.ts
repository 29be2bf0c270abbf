import { SweepError } from './errors.js';

// Fee rates arrive as sat/vB numbers (estimatesmartfee, Esplora). Fee arithmetic is done on integer
// milli-sat/vB so that 1.1 sat/vB × 100 vB is 110 sat, not 111 from a binary-float 110.00000000000001.

/** A sat/vB rate as integer milli-sat/vB (rounded to the nearest 0.001 sat/vB). */
export function rateToMilli(rate: number, what = 'fee rate'): bigint {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1e9) throw new SweepError('fee-rate', `${what} ${String(rate)} sat/vB is not a finite non-negative number`);
  return BigInt(Math.round(rate * 1000));
}

/** ceil(vsize × rate) in satoshis. */
export function feeForVsize(vsize: number, rateSatPerVb: number): bigint {
  if (!Number.isSafeInteger(vsize) || vsize < 0) throw new SweepError('vsize', `vsize ${vsize} is not a non-negative integer`);
  return (BigInt(vsize) * rateToMilli(rateSatPerVb) + 999n) / 1000n;
}
