/**
 * The signing request a ROAST coordinator sends to the signers of a session, in a transport-neutral
 * form. A signer rebuilds the BIP445 session context from its *own* copy of the group key (never
 * from pubshares supplied by the coordinator), so a coordinator cannot make it sign under a
 * different signer set or key.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { FrostInputError } from '../errors.js';
import type { GroupKey } from './group-key.js';
import type { SessionContext } from './session.js';

export interface SessionRequest {
  readonly sessionId: number;
  /** Participant ids of the session's signers, ascending. */
  readonly signers: readonly number[];
  readonly aggnonce: Uint8Array;
  readonly msg: Uint8Array;
  readonly tweaks: readonly Uint8Array[];
  readonly isXonly: readonly boolean[];
}

/** JSON-safe wire form (hex strings). */
export interface SessionRequestWire {
  sessionId: number;
  signers: number[];
  aggnonce: string;
  msg: string;
  tweaks: string[];
  isXonly: boolean[];
}

/** The request for a session context the coordinator built. */
export function sessionRequestOf(sessionId: number, session: SessionContext): SessionRequest {
  return { sessionId, signers: [...session.signersCtx.ids], aggnonce: session.aggnonce, msg: session.msg, tweaks: session.tweaks, isXonly: session.isXonly };
}

/** Signer side: the session context for a request, over this signer's own group key. */
export function sessionContextFromRequest(groupKey: GroupKey, request: SessionRequest): SessionContext {
  if (request.aggnonce.length !== 66) throw new FrostInputError('aggnonce must be 66 bytes.');
  if (request.tweaks.length !== request.isXonly.length) throw new FrostInputError('The tweaks and is_xonly arrays must have the same length.');
  return { aggnonce: request.aggnonce, signersCtx: groupKey.signersContext(request.signers), tweaks: request.tweaks, isXonly: request.isXonly, msg: request.msg };
}

export function encodeSessionRequest(r: SessionRequest): SessionRequestWire {
  return {
    sessionId: r.sessionId,
    signers: [...r.signers],
    aggnonce: bytesToHex(r.aggnonce),
    msg: bytesToHex(r.msg),
    tweaks: r.tweaks.map(bytesToHex),
    isXonly: [...r.isXonly],
  };
}

const HEX = /^(?:[0-9a-f]{2})*$/i;

function hex(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) throw new FrostInputError(`${what} must be a hex string.`);
  return hexToBytes(value.toLowerCase());
}

/** Parses and validates the wire form (field types and lengths; the signer set is checked against the key later). */
export function decodeSessionRequest(wire: unknown): SessionRequest {
  if (typeof wire !== 'object' || wire === null) throw new FrostInputError('A session request must be an object.');
  const w = wire as Record<string, unknown>;
  if (!Number.isInteger(w.sessionId) || (w.sessionId as number) < 1) throw new FrostInputError('sessionId must be a positive integer.');
  if (!Array.isArray(w.signers) || !w.signers.every((id) => Number.isInteger(id) && id >= 0)) throw new FrostInputError('signers must be a list of participant ids.');
  if (!Array.isArray(w.tweaks) || !Array.isArray(w.isXonly) || !w.isXonly.every((x) => typeof x === 'boolean')) throw new FrostInputError('tweaks and isXonly must be lists.');
  const aggnonce = hex(w.aggnonce, 'aggnonce');
  if (aggnonce.length !== 66) throw new FrostInputError('aggnonce must be 66 bytes.');
  const tweaks = w.tweaks.map((t, i) => {
    const b = hex(t, `tweak ${i}`);
    if (b.length !== 32) throw new FrostInputError(`tweak ${i} must be 32 bytes.`);
    return b;
  });
  if (tweaks.length !== w.isXonly.length) throw new FrostInputError('The tweaks and is_xonly arrays must have the same length.');
  return { sessionId: w.sessionId as number, signers: w.signers as number[], aggnonce, msg: hex(w.msg, 'msg'), tweaks, isXonly: w.isXonly as boolean[] };
}
