import { AmountError } from './errors.js';

/** 1 sat = 10^10 wei: BTC has 8 decimals, the EVM's native coin 18. */
export const WEI_PER_SAT = 10_000_000_000n;
/** 1 sat = 10 gwei; EIP-4895 withdrawal amounts are denominated in gwei. */
export const GWEI_PER_SAT = 10n;
export const WEI_PER_GWEI = 1_000_000_000n;
/** Largest amount a Bitcoin output can carry (21 million BTC); anything above is surely a bug. */
export const MAX_SATS = 2_100_000_000_000_000n;

function assertSats(sats: bigint, what: string): void {
  if (typeof sats !== 'bigint') throw new AmountError(`${what} must be a bigint, got ${typeof sats}`);
  if (sats < 0n) throw new AmountError(`${what} must not be negative, got ${sats}`);
  if (sats > MAX_SATS) throw new AmountError(`${what} exceeds 21 million BTC: ${sats}`);
}

export function satsToWei(sats: bigint): bigint {
  assertSats(sats, 'sats');
  return sats * WEI_PER_SAT;
}

/** Gwei for an EIP-4895 withdrawal-list credit of `sats`. */
export function satsToGwei(sats: bigint): bigint {
  assertSats(sats, 'sats');
  return sats * GWEI_PER_SAT;
}

/** Converts wei to sats, refusing amounts that are not a whole number of sats (they cannot be paid on Bitcoin). */
export function weiToSats(wei: bigint): bigint {
  if (typeof wei !== 'bigint') throw new AmountError(`wei must be a bigint, got ${typeof wei}`);
  if (wei < 0n) throw new AmountError(`wei must not be negative, got ${wei}`);
  if (wei % WEI_PER_SAT !== 0n) throw new AmountError(`${wei} wei is not a whole number of sats (1 sat = 10^10 wei)`);
  return wei / WEI_PER_SAT;
}
