/**
 * Integer arithmetic of the pledge rules. Amounts are bigint (stake token base units, sats, wei); rates are basis
 * points (1 bps = 1/10,000). Every division says which way it rounds, so each rule can round in the protocol's favour.
 */
import { StakeRuleError } from './errors.js';

export const BPS = 10_000n;

/** floor(a × b / d) for non-negative a, b and positive d. */
export function mulDivFloor(a: bigint, b: bigint, d: bigint): bigint {
  if (d <= 0n) throw new StakeRuleError(`division by a non-positive number (${d})`);
  return (a * b) / d;
}

/** ceil(a × b / d) for non-negative a, b and positive d. */
export function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  if (d <= 0n) throw new StakeRuleError(`division by a non-positive number (${d})`);
  const p = a * b;
  return p === 0n ? 0n : (p - 1n) / d + 1n;
}

export function assertAmount(value: bigint, what: string): bigint {
  if (typeof value !== 'bigint' || value < 0n) throw new StakeRuleError(`${what} must be a non-negative bigint, got ${String(value)}`);
  return value;
}

export function assertBps(value: number, what: string, max = 10_000): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new StakeRuleError(`${what} must be an integer number of basis points in 0..${max}, got ${value}`);
  return value;
}

const ADDRESS = /^0x[0-9a-f]{40}$/;

/** A lower-case 0x address; mixed case (EIP-55) is accepted and lowered. */
export function normaliseAddress(value: string, what = 'address'): string {
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  if (!ADDRESS.test(lower)) throw new StakeRuleError(`${what} is not a 20-byte 0x address: ${String(value)}`);
  return lower;
}

/** Sum of a list of bigints. */
export function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}
