/**
 * NATS subjects of the signing protocol (before the deployment prefix). Core NATS request/reply, deliberately
 * outside the JetStream streams (`signing.>` is the SIGNING event stream): protocol messages are ephemeral, a
 * nonce commitment must never be redelivered after a restart, and the coordinator, which keeps all session state
 * in Postgres, re-asks whatever it did not get an answer to.
 */
export const ANNOUNCE_SUBJECT = 'frost.announce';

/** Where signer `index` takes the coordinator's requests. */
export function signerSubject(index: number): string {
  if (!Number.isInteger(index) || index < 1) throw new RangeError(`signer index must be a positive integer, got ${index}`);
  return `frost.signer.${index}`;
}
