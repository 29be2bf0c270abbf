/**
 * SimplPedPop (ChillDKG "SimplPedPop"): every participant deals a VSS of a random secret with a
 * proof of possession (PoP) of it; the coordinator sums the commitments. The threshold key is the
 * sum of the dealt secrets' commitments, TapTweaked to an unspendable script path.
 */
import { FrostInputError } from '../errors.js';
import { type GroupElement, pointFromCompressedWithInfinity, pointToCompressedWithInfinity, pointToXonly, sumPoints } from '../curve/point.js';
import { N, scalarToBytes } from '../curve/scalar.js';
import { schnorrSign, schnorrVerify } from '../curve/bip340.js';
import { chunks, u32be } from './bytes.js';
import {
  FaultyCoordinatorError,
  FaultyParticipantError,
  FaultyParticipantOrCoordinatorError,
  MsgParseError,
  UnknownFaultyParticipantOrCoordinatorError,
} from './errors.js';
import { BIP_TAG, VSS, VSSCommitment } from './vss.js';

const POP_TAG_PREFIX = `${BIP_TAG}pop message`;

/** PoP: a BIP340 signature with its own tag prefix over the dealer's 4-byte participant id. */
export function popProve(seckey: bigint, participantId: number, auxRand: Uint8Array): Uint8Array {
  return schnorrSign(u32be(participantId), scalarToBytes(seckey), auxRand, POP_TAG_PREFIX);
}

export function popVerify(pop: Uint8Array, pubkeyXonly: Uint8Array, participantId: number): boolean {
  return schnorrVerify(u32be(participantId), pubkeyXonly, pop, POP_TAG_PREFIX);
}

/** Participant → coordinator: VSS commitment (33·t) ‖ PoP (64). */
export interface SimplParticipantMsg {
  com: VSSCommitment;
  pop: Uint8Array;
}

export const simplParticipantMsgLen = (t: number): number => 33 * t + 64;

export function parseSimplParticipantMsg(b: Uint8Array, t: number): SimplParticipantMsg {
  if (b.length !== simplParticipantMsgLen(t)) throw new FrostInputError('SimplPedPop participant message has the wrong length');
  return { com: VSSCommitment.fromBytes(b.subarray(0, 33 * t), t), pop: b.slice(33 * t) };
}

export function serializeSimplParticipantMsg(m: SimplParticipantMsg): Uint8Array {
  const out = new Uint8Array(33 * m.com.t + 64);
  out.set(m.com.toBytes(), 0);
  out.set(m.pop, 33 * m.com.t);
  return out;
}

/** Coordinator → participants: each dealer's C_0 (33·n), Σ of the other coefficients (33·(t−1)), PoPs (64·n). */
export interface SimplCoordinatorMsg {
  comsToSecrets: GroupElement[];
  sumComsToNonconstTerms: GroupElement[];
  pops: Uint8Array[];
}

export const simplCoordinatorMsgLen = (t: number, n: number): number => 97 * n + 33 * (t - 1);

function parsePoints(b: Uint8Array, offset: number, count: number, what: string): GroupElement[] {
  try {
    return chunks(b, offset, 33, count).map((c) => pointFromCompressedWithInfinity(c));
  } catch {
    throw new MsgParseError(`invalid ${what}`);
  }
}

export function parseSimplCoordinatorMsg(b: Uint8Array, t: number, n: number): SimplCoordinatorMsg {
  if (b.length !== simplCoordinatorMsgLen(t, n)) throw new FrostInputError('SimplPedPop coordinator message has the wrong length');
  const comsToSecrets = parsePoints(b, 0, n, 'commitment to secret');
  const sumComsToNonconstTerms = parsePoints(b, 33 * n, t - 1, 'sum commitment to non-constant term');
  const pops = chunks(b, 33 * n + 33 * (t - 1), 64, n).map((c) => c.slice());
  return { comsToSecrets, sumComsToNonconstTerms, pops };
}

