/**
 * ChillDKG (BIP draft "ChillDKG: Distributed Key Generation for FROST", v0.3.0-dev): EncPedPop
 * under host keys, plus the CertEq equality check and recovery data. No trusted dealer: each
 * participant deals a share of its own random secret; the group secret is their sum and never
 * exists anywhere. Outputs are BIP445-compatible (share of participant i is f(i + 1)).
 */
import { FrostInputError } from '../errors.js';
import { type GroupElement, pointToCompressed } from '../curve/point.js';
import { scalarFromBytesChecked, scalarToBytes } from '../curve/scalar.js';
import { chunks, equalBytes } from './bytes.js';
import { InvalidSignatureInCertificateError, certeqCertLen, certeqCoordinatorStep, certeqParticipantStep, certeqVerify } from './certeq.js';
import {
  type EncParticipantState,
  encCoordinatorInvestigate,
  encCoordinatorMsgLen,
  encCoordinatorStep,
  encParticipantInvestigate,
  encParticipantMsgLen,
  encParticipantStep1,
  encParticipantStep2,
  parseEncParticipantMsg,
} from './encpedpop.js';
import {
  FaultyCoordinatorError,
  FaultyParticipantError,
  HostSeckeyError,
  MsgParseError,
  RandomnessError,
  type UnknownFaultyParticipantOrCoordinatorError,
} from './errors.js';
import { type SessionParams, hostpubkeyGen, paramsValidate, participantIdOf } from './session-params.js';
import type { SimplDkgOutput } from './simplpedpop.js';

/** The result of a DKG session. */
export interface DKGOutput {
  /** This participant's secret share (32 bytes); null for the coordinator. */
  readonly secshare: Uint8Array | null;
  /** Threshold public key, compressed (already TapTweaked to an unspendable script path). */
  readonly threshPk: Uint8Array;
  /** Every participant's public share, compressed, by participant id. */
  readonly pubshares: readonly Uint8Array[];
}

/** Transcript plus certificate; with a host secret key it restores that participant's output. */
export type RecoveryData = Uint8Array;

export interface ParticipantState1 {
  readonly params: SessionParams;
  readonly participantId: number;
  readonly encState: EncParticipantState;
}

export interface ParticipantState2 {
  readonly params: SessionParams;
  readonly eqInput: Uint8Array;
  readonly output: DKGOutput;
}

export interface CoordinatorState {
  readonly params: SessionParams;
  readonly eqInput: Uint8Array;
  readonly output: DKGOutput;
}

