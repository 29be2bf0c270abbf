// Timestamp rules beyond median time past (src/validation.cpp ContextualCheckBlockHeader).

/** A header may be at most two hours ahead of our clock (MAX_FUTURE_BLOCK_TIME). */
export const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;

/** BIP94: the first block of an epoch may be at most 10 minutes earlier than its parent (MAX_TIMEWARP). */
export const MAX_TIMEWARP = 600;

export const isTooNew = (time: number, now: number): boolean => time > now + MAX_FUTURE_BLOCK_TIME;

/** The BIP94 time-warp rule; the caller applies it only at epoch starts on networks enforcing BIP94. */
export const isTimewarp = (time: number, parentTime: number): boolean => time < parentTime - MAX_TIMEWARP;

/** Seconds since the epoch from the system clock; the default `now` of a header chain. */
export const systemNow = (): number => Math.floor(Date.now() / 1000);