export function serializeSimplCoordinatorMsg(m: SimplCoordinatorMsg): Uint8Array {
  const points = [...m.comsToSecrets, ...m.sumComsToNonconstTerms];
  const out = new Uint8Array(33 * points.length + 64 * m.pops.length);
  points.forEach((P, i) => out.set(pointToCompressedWithInfinity(P), 33 * i));
  m.pops.forEach((p, i) => out.set(p, 33 * points.length + 64 * i));
  return out;
}

export interface SimplDkgOutput {
  secshare: bigint | null;
  threshPk: GroupElement;
  pubshares: GroupElement[];
}

export interface SimplParticipantState {
  t: number;
  n: number;
  participantId: number;
  comToSecret: GroupElement;
}

function assembleSumComs(comsToSecrets: readonly GroupElement[], sumComsToNonconstTerms: readonly GroupElement[]): VSSCommitment {
  return new VSSCommitment([sumPoints(comsToSecrets), ...sumComsToNonconstTerms]);
}

/** SimplPedPop participant_step1: deal shares of a fresh polynomial and prove possession of its secret. */
export function simplParticipantStep1(
  seed: Uint8Array,
  t: number,
  n: number,
  participantId: number,
  auxRand: Uint8Array,
): { state: SimplParticipantState; msg: Uint8Array; partialSecshares: bigint[] } {
  if (t > n) throw new FrostInputError('t > n');
  if (participantId >= n) throw new FrostInputError('participant id out of range');
  if (seed.length !== 32 || auxRand.length !== 32) throw new FrostInputError('seed and aux_rand must be 32 bytes');
  const vss = VSS.generate(seed, t);
  const partialSecshares = vss.secshares(n);
  const pop = popProve(vss.secret(), participantId, auxRand);
  const com = vss.commit();
  return {
    state: { t, n, participantId, comToSecret: com.commitmentToSecret() },
    msg: serializeSimplParticipantMsg({ com, pop }),
    partialSecshares,
  };
}

/**
 * SimplPedPop participant_step2: check every other dealer's PoP, then the received secret share
 * against the summed commitment. Returns the output and the equality-check input t ‖ sum_coms.
 */
export function simplParticipantStep2(state: SimplParticipantState, cmsg: SimplCoordinatorMsg, secshare: bigint): { output: SimplDkgOutput; eqInput: Uint8Array } {
  const { t, n, participantId, comToSecret } = state;
  const { comsToSecrets, sumComsToNonconstTerms, pops } = cmsg;
  if (!(comsToSecrets[participantId] as GroupElement).equals(comToSecret)) {
    throw new FaultyCoordinatorError('Coordinator sent unexpected first group element for local participant id');
  }
  for (let i = 0; i < n; i++) {
    if (i === participantId) continue;
    const C = comsToSecrets[i] as GroupElement;
    if (C.is0()) throw new FaultyParticipantOrCoordinatorError(i, 'Participant sent invalid commitment');
    if (!popVerify(pops[i] as Uint8Array, pointToXonly(C), i)) throw new FaultyParticipantOrCoordinatorError(i, 'Participant sent invalid proof-of-knowledge');
  }
  const sumComs = assembleSumComs(comsToSecrets, sumComsToNonconstTerms);
  // Checking the tweaked share against the tweaked pubshare is equivalent and saves work on the happy path.
  const { commitment: tweaked, tweak, pubtweak } = sumComs.invalidTaprootCommit();
  const pubshareTweaked = tweaked.pubshare(participantId);
  const secshareTweaked = (secshare + tweak) % N;
  if (!VSSCommitment.verifySecshare(secshareTweaked, pubshareTweaked)) {
    throw new UnknownFaultyParticipantOrCoordinatorError(
      { n, participantId, secshare, pubshare: pubshareTweaked.subtract(pubtweak), encSecshare: 0n, pads: [] },
      'Received invalid secshare; consider using participant_investigate() to determine a faulty party',
    );
  }
  const pubshares = tweaked.pubshares(n);
  const eqInput = new Uint8Array(4 + 33 * t);
  eqInput.set(u32be(t), 0);
  eqInput.set(sumComs.toBytes(), 4);
  return { output: { secshare: secshareTweaked, threshPk: tweaked.commitmentToSecret(), pubshares }, eqInput };
}

