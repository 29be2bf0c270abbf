/**
 * Heartbeat messages for liveness probes of the signing group: 0xff × 8 ‖ an 8-byte nonce.
 * Transaction sighashes (BIP341) are always 32 bytes, so a 16-byte heartbeat can never be one,
 * and a signature over it can never authorise a spend.
 */
import { FrostInputError } from './errors.js';

export const HEARTBEAT_PREFIX = new Uint8Array(8).fill(0xff);
export const HEARTBEAT_LENGTH = 16;

/** Builds a heartbeat message from an 8-byte nonce (bytes or a u64 counter). */
export function heartbeatMessage(nonce: Uint8Array | bigint): Uint8Array {
  let n: Uint8Array;
  if (typeof nonce === 'bigint') {
    if (nonce < 0n || nonce >= 1n << 64n) throw new FrostInputError('The heartbeat nonce must fit in 8 bytes.');
    n = new Uint8Array(8);
    new DataView(n.buffer).setBigUint64(0, nonce, false);
  } else {
    if (nonce.length !== 8) throw new FrostInputError('The heartbeat nonce must be 8 bytes.');
    n = nonce;
  }
  const msg = new Uint8Array(HEARTBEAT_LENGTH);
  msg.set(HEARTBEAT_PREFIX, 0);
  msg.set(n, 8);
  return msg;
}

/** True iff msg is a well-formed heartbeat. */
export function isHeartbeatMessage(msg: Uint8Array): boolean {
  return msg.length === HEARTBEAT_LENGTH && HEARTBEAT_PREFIX.every((b, i) => msg[i] === b);
}
