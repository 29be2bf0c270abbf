/** An event payload that does not match its catalog schema. Raised on publish (the caller's bug) and on receipt. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly subject: string,
    readonly issues: string[],
  ) {
    super(`invalid ${subject} event: ${issues.join('; ')}`);
  }
}

export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError';
}

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

export class NoRespondersError extends Error {
  override readonly name = 'NoRespondersError';
}

/** The responder answered with an error: `code` is machine-readable (e.g. 'not_found', 'invalid_request'). */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
