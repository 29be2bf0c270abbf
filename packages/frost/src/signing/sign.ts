/** Partial signing (BIP445 "Sign", "DeterministicSign"). */
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostInputError, InvalidContributionError } from '../errors.js';
import { hasEvenY, pointToXonly } from '../curve/point.js';
import { N, scalarFromBytesNonzeroChecked, scalarFromBytesWrapping, scalarToBytes } from '../curve/scalar.js';
import { taggedHash } from '../curve/tagged-hash.js';
import { deriveInterpolatingValue } from './lagrange.js';
import { nonceAgg } from './nonce.js';
import { partialSigVerifyInternal } from './partial-sig-verify.js';
import { SecNonce } from './secnonce.js';
import { type SessionContext, getSessionValues } from './session.js';
import { type SignersContext, serializeIds, validateSignersCtx } from './signers-context.js';
import { threshPubkeyAndTweak } from './tweak.js';
import { mulGenCompressed } from '../curve/native.js';

/**
 * BIP445 "Sign": s = k1 + b·k2 + e·λ·d with the nonces negated for odd R and d adjusted for the
 * key's parity and the tweak accumulator. Consumes `secnonce`; a second call with it throws.
 */
export function sign(secnonce: SecNonce, secshare: Uint8Array, myId: number, session: SessionContext): Uint8Array {
  if (!(secnonce instanceof SecNonce)) throw new FrostInputError('secnonce must be a SecNonce.');
  const values = getSessionValues(session);
  const { Q, gacc, signers, b, R, e } = values;
  // Consumed before any further check so that a failed attempt can never be retried with it.
  const kBytes = secnonce.consume();
  let k1_: bigint;
  let k2_: bigint;
  try {
    try {
      k1_ = scalarFromBytesNonzeroChecked(kBytes.subarray(0, 32));
    } catch {
      throw new FrostInputError('first secnonce value is out of range.');
    }
    try {
      k2_ = scalarFromBytesNonzeroChecked(kBytes.subarray(32, 64));
    } catch {
      throw new FrostInputError('second secnonce value is out of range.');
    }
  } finally {
    kBytes.fill(0);
  }
  const evenR = hasEvenY(R);
  const k1 = evenR ? k1_ : N - k1_;
  const k2 = evenR ? k2_ : N - k2_;
  let d_: bigint;
  try {
    d_ = scalarFromBytesNonzeroChecked(secshare);
  } catch {
    throw new FrostInputError("The signer's secret share value is out of range.");
  }
  const myPubshare = mulGenCompressed(d_);
  if (!signers.pubshareHex.includes(bytesToHex(myPubshare))) {
    throw new FrostInputError("The signer's pubshare must be included in the list of pubshares.");
  }
  if (!signers.ids.includes(myId)) throw new FrostInputError("The signer's id must be present in the participant identifier list.");
  const a = deriveInterpolatingValue(signers.ids, myId);
  const g = hasEvenY(Q) ? 1n : N - 1n;
  const d = (((g * gacc) % N) * d_) % N;
  const s = (k1 + b * k2 + ((e * a) % N) * d) % N;
  const psig = scalarToBytes(s);
  let pubnonce = secnonce.pubnonce;
  if (pubnonce === null) {
    pubnonce = new Uint8Array(66);
    pubnonce.set(mulGenCompressed(k1_), 0);
    pubnonce.set(mulGenCompressed(k2_), 33);
  }
  // Optional correctness check from the spec: a fault here must not release a wrong signature.
  if (!partialSigVerifyInternal(psig, myId, pubnonce, myPubshare, session, values)) throw new Error('partial signature failed self-verification');
  return psig;
}

function u32(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, false);
  return b;
}

/**
 * BIP445 "DeterministicSign": for the last signer to contribute a nonce, derived from the secret
 * share, the signer set, the other signers' aggregate nonce, the tweaked key and the message, so
 * no secret nonce state is kept. `aggothernonce` is null when this signer is the only one
 * (t = 1). Returns [pubnonce, psig].
 */
export function deterministicSign(
  secshare: Uint8Array,
  myId: number,
  aggothernonce: Uint8Array | null,
  signersCtx: SignersContext,
  tweaks: readonly Uint8Array[],
  isXonly: readonly boolean[],
  msg: Uint8Array,
  rand: Uint8Array | null,
): [Uint8Array, Uint8Array] {
  if (secshare.length !== 32) throw new FrostInputError("The signer's secret share must be 32 bytes.");
  if (rand !== null && rand.length !== 32) throw new FrostInputError('rand must be 32 bytes.');
  const secshare_ = rand !== null ? secshare.map((x, i) => x ^ (taggedHash('BIP0445/aux', rand)[i] ?? 0)) : secshare;
  const signers = validateSignersCtx(signersCtx);
  const tweakedTpk = pointToXonly(threshPubkeyAndTweak(signers.threshPoint, tweaks, isXonly).Q);
  const msgLen = new Uint8Array(8);
  new DataView(msgLen.buffer).setBigUint64(0, BigInt(msg.length), false);
  const [k1, k2] = [0, 1].map((i) =>
    scalarFromBytesWrapping(
      taggedHash('BIP0445/deterministic/nonce', secshare_, u32(myId), u32(signers.ids.length), serializeIds(signers.ids), aggothernonce ?? new Uint8Array(0), tweakedTpk, msgLen, msg, Uint8Array.of(i)),
    ),
  ) as [bigint, bigint];
  if (k1 === 0n || k2 === 0n) throw new Error('nonce is zero (negligible probability)');
  const pubnonce = new Uint8Array(66);
  pubnonce.set(mulGenCompressed(k1), 0);
  pubnonce.set(mulGenCompressed(k2), 33);
  const secnonceBytes = new Uint8Array(64);
  secnonceBytes.set(scalarToBytes(k1), 0);
  secnonceBytes.set(scalarToBytes(k2), 32);
  const secnonce = SecNonce.fromFreshBytes(secnonceBytes, pubnonce);
  secnonceBytes.fill(0);
  let aggnonce: Uint8Array;
  try {
    aggnonce = nonceAgg(aggothernonce === null ? [pubnonce] : [pubnonce, aggothernonce]);
  } catch {
    // Our own pubnonce is always valid, so the fault is in the coordinator's aggothernonce.
    throw new InvalidContributionError(null, 'aggothernonce');
  }
  const psig = sign(secnonce, secshare, myId, { aggnonce, signersCtx, tweaks, isXonly, msg });
  return [pubnonce, psig];
}
