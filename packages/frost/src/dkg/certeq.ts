/**
 * CertEq (ChillDKG "Equality Check Protocol CertEq"): every participant signs the session
 * transcript with its host key; the n signatures together are the certificate that all honest
 * participants saw the same transcript, so none can be tricked into a different key.
 */
import { schnorrSign, schnorrVerify } from '../curve/bip340.js';
import { FrostInputError } from '../errors.js';
import { u32be } from './bytes.js';
import { BIP_TAG } from './vss.js';

/** Domain-separated message: "BIP DKG/certeq message" zero-padded to 33 bytes ‖ id ‖ x. */
export function certeqMessage(x: Uint8Array, participantId: number): Uint8Array {
  const prefix = new Uint8Array(33);
  prefix.set(new TextEncoder().encode(`${BIP_TAG}certeq message`));
  const out = new Uint8Array(33 + 4 + x.length);
  out.set(prefix, 0);
  out.set(u32be(participantId), 33);
  out.set(x, 37);
  return out;
}

export function certeqParticipantStep(hostseckey: Uint8Array, participantId: number, x: Uint8Array, auxRand: Uint8Array): Uint8Array {
  return schnorrSign(certeqMessage(x, participantId), hostseckey, auxRand);
}

export const certeqCertLen = (n: number): number => 64 * n;

/** Thrown by certeqVerify with the index of the first invalid signature. */
export class InvalidSignatureInCertificateError extends Error {
  override readonly name: string = 'InvalidSignatureInCertificateError';
  constructor(readonly participantId: number) {
    super(`certificate signature of participant ${participantId} is invalid`);
  }
}

export function certeqVerify(hostpubkeys: readonly Uint8Array[], x: Uint8Array, cert: Uint8Array): void {
  const n = hostpubkeys.length;
  if (cert.length !== certeqCertLen(n)) throw new FrostInputError('The certificate has the wrong length.');
  for (let i = 0; i < n; i++) {
    // Dropping the parity byte is fine: x commits to every full host key.
    const ok = schnorrVerify(certeqMessage(x, i), (hostpubkeys[i] as Uint8Array).subarray(1, 33), cert.subarray(64 * i, 64 * (i + 1)));
    if (!ok) throw new InvalidSignatureInCertificateError(i);
  }
}

export function certeqCoordinatorStep(sigs: readonly Uint8Array[]): Uint8Array {
  const cert = new Uint8Array(64 * sigs.length);
  sigs.forEach((s, i) => cert.set(s, 64 * i));
  return cert;
}
