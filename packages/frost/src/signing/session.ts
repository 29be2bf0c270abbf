/** The signing session context and the values every party derives from it (BIP445 "Session Context"). */
import { InvalidContributionError } from '../errors.js';
import { G, type GroupElement, pointFromCompressedWithInfinity, pointToXonly } from '../curve/point.js';
import { scalarFromBytesWrapping } from '../curve/scalar.js';
import { taggedHash } from '../curve/tagged-hash.js';
import { type SignersContext, type ValidatedSigners, serializeIds, validateSignersCtx } from './signers-context.js';
import { threshPubkeyAndTweak } from './tweak.js';
import { mulPoint } from '../curve/native.js';

export interface SessionContext {
  /** Aggregate nonce R1 ‖ R2 (66 bytes, infinity as 33 zero bytes). */
  readonly aggnonce: Uint8Array;
  readonly signersCtx: SignersContext;
  /** Tweaks applied in order to the threshold key (32 bytes each). */
  readonly tweaks: readonly Uint8Array[];
  /** For each tweak: x-only (BIP341) or plain (BIP32). */
  readonly isXonly: readonly boolean[];
  readonly msg: Uint8Array;
}

export interface SessionValues {
  /** Tweaked threshold key. */
  readonly Q: GroupElement;
  readonly gacc: bigint;
  readonly tacc: bigint;
  readonly signers: ValidatedSigners;
  /** The session's single binding factor. */
  readonly b: bigint;
  /** Final nonce R = R1 + b·R2 (G if that is infinity). */
  readonly R: GroupElement;
  /** BIP340 challenge. */
  readonly e: bigint;
}

/** BIP445 "GetSessionValues". */
export function getSessionValues(session: SessionContext): SessionValues {
  const { aggnonce, signersCtx, tweaks, isXonly, msg } = session;
  const signers = validateSignersCtx(signersCtx);
  const { Q, gacc, tacc } = threshPubkeyAndTweak(signers.threshPoint, tweaks, isXonly);
  const Qx = pointToXonly(Q);
  const b = scalarFromBytesWrapping(taggedHash('BIP0445/noncecoef', serializeIds(signers.ids), aggnonce, Qx, msg));
  let R1: GroupElement;
  let R2: GroupElement;
  try {
    if (aggnonce.length !== 66) throw new RangeError('aggnonce must be 66 bytes');
    R1 = pointFromCompressedWithInfinity(aggnonce.subarray(0, 33));
    R2 = pointFromCompressedWithInfinity(aggnonce.subarray(33, 66));
  } catch {
    // Only the coordinator sends the aggregate nonce.
    throw new InvalidContributionError(null, 'aggnonce');
  }
  const R_ = b === 0n || R2.is0() ? R1 : R1.add(mulPoint(R2, b));
  const R = R_.is0() ? G : R_;
  const e = scalarFromBytesWrapping(taggedHash('BIP0340/challenge', pointToXonly(R), Qx, msg));
  return { Q, gacc, tacc, signers, b, R, e };
}