/** Serialises a SimplPedPop output into the byte form of the public API. */
export function toDkgOutput(o: SimplDkgOutput): DKGOutput {
  return {
    secshare: o.secshare === null ? null : scalarToBytes(o.secshare),
    threshPk: pointToCompressed(o.threshPk),
    pubshares: o.pubshares.map((P: GroupElement) => pointToCompressed(P)),
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** ChillDKG participant_step1. `random` must be fresh 32-byte randomness. Returns state and pmsg1. */
export function participantStep1(hostseckey: Uint8Array, params: SessionParams, random: Uint8Array): { state1: ParticipantState1; pmsg1: Uint8Array } {
  const hostpubkey = hostpubkeyGen(hostseckey);
  paramsValidate(params);
  const participantId = participantIdOf(params, hostpubkey);
  if (participantId < 0) throw new HostSeckeyError('Host secret key does not match any host public key');
  if (random.length !== 32) throw new FrostInputError('random must be 32 bytes.');
  if (random.every((b) => b === 0)) throw new RandomnessError('random is all zeros');
  // EncPedPop only hashes its seed, so the host secret key serves as seed and as decryption key.
  const { state, pmsg } = encParticipantStep1(hostseckey, hostseckey, params.hostpubkeys, params.t, participantId, random);
  return { state1: { params, participantId, encState: state }, pmsg1: pmsg };
}

/**
 * ChillDKG participant_step2: check the coordinator's aggregate, derive our share and sign the
 * transcript (CertEq). Throws FaultyParticipantOrCoordinatorError naming a suspect participant,
 * FaultyCoordinatorError, or UnknownFaultyParticipantOrCoordinatorError (then investigate).
 */
export function participantStep2(hostseckey: Uint8Array, state1: ParticipantState1, cmsg1: Uint8Array, auxRand: Uint8Array): { state2: ParticipantState2; pmsg2: Uint8Array } {
  const hostpubkey = hostpubkeyGen(hostseckey);
  if (auxRand.length !== 32) throw new FrostInputError('aux_rand must be 32 bytes.');
  const { params, participantId, encState } = state1;
  if (!equalBytes(hostpubkey, params.hostpubkeys[participantId] as Uint8Array)) {
    throw new HostSeckeyError('Host secret key does not match the one used in participant_step1');
  }
  const { t } = encState.simplState;
  const n = params.hostpubkeys.length;
  const encLen = encCoordinatorMsgLen(t, n);
  if (cmsg1.length !== encLen + 32 * n) throw new FrostInputError('cmsg1 has the wrong length.');
  let encSecshares: bigint[];
  try {
    encSecshares = chunks(cmsg1, encLen, 32, n).map((c) => {
      try {
        return scalarFromBytesChecked(c);
      } catch {
        throw new MsgParseError('invalid encrypted secret shares');
      }
    });
  } catch (e) {
    if (e instanceof MsgParseError) throw new FaultyCoordinatorError(e.message);
    throw e;
  }
  const { output, eqInput: encEqInput } = encParticipantStep2(encState, hostseckey, cmsg1.subarray(0, encLen), encSecshares[participantId] as bigint);
  // The encrypted shares go into the transcript so all participants agree on the recovery data.
  const eqInput = concat([encEqInput, ...encSecshares.map(scalarToBytes)]);
  const pmsg2 = certeqParticipantStep(hostseckey, participantId, eqInput, auxRand);
  return { state2: { params, eqInput, output: toDkgOutput(output) }, pmsg2 };
}

/**
 * ChillDKG participant_finalize: verify the certificate. On success the session is final for us;
 * the recovery data must be kept (with the host key) to restore the share.
 */
export function participantFinalize(state2: ParticipantState2, cmsg2: Uint8Array): { output: DKGOutput; recoveryData: RecoveryData } {
  const { params, eqInput, output } = state2;
  if (cmsg2.length !== certeqCertLen(params.hostpubkeys.length)) throw new FrostInputError('cmsg2 has the wrong length.');
  try {
    certeqVerify(params.hostpubkeys, eqInput, cmsg2);
  } catch (e) {
    if (e instanceof InvalidSignatureInCertificateError) throw new FaultyCoordinatorError('Coordinator has provided a certificate with an invalid signature');
    throw e;
  }
  return { output, recoveryData: concat([eqInput, cmsg2]) };
}

/** ChillDKG participant_investigate: after an invalid share, name the faulty dealer. Always throws. */
export function participantInvestigate(error: UnknownFaultyParticipantOrCoordinatorError, cinv: Uint8Array): never {
  return encParticipantInvestigate(error.invData, cinv);
}

/** ChillDKG coordinator_step1: aggregate the participants' first messages into cmsg1. */
export function coordinatorStep1(pmsgs1: readonly Uint8Array[], params: SessionParams): { state: CoordinatorState; cmsg1: Uint8Array } {
  paramsValidate(params);
  const { hostpubkeys, t } = params;
  const n = hostpubkeys.length;
  if (pmsgs1.length !== n) throw new FrostInputError('Expected one pmsg1 per participant.');
  pmsgs1.forEach((pmsg, i) => {
    if (pmsg.length !== encParticipantMsgLen(t, n)) throw new FrostInputError(`pmsg1 of participant ${i} has the wrong length.`);
  });
  const { cmsg, output, eqInput: encEqInput, encSecshares } = encCoordinatorStep(pmsgs1, t, hostpubkeys);
  const eqInput = concat([encEqInput, ...encSecshares.map(scalarToBytes)]);
  return { state: { params, eqInput, output: toDkgOutput(output) }, cmsg1: concat([cmsg, ...encSecshares.map(scalarToBytes)]) };
}

/** ChillDKG coordinator_finalize: assemble the certificate, naming any participant whose signature is invalid. */
export function coordinatorFinalize(state: CoordinatorState, pmsgs2: readonly Uint8Array[]): { cmsg2: Uint8Array; output: DKGOutput; recoveryData: RecoveryData } {
  const { params, eqInput, output } = state;
  if (pmsgs2.length !== params.hostpubkeys.length) throw new FrostInputError('Expected one pmsg2 per participant.');
  pmsgs2.forEach((sig, i) => {
    if (sig.length !== 64) throw new FrostInputError(`pmsg2 of participant ${i} must be 64 bytes.`);
  });
  const cert = certeqCoordinatorStep(pmsgs2);
  try {
    certeqVerify(params.hostpubkeys, eqInput, cert);
  } catch (e) {
    if (e instanceof InvalidSignatureInCertificateError) throw new FaultyParticipantError(e.participantId, 'Participant has provided an invalid signature for the certificate');
    throw e;
  }
  return { cmsg2: cert, output, recoveryData: concat([eqInput, cert]) };
}

/** ChillDKG coordinator_investigate: one investigation message per participant (no secrets; may be broadcast). */
export function coordinatorInvestigate(pmsgs1: readonly Uint8Array[], params: SessionParams): Uint8Array[] {
  const n = pmsgs1.length;
  pmsgs1.forEach((pmsg, i) => {
    try {
      parseEncParticipantMsg(pmsg, params.t, n);
    } catch (e) {
      if (e instanceof MsgParseError) throw new FaultyParticipantError(i, e.message);
      throw e;
    }
  });
  return encCoordinatorInvestigate(pmsgs1, params.t);
}