/** SimplPedPop coordinator_step: sum the commitments (keeping each C_0 for the PoP checks). */
export function simplCoordinatorStep(pmsgs: readonly Uint8Array[], t: number, n: number): { cmsg: SimplCoordinatorMsg; output: SimplDkgOutput; eqInput: Uint8Array } {
  if (pmsgs.length !== n) throw new FrostInputError('expected one message per participant');
  const parsed = pmsgs.map((pmsg, i) => {
    try {
      return parseSimplParticipantMsg(pmsg, t);
    } catch (e) {
      if (e instanceof MsgParseError) throw new FaultyParticipantError(i, e.message);
      throw e;
    }
  });
  return simplCoordinatorStepParsed(parsed, t);
}

/** simplCoordinatorStep on messages already parsed (EncPedPop parses them once, to validate). */
export function simplCoordinatorStepParsed(parsed: readonly SimplParticipantMsg[], t: number): { cmsg: SimplCoordinatorMsg; output: SimplDkgOutput; eqInput: Uint8Array } {
  const n = parsed.length;
  const comsToSecrets = parsed.map((m) => m.com.commitmentToSecret());
  const sumComsToNonconstTerms = VSSCommitment.sum(parsed.map((m) => m.com)).ges.slice(1);
  const pops = parsed.map((m) => m.pop);
  const cmsg: SimplCoordinatorMsg = { comsToSecrets, sumComsToNonconstTerms, pops };
  const sumComs = assembleSumComs(comsToSecrets, sumComsToNonconstTerms);
  const { commitment: tweaked } = sumComs.invalidTaprootCommit();
  const pubshares = tweaked.pubshares(n);
  const eqInput = new Uint8Array(4 + 33 * t);
  eqInput.set(u32be(t), 0);
  eqInput.set(sumComs.toBytes(), 4);
  return { cmsg, output: { secshare: null, threshPk: tweaked.commitmentToSecret(), pubshares }, eqInput };
}

/** SimplPedPop coordinator_investigate: each dealer's partial pubshare for participant i. */
export function simplPartialPubshares(pmsgs: readonly SimplParticipantMsg[], i: number): GroupElement[] {
  return pmsgs.map((m) => m.com.pubshare(i));
}

/**
 * SimplPedPop participant_investigate: with every dealer's partial share and partial pubshare,
 * find the dealer whose share does not match its commitment. Always throws.
 */
export function simplParticipantInvestigate(
  inv: { n: number; participantId: number; secshare: bigint; pubshare: GroupElement },
  partialPubshares: readonly GroupElement[],
  partialSecshares: readonly bigint[],
): never {
  const { n, participantId, secshare, pubshare } = inv;
  if (partialSecshares.length !== n || partialPubshares.length !== n) throw new FrostInputError('investigation data has the wrong length');
  if (!sumPoints(partialPubshares).equals(pubshare)) throw new FaultyCoordinatorError('Sum of partial pubshares not equal to pubshare');
  if (partialSecshares.reduce((a, s) => (a + s) % N, 0n) !== secshare) throw new SecshareSumError('Sum of partial secshares not equal to secshare');
  for (let i = 0; i < n; i++) {
    if (!VSSCommitment.verifySecshare(partialSecshares[i] as bigint, partialPubshares[i] as GroupElement)) {
      if (i !== participantId) throw new FaultyParticipantOrCoordinatorError(i, 'Participant sent invalid partial secshare');
      throw new FaultyCoordinatorError('Coordinator fiddled with the share from me to myself');
    }
  }
  throw new Error('participant_investigate() was called, but all inputs are consistent.');
}

/** Internal to the investigation: the partial secret shares do not add up. */
export class SecshareSumError extends Error {
  override readonly name: string = 'SecshareSumError';
}

