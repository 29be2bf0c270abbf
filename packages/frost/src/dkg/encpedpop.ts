/**
 * EncPedPop (ChillDKG "EncPedPop"): SimplPedPop with the secret shares encrypted to each
 * recipient's host key, so they can travel through an untrusted coordinator. Encryption is
 * additive with pads from a multi-recipient hashed-ElGamal KEM: pad = hash(ECDH ‖ keys ‖ context),
 * so the coordinator can sum ciphertexts for each recipient without learning anything.
 */
import { FrostInputError } from '../errors.js';
import { sha256 } from '../curve/tagged-hash.js';
import { type GroupElement, pointFromCompressed, pointFromCompressedWithInfinity, pointToCompressed, pointToCompressedWithInfinity } from '../curve/point.js';
import { N, scalarFromBytesChecked, scalarFromBytesNonzeroChecked, scalarFromBytesWrapping, scalarToBytes } from '../curve/scalar.js';
import { chunks, equalBytes, u32be } from './bytes.js';
import {
  FaultyCoordinatorError,
  FaultyParticipantError,
  FaultyParticipantOrCoordinatorError,
  MsgParseError,
  type ParticipantInvestigationData,
  UnknownFaultyParticipantOrCoordinatorError,
} from './errors.js';
import {
  SecshareSumError,
  type SimplCoordinatorMsg,
  type SimplDkgOutput,
  type SimplParticipantState,
  parseSimplCoordinatorMsg,
  parseSimplParticipantMsg,
  serializeSimplCoordinatorMsg,
  simplCoordinatorMsgLen,
  type SimplParticipantMsg,
  simplCoordinatorStepParsed,
  simplParticipantInvestigate,
  simplParticipantMsgLen,
  simplParticipantStep1,
  simplParticipantStep2,
} from './simplpedpop.js';
import { taggedHashBipDkg } from './vss.js';
import { mulGenCompressed, mulPoint } from '../curve/native.js';

/** libsecp256k1's default ECDH: SHA256(compressed(seckey · pubkey)). Throws on an invalid pubkey. */
function ecdhLibsecp256k1(seckey: Uint8Array, theirPubkey: Uint8Array): Uint8Array {
  const P = pointFromCompressed(theirPubkey, 'ECDH public key');
  return sha256(pointToCompressed(mulPoint(P, scalarFromBytesNonzeroChecked(seckey, 'ECDH secret key'))));
}

function ecdhPad(seckey: Uint8Array, myPubkey: Uint8Array, theirPubkey: Uint8Array, context: Uint8Array, sending: boolean): bigint {
  const shared = ecdhLibsecp256k1(seckey, theirPubkey);
  const keys = sending ? [myPubkey, theirPubkey] : [theirPubkey, myPubkey];
  return scalarFromBytesWrapping(taggedHashBipDkg('encpedpop ecdh', shared, ...keys, context));
}

/** The pad a participant uses for the share it deals to itself: symmetric, no ECDH needed. */
function selfPad(symkey: Uint8Array, nonce: Uint8Array, context: Uint8Array): bigint {
  return scalarFromBytesWrapping(taggedHashBipDkg('encaps_multi self_pad', symkey, nonce, context));
}

/** Sender side: one pad per recipient; the recipient index is hashed in (Pinto et al., multi-recipient KEM). */
function encapsMulti(secnonce: Uint8Array, pubnonce: Uint8Array, deckey: Uint8Array, enckeys: readonly Uint8Array[], context: Uint8Array, participantId: number): bigint[] {
  // ctx = u32be(i) ‖ context, rewritten in place: context is 33·n bytes, and copying it through an array
  // spread per recipient cost seconds at n = 1000.
  const ctx = new Uint8Array(4 + context.length);
  ctx.set(context, 4);
  return enckeys.map((enckey, i) => {
    ctx.set(u32be(i), 0);
    return i === participantId ? selfPad(deckey, pubnonce, ctx) : ecdhPad(secnonce, pubnonce, enckey, ctx, true);
  });
}

/** Recipient side: the pads every sender used for us. An undecodable pubnonce is blamed on its sender. */
export function decapsMulti(deckey: Uint8Array, enckey: Uint8Array, pubnonces: readonly Uint8Array[], context: Uint8Array, participantId: number): bigint[] {
  const ctx = new Uint8Array(4 + context.length);
  ctx.set(u32be(participantId), 0);
  ctx.set(context, 4);
  return pubnonces.map((pubnonce, senderId) => {
    if (senderId === participantId) return selfPad(deckey, pubnonce, ctx);
    try {
      return ecdhPad(deckey, enckey, pubnonce, ctx, false);
    } catch {
      throw new FaultyParticipantOrCoordinatorError(senderId, 'invalid public nonce');
    }
  });
}

