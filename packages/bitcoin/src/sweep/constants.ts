// The fixed shape of a sweep/payout transaction (sweep-spec.md): one place for each number.

/** Every sweep is version 2 (BIP68 semantics; Core's standard version). */
export const SWEEP_VERSION = 2;
/** nLockTime 0: a sweep is valid in the next block. */
export const SWEEP_LOCKTIME = 0;
/** Below 0xfffffffe signals replaceability (BIP125); with the disable bit set, no relative lock (BIP68). */
export const SWEEP_SEQUENCE = 0xfffffffd;
/** Relay floor for every output a sweep creates; Core's own threshold is lower for witness outputs. */
export const SWEEP_DUST_LIMIT = 546n;
/** A swept deposit must leave at least this much after its fee share. */
export const SWEEP_MIN_DEPOSIT_REMAINDER = 546n;
/** A deposit this many blocks (or fewer) from its reclaim lock is not swept: the depositor could race it. */
export const SWEEP_RECLAIM_SAFETY_BLOCKS = 3;
/** Per-transaction packing limits (issue 9; sBTC's anchors). */
export const SWEEP_DEFAULT_MAX_DEPOSITS = 25;
export const SWEEP_DEFAULT_MAX_WITHDRAWALS = 100;
/** Core's MAX_STANDARD_TX_WEIGHT is 400,000 WU = 100,000 vB; a sweep must stay strictly below it. */
export const SWEEP_MAX_STANDARD_VSIZE = 100_000;
