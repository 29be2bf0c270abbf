/** A disbursal cannot be built as asked; `rule` names the rule broken (e.g. `liability`, `custody-below-fee`). */
export class DisbursalError extends Error {
  override readonly name = 'DisbursalError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}
