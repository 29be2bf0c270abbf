import { RPC_ERROR, RpcError } from './errors.js';

export const SATS_PER_BTC = 100_000_000n;

/** Core's FormatMoney: BTC with 8 decimals. */
export function formatBtc(sats: bigint): string {
  const negative = sats < 0n;
  const abs = negative ? -sats : sats;
  return `${negative ? '-' : ''}${abs / SATS_PER_BTC}.${(abs % SATS_PER_BTC).toString().padStart(8, '0')}`;
}

/** Core's FormatMoney as its messages print it: trailing zeros trimmed, at least two decimals ("0.00001", "1.00"). */
export function formatMoney(sats: bigint): string {
  return formatBtc(sats).replace(/(\.\d\d\d*?)0+$/, '$1');
}

/** BTC as a JSON number, the way Core's ValueFromAmount prints it. */
export const btcNumber = (sats: bigint): number => Number(formatBtc(sats));

/** Core's AmountFromValue: a JSON number or numeric string with at most 8 decimals, in range. */
export function satsFromBtc(value: unknown): bigint {
  const text = typeof value === 'number' ? value.toFixed(8) : typeof value === 'string' ? value : undefined;
  const match = text === undefined ? null : /^(-?)(\d+)(?:\.(\d{1,8}))?$/.exec(text.trim());
  if (typeof value === 'number' && (!Number.isFinite(value) || Math.abs(value * 1e8 - Math.round(value * 1e8)) > 1e-3))
    throw new RpcError(RPC_ERROR.TYPE_ERROR, 'Invalid amount');
  if (!match) throw new RpcError(RPC_ERROR.TYPE_ERROR, 'Amount is not a number or string');
  const sats = BigInt(match[2]!) * SATS_PER_BTC + BigInt((match[3] ?? '').padEnd(8, '0'));
  if (match[1] === '-' || sats > 21_000_000n * SATS_PER_BTC) throw new RpcError(RPC_ERROR.TYPE_ERROR, 'Amount out of range');
  return sats;
}
