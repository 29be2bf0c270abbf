/**
 * Error types shared by the signing protocol (BIP445 "Exceptions") and the coordinators built on it.
 *
 * BIP445 distinguishes two failure kinds: a caller handed in malformed or inconsistent input
 * (`ValueError` in the reference code, {@link FrostInputError} here), and a protocol party sent
 * an invalid value that it must be held accountable for ({@link InvalidContributionError}).
 */

/** Input does not satisfy a precondition (wrong length, out-of-range value, inconsistent lists). */
export class FrostInputError extends Error {
  override readonly name: string = 'FrostInputError';
}

/** Which value a misbehaving party sent (BIP445 `ContribKind`). */
export type ContributionKind = 'aggothernonce' | 'aggnonce' | 'psig' | 'pubnonce' | 'pubshare';

/**
 * A party sent an invalid contribution. `signerIndex` is the position of the blamed signer in the
 * list that was being processed, or `null` when the blame falls on the coordinator (aggregator).
 */
export class InvalidContributionError extends Error {
  override readonly name: string = 'InvalidContributionError';
  constructor(
    readonly signerIndex: number | null,
    readonly contrib: ContributionKind,
    message?: string,
  ) {
    super(message ?? `invalid ${contrib} from ${signerIndex === null ? 'the coordinator' : `signer at index ${signerIndex}`}`);
  }
}

/** A secret nonce was used (or copied) a second time; signing refuses so the key cannot leak. */
export class NonceReuseError extends Error {
  override readonly name: string = 'NonceReuseError';
}
