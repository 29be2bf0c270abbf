/** Errors of the signing protocol layer. Each names who or what is at fault, never a secret. */

/** Why an authenticated protocol message was refused. */
export type RejectionReason =
  | 'malformed'
  | 'unknown_sender'
  | 'bad_signature'
  | 'stale'
  | 'replayed'
  | 'wrong_session'
  | 'wrong_recipient'
  | 'unexpected_type';

/**
 * A protocol message was refused; `sender` is the id the message claims (0 = coordinator, i = signer i).
 * `authentic` is true when the sender's signature verified: only then is the sender accountable for the fault.
 */
export class MessageRejectedError extends Error {
  override readonly name = 'MessageRejectedError';
  constructor(
    readonly sender: number | null,
    readonly reason: RejectionReason,
    detail: string,
    readonly authentic = false,
  ) {
    super(`rejected message from ${describeSender(sender)}: ${reason}: ${detail}`);
  }
}

export function describeSender(sender: number | null): string {
  if (sender === null) return 'an unidentified sender';
  return sender === 0 ? 'the coordinator (sender 0)' : `signer ${sender}`;
}

/** A key file could not be opened: wrong passphrase, corrupted, or for another signer or group. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** A signing request is malformed or inconsistent (bad hex, wrong lengths, sighash inputs that do not fit). */
export class SigningRequestError extends Error {
  override readonly name = 'SigningRequestError';
}