/** Σ ciphertexts − Σ pads. */
export function decryptSum(deckey: Uint8Array, enckey: Uint8Array, pubnonces: readonly Uint8Array[], context: Uint8Array, participantId: number, sumCiphertexts: bigint): bigint {
  if (participantId >= pubnonces.length) throw new FrostInputError('participant id out of range');
  const pads = decapsMulti(deckey, enckey, pubnonces, context, participantId);
  return (((sumCiphertexts - pads.reduce((a, p) => (a + p) % N, 0n)) % N) + N) % N;
}

/** enc_context = t (4 bytes) ‖ all enckeys. */
export function serializeEncContext(t: number, enckeys: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(4 + 33 * enckeys.length);
  out.set(u32be(t), 0);
  enckeys.forEach((k, i) => out.set(k, 4 + 33 * i));
  return out;
}

function parseScalars(b: Uint8Array, offset: number, count: number, what: string): bigint[] {
  try {
    return chunks(b, offset, 32, count).map((c) => scalarFromBytesChecked(c));
  } catch {
    throw new MsgParseError(`invalid ${what}`);
  }
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

/** Participant message: SimplPedPop message ‖ pubnonce (33) ‖ encrypted shares (32·n). */
export const encParticipantMsgLen = (t: number, n: number): number => simplParticipantMsgLen(t) + 33 + 32 * n;

export function parseEncParticipantMsg(b: Uint8Array, t: number, n: number): { simplPmsg: Uint8Array; simpl: SimplParticipantMsg; pubnonce: Uint8Array; encShares: bigint[] } {
  if (b.length !== encParticipantMsgLen(t, n)) throw new FrostInputError('EncPedPop participant message has the wrong length');
  const simplLen = simplParticipantMsgLen(t);
  const simplPmsg = b.slice(0, simplLen);
  const simpl = parseSimplParticipantMsg(simplPmsg, t);
  return { simplPmsg, simpl, pubnonce: b.slice(simplLen, simplLen + 33), encShares: parseScalars(b, simplLen + 33, n, 'encrypted secret share') };
}

/** Coordinator message: SimplPedPop coordinator message ‖ all pubnonces (33·n). */
export const encCoordinatorMsgLen = (t: number, n: number): number => simplCoordinatorMsgLen(t, n) + 33 * n;

export function parseEncCoordinatorMsg(b: Uint8Array, t: number, n: number): { simplCmsg: SimplCoordinatorMsg; pubnonces: Uint8Array[] } {
  if (b.length !== encCoordinatorMsgLen(t, n)) throw new FrostInputError('EncPedPop coordinator message has the wrong length');
  const simplLen = simplCoordinatorMsgLen(t, n);
  return { simplCmsg: parseSimplCoordinatorMsg(b.subarray(0, simplLen), t, n), pubnonces: chunks(b, simplLen, 33, n).map((c) => c.slice()) };
}

export interface EncParticipantState {
  simplState: SimplParticipantState;
  pubnonce: Uint8Array;
  enckeys: readonly Uint8Array[];
  participantId: number;
}

/** EncPedPop participant_step1. */
export function encParticipantStep1(
  seed: Uint8Array,
  deckey: Uint8Array,
  enckeys: readonly Uint8Array[],
  t: number,
  participantId: number,
  random: Uint8Array,
): { state: EncParticipantState; pmsg: Uint8Array } {
  if (t >= 2 ** 32) throw new FrostInputError('t too large');
  if (random.length !== 32) throw new FrostInputError('random must be 32 bytes');
  const n = enckeys.length;
  const encContext = serializeEncContext(t, enckeys);
  // Everything the shares depend on also goes into the encryption nonce, so different shares are
  // never encrypted under the same pads.
  const simplSeed = taggedHashBipDkg('encpedpop seed', seed, random, encContext);
  const simplAuxRand = taggedHashBipDkg('simplpedpop aux', simplSeed);
  const secnonce = taggedHashBipDkg('encpedpop secnonce', simplSeed);
  const pubnonce = mulGenCompressed(scalarFromBytesNonzeroChecked(secnonce, 'encryption nonce'));
  const { state: simplState, msg: simplPmsg, partialSecshares } = simplParticipantStep1(simplSeed, t, n, participantId, simplAuxRand);
  const pads = encapsMulti(secnonce, pubnonce, deckey, enckeys, encContext, participantId);
  const encShares = partialSecshares.map((s, i) => (s + (pads[i] as bigint)) % N);
  secnonce.fill(0);
  const pmsg = concat([simplPmsg, pubnonce, ...encShares.map(scalarToBytes)]);
  return { state: { simplState, pubnonce, enckeys, participantId }, pmsg };
}

/** EncPedPop participant_step2: decrypt our share and run SimplPedPop's checks. */
export function encParticipantStep2(state: EncParticipantState, deckey: Uint8Array, cmsg: Uint8Array, encSecshare: bigint): { output: SimplDkgOutput; eqInput: Uint8Array } {
  const { simplState, pubnonce, enckeys, participantId } = state;
  let parsed: ReturnType<typeof parseEncCoordinatorMsg>;
  try {
    parsed = parseEncCoordinatorMsg(cmsg, simplState.t, enckeys.length);
  } catch (e) {
    if (e instanceof MsgParseError) throw new FaultyCoordinatorError(e.message);
    throw e;
  }
  const { simplCmsg, pubnonces } = parsed;
  if (!equalBytes(pubnonces[participantId] as Uint8Array, pubnonce)) throw new FaultyCoordinatorError('Coordinator replied with wrong pubnonce');
  const encContext = serializeEncContext(simplState.t, enckeys);
  const pads = decapsMulti(deckey, enckeys[participantId] as Uint8Array, pubnonces, encContext, participantId);
  const secshare = (((encSecshare - pads.reduce((a, p) => (a + p) % N, 0n)) % N) + N) % N;
  let result: { output: SimplDkgOutput; eqInput: Uint8Array };
  try {
    result = simplParticipantStep2(simplState, simplCmsg, secshare);
  } catch (e) {
    if (e instanceof UnknownFaultyParticipantOrCoordinatorError) {
      throw new UnknownFaultyParticipantOrCoordinatorError({ ...e.invData, encSecshare, pads }, e.message);
    }
    throw e;
  }
  return { output: result.output, eqInput: concat([result.eqInput, ...enckeys, ...pubnonces]) };
}

/** EncPedPop coordinator_step: SimplPedPop aggregation plus the per-recipient sums of ciphertexts. */
export function encCoordinatorStep(
  pmsgs: readonly Uint8Array[],
  t: number,
  enckeys: readonly Uint8Array[],
): { cmsg: Uint8Array; output: SimplDkgOutput; eqInput: Uint8Array; encSecshares: bigint[] } {
  const n = enckeys.length;
  if (pmsgs.length !== n) throw new FrostInputError('expected one message per participant');
  const parsed = pmsgs.map((pmsg, i) => {
    try {
      return parseEncParticipantMsg(pmsg, t, n);
    } catch (e) {
      if (e instanceof MsgParseError) throw new FaultyParticipantError(i, e.message);
      throw e;
    }
  });
  const { cmsg: simplCmsg, output, eqInput } = simplCoordinatorStepParsed(
    parsed.map((m) => m.simpl),
    t,
  );
  const pubnonces = parsed.map((m) => m.pubnonce);
  const encSecshares = Array.from({ length: n }, (_, i) => parsed.reduce((a, m) => (a + (m.encShares[i] as bigint)) % N, 0n));
  const cmsg = concat([serializeSimplCoordinatorMsg(simplCmsg), ...pubnonces]);
  return { cmsg, output, eqInput: concat([eqInput, ...enckeys, ...pubnonces]), encSecshares };
}

/** Coordinator investigation message for participant i: every dealer's encrypted share for i (32·n) ‖ partial pubshares (33·n). */
export function encCoordinatorInvestigate(pmsgs: readonly Uint8Array[], t: number): Uint8Array[] {
  const n = pmsgs.length;
  const parsed = pmsgs.map((pmsg) => parseEncParticipantMsg(pmsg, t, n));
  const simpl = parsed.map((m) => m.simpl);
  return Array.from({ length: n }, (_, i) =>
    concat([...parsed.map((m) => scalarToBytes(m.encShares[i] as bigint)), ...simpl.map((m) => pointToCompressedWithInfinity(m.com.pubshare(i)))]),
  );
}

/** EncPedPop participant_investigate: decrypt every dealer's share and find the inconsistent one. Always throws. */
export function encParticipantInvestigate(inv: ParticipantInvestigationData, cinv: Uint8Array): never {
  const { n } = inv;
  if (cinv.length !== 65 * n) throw new FrostInputError('investigation message has the wrong length');
  let encPartialSecshares: bigint[];
  let partialPubshares: GroupElement[];
  try {
    encPartialSecshares = parseScalars(cinv, 0, n, 'encrypted partial secshare');
    try {
      partialPubshares = chunks(cinv, 32 * n, 33, n).map((c) => pointFromCompressedWithInfinity(c));
    } catch {
      throw new MsgParseError('invalid partial pubshare');
    }
  } catch (e) {
    if (e instanceof MsgParseError) throw new FaultyCoordinatorError(e.message);
    throw e;
  }
  const partialSecshares = encPartialSecshares.map((c, i) => (((c - (inv.pads[i] as bigint)) % N) + N) % N);
  try {
    return simplParticipantInvestigate(inv, partialPubshares, partialSecshares);
  } catch (e) {
    // Encryption is additively homomorphic, so a wrong sum means the coordinator summed wrongly.
    if (e instanceof SecshareSumError) throw new FaultyCoordinatorError('Sum of encrypted partial secshares not equal to encrypted secshare');
    throw e;
  }
}
