/** A sweep cannot be built or planned as asked: a fee share breaks a rule, an input is malformed. */
export class SweepError extends Error {
  override readonly name = 'SweepError';
  constructor(
    /** Short machine-readable name of the rule broken, e.g. `withdrawal-share-above-max-fee`. */
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A transaction is not a sweep: `rule` names the first layout rule it breaks. The only error
 * `classifySweep` throws, whatever bytes it is given.
 */
export class SweepLayoutError extends Error {
  override readonly name = 'SweepLayoutError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(`not a sweep (${rule}): ${message}`);
  }
}
