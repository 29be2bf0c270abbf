/** Partial signature verification (BIP445 "PartialSigVerify"). */
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostInputError } from '../errors.js';
import { type GroupElement, hasEvenY, pointFromCompressed } from '../curve/point.js';
import { mulGen, mulPoint } from '../curve/native.js';
import { N, scalarFromBytesChecked } from '../curve/scalar.js';
import { deriveInterpolatingValue } from './lagrange.js';
import { nonceAgg } from './nonce.js';
import { type SessionContext, type SessionValues, getSessionValues } from './session.js';
import { type SignersContext, validateSignersCtx } from './signers-context.js';

/**
 * BIP445 "PartialSigVerify": checks psig of the signer at position `i` of the signer set, given
 * every signer's pubnonce. Throws InvalidContributionError naming a malformed pubnonce.
 */
export function partialSigVerify(
  psig: Uint8Array,
  pubnonces: readonly Uint8Array[],
  signersCtx: SignersContext,
  tweaks: readonly Uint8Array[],
  isXonly: readonly boolean[],
  msg: Uint8Array,
  i: number,
): boolean {
  validateSignersCtx(signersCtx);
  const { ids, pubshares } = signersCtx;
  if (pubnonces.length !== ids.length) throw new FrostInputError('The pubnonces and ids arrays must have the same length.');
  if (tweaks.length !== isXonly.length) throw new FrostInputError('The tweaks and is_xonly arrays must have the same length.');
  if (!Number.isInteger(i) || i < 0 || i >= ids.length) throw new FrostInputError('The signer index is out of range.');
  const aggnonce = nonceAgg(pubnonces);
  const session: SessionContext = { aggnonce, signersCtx, tweaks, isXonly, msg };
  return partialSigVerifyInternal(psig, ids[i] as number, pubnonces[i] as Uint8Array, pubshares[i] as Uint8Array, session);
}

/** BIP445 "PartialSigVerifyInternal". `values` may be passed when the caller already derived them. */
export function partialSigVerifyInternal(
  psig: Uint8Array,
  myId: number,
  pubnonce: Uint8Array,
  pubshare: Uint8Array,
  session: SessionContext,
  values: SessionValues = getSessionValues(session),
): boolean {
  const { Q, gacc, signers, b, R, e } = values;
  let s: bigint;
  try {
    s = scalarFromBytesChecked(psig);
  } catch {
    return false;
  }
  if (!signers.pubshareHex.includes(bytesToHex(pubshare))) return false;
  if (!signers.ids.includes(myId)) return false;
  let R1: GroupElement;
  let R2: GroupElement;
  let P: GroupElement;
  try {
    if (pubnonce.length !== 66) return false;
    R1 = pointFromCompressed(pubnonce.subarray(0, 33));
    R2 = pointFromCompressed(pubnonce.subarray(33, 66));
    P = pointFromCompressed(pubshare);
  } catch {
    return false;
  }
  return verifyPartialSigPoints(s, R1, R2, P, deriveInterpolatingValue(signers.ids, myId), Q, gacc, b, R, e);
}

/**
 * The verification equation s·G = Re_s + (e·λ·g·gacc)·P on decoded values. Shared with the ROAST
 * coordinator, which decodes nonces once when they arrive.
 */
export function verifyPartialSigPoints(
  s: bigint,
  R1: GroupElement,
  R2: GroupElement,
  P: GroupElement,
  lambda: bigint,
  Q: GroupElement,
  gacc: bigint,
  b: bigint,
  R: GroupElement,
  e: bigint,
): boolean {
  const g = hasEvenY(Q) ? 1n : N - 1n;
  const c = (((e * lambda) % N) * ((g * gacc) % N)) % N;
  // Re_s = ±(R1 + b·R2). libsecp256k1 does the three multiplications (native.ts) in less CPU than
  // one bigint double-scalar multiplication.
  const evenR = hasEvenY(R);
  const bSigned = evenR ? b : (N - b) % N;
  const R1Signed = evenR ? R1 : R1.negate();
  const rhs = R1Signed.add(mulPoint(R2, bSigned)).add(mulPoint(P, c));
  return mulGen(s).equals(rhs);
}
