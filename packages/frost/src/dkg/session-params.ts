/** Host keys and session parameters (ChillDKG "Host Keys", "SessionParams", "params_hash"). */
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostInputError } from '../errors.js';
import { pointFromCompressed } from '../curve/point.js';
import { N } from '../curve/scalar.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { u32be } from './bytes.js';
import { DuplicateHostPubkeyError, HostSeckeyError, InvalidHostPubkeyError, ThresholdOrCountError } from './errors.js';
import { taggedHashBipDkg } from './vss.js';
import { mulGenCompressed } from '../curve/native.js';

export interface SessionParams {
  /** Ordered compressed host public keys; a participant's index here is its participant id. */
  readonly hostpubkeys: readonly Uint8Array[];
  /** Signing threshold. */
  readonly t: number;
}

/** hostpubkey_gen: the compressed public key of a 32-byte host secret key. */
export function hostpubkeyGen(hostseckey: Uint8Array): Uint8Array {
  if (hostseckey.length !== 32) throw new FrostInputError('The host secret key must be 32 bytes.');
  const d = bytesToNumberBE(hostseckey);
  if (d === 0n || d >= N) throw new HostSeckeyError('The host secret key is out of range.');
  return mulGenCompressed(d);
}

/** params_validate: threshold and count in range, every host key valid, no duplicates. */
export function paramsValidate(params: SessionParams): void {
  const { hostpubkeys, t } = params;
  if (!Number.isInteger(t) || !(1 <= t && t <= hostpubkeys.length && hostpubkeys.length <= 2 ** 32 - 1)) throw new ThresholdOrCountError();
  hostpubkeys.forEach((pk, i) => {
    try {
      pointFromCompressed(pk);
    } catch {
      throw new InvalidHostPubkeyError(i);
    }
  });
  const seen = new Map<string, number>();
  hostpubkeys.forEach((pk, i) => {
    const key = bytesToHex(pk);
    const first = seen.get(key);
    if (first !== undefined) throw new DuplicateHostPubkeyError(first, i);
    seen.set(key, i);
  });
}

/** params_hash: a digest of the parameters for out-of-band comparison of host keys. */
export function paramsHash(params: SessionParams): Uint8Array {
  paramsValidate(params);
  return taggedHashBipDkg('params_hash', u32be(params.t), ...params.hostpubkeys);
}

/** The participant id of a host key in the parameters, or -1. */
export function participantIdOf(params: SessionParams, hostpubkey: Uint8Array): number {
  const hex = bytesToHex(hostpubkey);
  return params.hostpubkeys.findIndex((pk) => bytesToHex(pk) === hex);
}
