import { concatBytes, sha256 } from '../bytes.js';
import { OP } from '../scripts/opcodes.js';
import { SweepError } from './errors.js';

/** "TB": the first two bytes of the commitment payload (ASCII, 0x54 0x42). */
export const SWEEP_COMMITMENT_TAG = 'TB';
export const SWEEP_COMMITMENT_TAG_BYTES: Uint8Array = Uint8Array.of(0x54, 0x42);
export const SWEEP_COMMITMENT_VERSION = 1;
/** tag (2) ‖ version (1) ‖ count (1) ‖ sha256 (32). */
export const SWEEP_COMMITMENT_PAYLOAD_SIZE = 36;
/** OP_RETURN, push-36 opcode, payload: fixed 38 bytes, standard under every Core's datacarrier limit (83 bytes). */
export const SWEEP_COMMITMENT_SCRIPT_SIZE = 2 + SWEEP_COMMITMENT_PAYLOAD_SIZE;
/** The count is one byte. */
export const SWEEP_MAX_COMMITTED_IDS = 255;

const MAX_U256 = (1n << 256n) - 1n;

export function withdrawalIdBytes(id: bigint): Uint8Array {
  if (typeof id !== 'bigint' || id < 0n || id > MAX_U256) throw new SweepError('withdrawal-id', `withdrawal id ${String(id)} is not a uint256`);
  return Uint8Array.from(Buffer.from(id.toString(16).padStart(64, '0'), 'hex'));
}

/** sha256(id_1 ‖ … ‖ id_n), each id a 32-byte big-endian uint256, in payout order. */
export function withdrawalIdsDigest(ids: readonly bigint[]): Uint8Array {
  return sha256(concatBytes(...ids.map(withdrawalIdBytes)));
}

/** `OP_RETURN <"TB" ‖ 0x01 ‖ count u8 ‖ sha256(ids)>`: output 1 of every sweep, even with no withdrawals. */
export function sweepCommitmentScript(ids: readonly bigint[]): Uint8Array {
  if (!Array.isArray(ids)) throw new SweepError('withdrawal-ids', 'withdrawal ids must be an array');
  if (ids.length > SWEEP_MAX_COMMITTED_IDS)
    throw new SweepError('too-many-withdrawals', `${ids.length} withdrawal ids do not fit the one-byte count (max ${SWEEP_MAX_COMMITTED_IDS})`);
  const script = new Uint8Array(SWEEP_COMMITMENT_SCRIPT_SIZE);
  script[0] = OP.OP_RETURN;
  script[1] = SWEEP_COMMITMENT_PAYLOAD_SIZE;
  script.set(SWEEP_COMMITMENT_TAG_BYTES, 2);
  script[4] = SWEEP_COMMITMENT_VERSION;
  script[5] = ids.length;
  script.set(withdrawalIdsDigest(ids), 6);
  return script;
}

export interface SweepCommitment {
  /** Number of withdrawals the sweep pays (its payout outputs). */
  count: number;
  /** sha256 of the paid ids, 32 bytes. */
  digest: Uint8Array;
}

/** Reads a commitment script; throws a SweepError naming what is wrong with anything else. */
export function parseSweepCommitment(script: Uint8Array): SweepCommitment {
  if (!(script instanceof Uint8Array)) throw new SweepError('commitment', 'commitment script must be a Uint8Array');
  if (script[0] !== OP.OP_RETURN) throw new SweepError('commitment', 'commitment script must start with OP_RETURN');
  if (script.length !== SWEEP_COMMITMENT_SCRIPT_SIZE || script[1] !== SWEEP_COMMITMENT_PAYLOAD_SIZE)
    throw new SweepError('commitment', `commitment must be OP_RETURN and one 36-byte push (${SWEEP_COMMITMENT_SCRIPT_SIZE} bytes), got ${script.length} bytes`);
  if (script[2] !== SWEEP_COMMITMENT_TAG_BYTES[0] || script[3] !== SWEEP_COMMITMENT_TAG_BYTES[1]) throw new SweepError('commitment', 'commitment payload does not start with "TB"');
  if (script[4] !== SWEEP_COMMITMENT_VERSION) throw new SweepError('commitment', `commitment version ${script[4]} is not ${SWEEP_COMMITMENT_VERSION}`);
  return { count: script[5]!, digest: script.slice(6) };
}

/** True when `ids` (in payout order) are exactly what the commitment names. */
export function commitmentMatchesIds(commitment: SweepCommitment, ids: readonly bigint[]): boolean {
  if (commitment.count !== ids.length) return false;
  return Buffer.compare(commitment.digest, withdrawalIdsDigest(ids)) === 0;
}
