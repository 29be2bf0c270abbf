/**
 * Names of the header rules, as Bitcoin Core's validation reports them (src/validation.cpp), so an operator can
 * search Core's sources and logs for the same words. One addition: Core folds a malformed target into
 * `high-hash`; we report it as `bad-target` because "the bits are nonsense" and "not enough work" need
 * different responses.
 */
export type HeaderRule =
  | 'high-hash'
  | 'bad-target'
  | 'bad-diffbits'
  | 'time-too-old'
  | 'time-too-new'
  | 'time-timewarp-attack'
  | 'bad-version'
  | 'prev-blk-not-found';

/**
 * A header broke a consensus rule. `hash` is in display order; `height` is the height it would have had, or
 * undefined when its parent is unknown (a header does not carry its height).
 */
export class HeaderRuleError extends Error {
  override readonly name = 'HeaderRuleError';
  constructor(
    readonly rule: HeaderRule,
    readonly height: number | undefined,
    readonly hash: string,
    readonly detail: string,
  ) {
    super(`${rule} at height ${height ?? 'unknown'} (${hash}): ${detail}`);
  }
}

/** A checkpoint that is malformed or disagrees with itself (e.g. hash not matching its header). */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}
