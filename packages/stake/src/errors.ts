/** Errors of the pledge rules. Each says which input was wrong and why; none carries a secret. */

/** A rule's input is out of range or inconsistent (a negative amount, an unknown signer, a bad config). */
export class StakeRuleError extends Error {
  override readonly name = 'StakeRuleError';
}

/** A price observation or a price source's JSON answer cannot be used. */
export class PriceFeedError extends Error {
  override readonly name = 'PriceFeedError';
}

/** A ledger transaction was refused (unbalanced, overdraws an account, or reuses an id with other content). */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
}

/** Misbehaviour evidence does not parse (its shape); a well-formed but unconvincing one is a verdict, not an error. */
export class EvidenceFormatError extends Error {
  override readonly name = 'EvidenceFormatError';
}
