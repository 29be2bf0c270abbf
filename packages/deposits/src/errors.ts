// The ways a deposit-indexer decision can refuse its input. Each carries a stable code callers branch on
// (the service maps registration codes to HTTP statuses; block errors decide retry versus dead-letter).

/** Why a block a source served is not the block the header event names. */
export type BlockMismatchCode = 'unparseable' | 'header-mismatch' | 'commitment-mismatch';

/**
 * A source served a block that is not the validated block: different header bytes, a body the header's merkle
 * root or witness commitment does not commit to, or bytes that do not parse. Nothing from it is recorded.
 */
export class BlockMismatchError extends Error {
  override readonly name = 'BlockMismatchError';
  constructor(
    readonly code: BlockMismatchCode,
    readonly blockHash: string,
    detail: string,
  ) {
    super(`block ${blockHash}: ${detail}`);
  }
}

/**
 * A header event that does not extend (connect) or end (disconnect) the indexer's chain: events arrived out of
 * chain order, or one was lost. Applying it would corrupt the per-block undo, so it is refused.
 */
export class ChainOrderError extends Error {
  override readonly name = 'ChainOrderError';
}

export type RegistrationErrorCode =
  | 'bad-request'
  | 'bad-deposit-script'
  | 'bad-reclaim-script'
  | 'wrong-group-key'
  | 'output-not-found'
  | 'script-mismatch'
  | 'dust'
  | 'max-fee-not-below-amount'
  | 'conflict';

/** A deposit registration that cannot be accepted; `code` names the rule it broke. */
export class DepositRegistrationError extends Error {
  override readonly name = 'DepositRegistrationError';
  constructor(
    readonly code: RegistrationErrorCode,
    message: string,
  ) {
    super(message);
  }
}
