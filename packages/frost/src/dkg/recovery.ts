/**
 * Recovery (ChillDKG "Backup and Recovery"): the recovery data is the session transcript plus the
 * certificate. With it, the coordinator restores the public output, and a participant restores its
 * secret share from its host secret key alone, e.g. after losing its disk or when it missed the
 * final coordinator message while others already deem the session successful.
 */
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { FrostInputError } from '../errors.js';
import type { GroupElement } from '../curve/point.js';
import { N, scalarFromBytesChecked } from '../curve/scalar.js';
import { chunks } from './bytes.js';
import { certeqVerify } from './certeq.js';
import { type DKGOutput, type RecoveryData, toDkgOutput } from './chilldkg.js';
import { decryptSum, serializeEncContext } from './encpedpop.js';
import { HostSeckeyError, RecoveryDataError, SessionParamsError } from './errors.js';
import { type SessionParams, hostpubkeyGen, paramsValidate, participantIdOf } from './session-params.js';
import { VSSCommitment } from './vss.js';

interface ParsedRecoveryData {
  t: number;
  sumComs: VSSCommitment;
  hostpubkeys: Uint8Array[];
  pubnonces: Uint8Array[];
  encSecshares: bigint[];
  cert: Uint8Array;
}

function deserializeRecoveryData(b: Uint8Array): ParsedRecoveryData {
  if (b.length < 4) throw new FrostInputError('too short');
  const t = Number(bytesToNumberBE(b.subarray(0, 4)));
  let rest = b.subarray(4);
  if (rest.length < 33 * t) throw new FrostInputError('too short');
  const sumComs = VSSCommitment.fromBytes(rest.subarray(0, 33 * t), t);
  rest = rest.subarray(33 * t);
  if (rest.length % 162 !== 0) throw new FrostInputError('bad length');
  const n = rest.length / 162;
  const hostpubkeys = chunks(rest, 0, 33, n).map((c) => c.slice());
  const pubnonces = chunks(rest, 33 * n, 33, n).map((c) => c.slice());
  const encSecshares = chunks(rest, 66 * n, 32, n).map((c) => scalarFromBytesChecked(c));
  const cert = rest.slice(98 * n);
  return { t, sumComs, hostpubkeys, pubnonces, encSecshares, cert };
}

/** ChillDKG recover: restore the DKG output (and parameters) from recovery data; with a host key, its share too. */
export function recover(hostseckey: Uint8Array | null, recoveryData: RecoveryData): { output: DKGOutput; params: SessionParams } {
  let parsed: ParsedRecoveryData;
  try {
    parsed = deserializeRecoveryData(recoveryData);
  } catch {
    throw new RecoveryDataError('Failed to deserialize recovery data');
  }
  const { t, sumComs, hostpubkeys, pubnonces, encSecshares, cert } = parsed;
  const n = hostpubkeys.length;
  const params: SessionParams = { hostpubkeys, t };
  try {
    paramsValidate(params);
  } catch (e) {
    if (e instanceof SessionParamsError) throw new RecoveryDataError('Invalid session parameters in recovery data');
    throw e;
  }
  try {
    certeqVerify(hostpubkeys, recoveryData.subarray(0, recoveryData.length - cert.length), cert);
  } catch {
    throw new RecoveryDataError('Invalid certificate in recovery data');
  }
  const { commitment: tweaked, tweak } = sumComs.invalidTaprootCommit();
  const pubshares = tweaked.pubshares(n);
  let secshare: bigint | null = null;
  if (hostseckey !== null) {
    const hostpubkey = hostpubkeyGen(hostseckey);
    const participantId = participantIdOf(params, hostpubkey);
    if (participantId < 0) throw new HostSeckeyError('Host secret key does not match any host public key in the recovery data');
    const enc = decryptSum(hostseckey, hostpubkey, pubnonces, serializeEncContext(t, hostpubkeys), participantId, encSecshares[participantId] as bigint);
    secshare = (enc + tweak) % N;
    if (!VSSCommitment.verifySecshare(secshare, pubshares[participantId] as GroupElement)) throw new RecoveryDataError('Recovered share does not match the transcript');
  }
  return { output: toDkgOutput({ secshare, threshPk: tweaked.commitmentToSecret(), pubshares }), params };
}

/** participant_recover: recover(hostseckey, recoveryData). */
export function participantRecover(hostseckey: Uint8Array, recoveryData: RecoveryData): { output: DKGOutput; params: SessionParams } {
  return recover(hostseckey, recoveryData);
}

/** coordinator_recover: recover(null, recoveryData). */
export function coordinatorRecover(recoveryData: RecoveryData): { output: DKGOutput; params: SessionParams } {
  return recover(null, recoveryData);
}
