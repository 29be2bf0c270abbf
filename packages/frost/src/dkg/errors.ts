/**
 * ChillDKG exceptions (BIP "ChillDKG", section "Exceptions"). `name` carries the spec's exception
 * name so callers and logs can tell them apart; ValueError-class input problems are FrostInputError.
 */
import { FrostInputError } from '../errors.js';
import type { GroupElement } from '../curve/point.js';

/** The host secret key is invalid or does not match the session. */
export class HostSeckeyError extends FrostInputError {
  override readonly name: string = 'HostSeckeyError';
}

/** Base class for invalid session parameters. */
export class SessionParamsError extends FrostInputError {
  override readonly name: string = 'SessionParamsError';
}

/** A host public key in the session parameters is not a valid compressed point. */
export class InvalidHostPubkeyError extends SessionParamsError {
  override readonly name: string = 'InvalidHostPubkeyError';
  constructor(readonly participantId: number) {
    super(`host public key of participant ${participantId} is invalid`);
  }
}

/** Two participants have the same host public key. */
export class DuplicateHostPubkeyError extends SessionParamsError {
  override readonly name: string = 'DuplicateHostPubkeyError';
  constructor(
    readonly participantId1: number,
    readonly participantId2: number,
  ) {
    super(`participants ${participantId1} and ${participantId2} have the same host public key`);
  }
}

/** 1 <= t <= n <= 2^32 - 1 does not hold. */
export class ThresholdOrCountError extends SessionParamsError {
  override readonly name: string = 'ThresholdOrCountError';
  constructor() {
    super('1 <= t <= len(hostpubkeys) <= 2^32 - 1 does not hold');
  }
}

/** The session randomness is all zeros (a broken RNG). */
export class RandomnessError extends FrostInputError {
  override readonly name: string = 'RandomnessError';
}

/** Recovery data is malformed, has invalid parameters or an invalid certificate. */
export class RecoveryDataError extends FrostInputError {
  override readonly name: string = 'RecoveryDataError';
}

/** Base class of protocol faults: someone else misbehaved. */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
}

/** A participant is at fault; `participant` is its index in the session's host key list. */
export class FaultyParticipantError extends ProtocolError {
  override readonly name: string = 'FaultyParticipantError';
  constructor(
    readonly participant: number,
    readonly reason: string,
  ) {
    super(`participant ${participant}: ${reason}`);
  }
}

/**
 * Either the named participant or the coordinator relaying its message is at fault: a participant
 * cannot tell them apart without an authenticated channel. The participant named is the suspect.
 */
export class FaultyParticipantOrCoordinatorError extends FaultyParticipantError {
  override readonly name: string = 'FaultyParticipantOrCoordinatorError';
}

/** The coordinator is at fault. */
export class FaultyCoordinatorError extends ProtocolError {
  override readonly name: string = 'FaultyCoordinatorError';
  constructor(readonly reason: string) {
    super(`coordinator: ${reason}`);
  }
}

/** What a participant keeps to run the investigation after an invalid secret share. */
export interface ParticipantInvestigationData {
  readonly n: number;
  readonly participantId: number;
  readonly secshare: bigint;
  readonly pubshare: GroupElement;
  readonly encSecshare: bigint;
  readonly pads: readonly bigint[];
}

/**
 * The received secret share does not match the commitments, but it is not yet known who is at
 * fault; pass this error with the coordinator's investigation message to `participantInvestigate`.
 */
export class UnknownFaultyParticipantOrCoordinatorError extends ProtocolError {
  override readonly name: string = 'UnknownFaultyParticipantOrCoordinatorError';
  constructor(
    readonly invData: ParticipantInvestigationData,
    message: string,
  ) {
    super(message);
  }
}

/** Internal: a message failed to parse (turned into a fault of its sender by the caller). */
export class MsgParseError extends Error {
  override readonly name: string = 'MsgParseError';
}
