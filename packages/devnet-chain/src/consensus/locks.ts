import type { Transaction } from 'bitcoinjs-lib';

/** nLockTime values below this are block heights, at or above it UNIX times (Core's LOCKTIME_THRESHOLD). */
export const LOCKTIME_THRESHOLD = 500_000_000;
export const SEQUENCE_FINAL = 0xffffffff;
/** BIP68 sequence fields. */
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31;
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22;
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
export const SEQUENCE_LOCKTIME_GRANULARITY = 9;

/** Core's IsFinalTx with the height and median time past the transaction would be mined at. */
export function isFinalTx(tx: Transaction, blockHeight: number, blockTime: number): boolean {
  if (tx.locktime === 0) return true;
  if (tx.locktime < (tx.locktime < LOCKTIME_THRESHOLD ? blockHeight : blockTime)) return true;
  return tx.ins.every((input) => input.sequence === SEQUENCE_FINAL);
}

export interface SpentCoinTime {
  /** Height of the block that created the coin (tip + 1 for a mempool coin). */
  height: number;
  /** Median time past of the block before the coin's block (Core's nCoinTime). */
  medianTimePastBefore: number;
}

/**
 * BIP68 (Core's CalculateSequenceLocks + EvaluateSequenceLocks): every input with a relative lock must
 * have waited its blocks or its 512-second units since the coin confirmed.
 */
export function sequenceLocksSatisfied(tx: Transaction, coins: readonly SpentCoinTime[], blockHeight: number, prevMedianTimePast: number): boolean {
  if (tx.version < 2) return true;
  let minHeight = -1;
  let minTime = -1;
  tx.ins.forEach((input, i) => {
    if ((input.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) !== 0) return;
    const coin = coins[i]!;
    const value = input.sequence & SEQUENCE_LOCKTIME_MASK;
    if ((input.sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) !== 0) {
      minTime = Math.max(minTime, coin.medianTimePastBefore + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1);
    } else {
      minHeight = Math.max(minHeight, coin.height + value - 1);
    }
  });
  return minHeight < blockHeight && minTime < prevMedianTimePast;
}
