import type { HeaderRule } from '@tapbridge/bitcoin';

/**
 * Why a header from a source was refused: a consensus rule (Core's names), or a source-level lie the rules
 * cannot see: the header does not hash to the hash it was asked for, or the answer is not a header at all.
 */
export type RejectionRule = HeaderRule | 'hash-mismatch' | 'malformed-header';

/** A source answered with data that is not what was asked for (wrong hash, not 80 bytes). */
export class SourceDataError extends Error {
  override readonly name = 'SourceDataError';
  constructor(
    readonly source: string,
    readonly rule: Extract<RejectionRule, 'hash-mismatch' | 'malformed-header'>,
    readonly height: number,
    readonly hash: string,
    detail: string,
  ) {
    super(`${source}: ${rule} at height ${height} (${hash}): ${detail}`);
  }
}

/** The stored chain does not fit the configuration (another network or start checkpoint) or itself. */
export class HeaderStoreMismatchError extends Error {
  override readonly name = 'HeaderStoreMismatchError';
}
