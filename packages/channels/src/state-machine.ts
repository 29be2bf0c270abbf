// The update protocol of one party, pure: no I/O, state as plain data the caller persists BEFORE sending the
// returned message (then a crash equals a lost message, and `resend` recovers it). One update in flight at a time.
//
//   proposer A                                   receiver B
//   propose(n+1): sig on B's commitment n+1  ──▶ receiveProposal: checks, signs A's n+1, revokes B's n
//   receiveAcceptance: checks, revokes A's n ◀── acceptance
//   revocation                               ──▶ receiveRevocation
//
// Each side's latest commitment stays publishable throughout: a side revokes its state n only once it holds the
// counterparty's signature on its state n+1.
import { equalBytes } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';
import { pointOf } from './keys.js';
import { checkBalanceSheet, otherSide, type BalanceSheet, type ChannelParams, type Side } from './params.js';
import { perCommitmentSecret, shachainIndex, ShachainStore, type ShachainStoreJson } from './shachain.js';
import { buildCommitment, verifyFundingSignature } from './transactions.js';

export interface Proposal {
  type: 'proposal';
  sheet: BalanceSheet;
  /** The proposer's signature on the receiver's commitment for `sheet`. */
  signature: Uint8Array;
}

export interface Revocation {
  stateNumber: number;
  /** The per-commitment secret of the revoked state. */
  secret: Uint8Array;
  /** The sender's per-commitment point for state stateNumber + 2. */
  nextPoint: Uint8Array;
}

export interface Acceptance {
  type: 'acceptance';
  stateNumber: number;
  /** The receiver's signature on the proposer's commitment. */
  signature: Uint8Array;
  revocation: Revocation;
}

export interface RevocationMessage extends Revocation {
  type: 'revocation';
}

export type ChannelMessage = Proposal | Acceptance | RevocationMessage;

/** What a party persists. Plain data (bigint and Uint8Array inside): store it with a codec that keeps both. */
export interface PartyState {
  side: Side;
  /** Latest state whose own commitment this party can publish, with the counterparty's signature on it. */
  latest: { sheet: BalanceSheet; counterpartySignature: Uint8Array };
  /** States this party has revoked: every own commitment below this number. */
  revokedBelow: number;
  /** The counterparty's per-commitment points by state number (current and next ones). */
  counterpartyPoints: Record<number, Uint8Array>;
  /** The counterparty's revealed secrets (BOLT 3 compact storage). */
  counterpartySecrets: ShachainStoreJson;
  /** Counterparty states we have signed (their commitments), highest first matters: the in-flight one. */
  highestSignedForCounterparty: number;
  /** The update in flight, if any. */
  pending?: { role: 'proposer' | 'receiver'; sheet: BalanceSheet; awaiting: 'acceptance' | 'revocation' };
  /** The last message sent, to resend after a crash or a lost message. */
  lastSent?: ChannelMessage;
}

export interface PartyKeys {
  /** 32-byte seed of this party's per-commitment secrets. */
  perCommitmentSeed: Uint8Array;
  /** Signs a funding-spend sighash with this party's funding key (the user's key; the custody's through ROAST). */
  sign: (sighash: Uint8Array) => Uint8Array;
  /**
   * This party's own acceptance rule for a proposed state (the user: "custody's side never grows unless I propose";
   * the custody: the channel policy against the L2). Throw to refuse.
   */
  checkProposal?: (from: BalanceSheet, to: BalanceSheet) => void;
}

export const ownPoint = (keys: Pick<PartyKeys, 'perCommitmentSeed'>, stateNumber: number): Uint8Array => pointOf(perCommitmentSecret(keys.perCommitmentSeed, stateNumber));

/** What each side hands the other at opening: its per-commitment points for states 0 and 1. */
export const openingPoints = (keys: Pick<PartyKeys, 'perCommitmentSeed'>): [Uint8Array, Uint8Array] => [ownPoint(keys, 0), ownPoint(keys, 1)];

/** Our signature on the counterparty's commitment of the opening state (exchanged before the funding is broadcast). */
export function openingSignature(params: ChannelParams, side: Side, keys: PartyKeys, sheet0: BalanceSheet, counterpartyPoint0: Uint8Array): Uint8Array {
  if (sheet0.stateNumber !== 0) throw new ChannelError('the opening state is state 0');
  return keys.sign(buildCommitment(params, otherSide(side), sheet0, counterpartyPoint0).sighash);
}

/** A party's state once it holds the counterparty's signature on its own opening commitment. */
export function openParty(params: ChannelParams, side: Side, keys: PartyKeys, sheet0: BalanceSheet, counterpartyPoints: [Uint8Array, Uint8Array], counterpartySignature: Uint8Array): PartyState {
  if (sheet0.stateNumber !== 0) throw new ChannelError('the opening state is state 0');
  checkBalanceSheet(params, sheet0);
  const own = buildCommitment(params, side, sheet0, ownPoint(keys, 0));
  verifyFundingSignature(params, own.tx, otherSide(side), counterpartySignature);
  return {
    side,
    latest: { sheet: sheet0, counterpartySignature },
    revokedBelow: 0,
    counterpartyPoints: { 0: counterpartyPoints[0], 1: counterpartyPoints[1] },
    counterpartySecrets: new ShachainStore().toJson(),
    highestSignedForCounterparty: 0,
  };
}

function counterpartyPoint(state: PartyState, stateNumber: number): Uint8Array {
  const p = state.counterpartyPoints[stateNumber];
  if (!p) throw new ChannelError(`no per-commitment point of the counterparty for state ${stateNumber}`);
  return p;
}

function checkNext(state: PartyState, params: ChannelParams, sheet: BalanceSheet): void {
  checkBalanceSheet(params, sheet);
  if (sheet.stateNumber !== state.latest.sheet.stateNumber + 1)
    throw new ChannelError(`state ${sheet.stateNumber} does not follow state ${state.latest.sheet.stateNumber}: state numbers must increase by one`);
}

function makeRevocation(keys: PartyKeys, stateNumber: number): Revocation {
  return { stateNumber, secret: perCommitmentSecret(keys.perCommitmentSeed, stateNumber), nextPoint: ownPoint(keys, stateNumber + 2) };
}

function acceptRevocation(state: PartyState, r: Revocation): PartyState {
  const expected = counterpartyPoint(state, r.stateNumber);
  if (!(r.secret instanceof Uint8Array) || r.secret.length !== 32 || !equalBytes(pointOf(r.secret), expected))
    throw new ChannelError(`revocation secret for state ${r.stateNumber} does not match the counterparty's per-commitment point`);
  const store = ShachainStore.fromJson(state.counterpartySecrets);
  store.insert(r.secret, shachainIndex(r.stateNumber));
  const points = { ...state.counterpartyPoints, [r.stateNumber + 2]: r.nextPoint };
  // The revoked state's point is no longer needed: its secret derives it.
  delete points[r.stateNumber];
  return { ...state, counterpartySecrets: store.toJson(), counterpartyPoints: points };
}

/** Starts an update to `sheet` (the next state). Returns the new state to persist and the message to send. */
export function propose(params: ChannelParams, state: PartyState, keys: PartyKeys, sheet: BalanceSheet): { state: PartyState; message: Proposal } {
  if (state.pending) throw new ChannelError(`an update to state ${state.pending.sheet.stateNumber} is in flight`);
  checkNext(state, params, sheet);
  const theirs = buildCommitment(params, otherSide(state.side), sheet, counterpartyPoint(state, sheet.stateNumber));
  const message: Proposal = { type: 'proposal', sheet, signature: keys.sign(theirs.sighash) };
  return {
    state: { ...state, highestSignedForCounterparty: sheet.stateNumber, pending: { role: 'proposer', sheet, awaiting: 'acceptance' }, lastSent: message },
    message,
  };
}

/** The receiver checks the proposal, signs the proposer's commitment and revokes its own previous state. */
export function receiveProposal(params: ChannelParams, state: PartyState, keys: PartyKeys, message: Proposal): { state: PartyState; message: Acceptance } {
  // A resent proposal we already accepted: answer with the same acceptance (idempotent).
  if (state.lastSent?.type === 'acceptance' && state.lastSent.stateNumber === message.sheet.stateNumber && state.latest.sheet.stateNumber === message.sheet.stateNumber)
    return { state, message: state.lastSent };
  if (state.pending) throw new ChannelError(`an update to state ${state.pending.sheet.stateNumber} is in flight`);
  const { sheet } = message;
  checkNext(state, params, sheet);
  keys.checkProposal?.(state.latest.sheet, sheet);
  const mine = buildCommitment(params, state.side, sheet, ownPoint(keys, sheet.stateNumber));
  verifyFundingSignature(params, mine.tx, otherSide(state.side), message.signature);
  const theirs = buildCommitment(params, otherSide(state.side), sheet, counterpartyPoint(state, sheet.stateNumber));
  const reply: Acceptance = { type: 'acceptance', stateNumber: sheet.stateNumber, signature: keys.sign(theirs.sighash), revocation: makeRevocation(keys, sheet.stateNumber - 1) };
  return {
    state: {
      ...state,
      latest: { sheet, counterpartySignature: message.signature },
      revokedBelow: sheet.stateNumber,
      highestSignedForCounterparty: sheet.stateNumber,
      pending: { role: 'receiver', sheet, awaiting: 'revocation' },
      lastSent: reply,
    },
    message: reply,
  };
}

/** The proposer takes the signature on its new commitment and the receiver's revocation, and revokes its own old state. */
export function receiveAcceptance(params: ChannelParams, state: PartyState, keys: PartyKeys, message: Acceptance): { state: PartyState; message: RevocationMessage } {
  if (state.lastSent?.type === 'revocation' && state.lastSent.stateNumber === message.stateNumber - 1) return { state, message: state.lastSent };
  const pending = state.pending;
  if (!pending || pending.role !== 'proposer' || pending.sheet.stateNumber !== message.stateNumber)
    throw new ChannelError(`unexpected acceptance of state ${message.stateNumber}`);
  if (message.revocation.stateNumber !== message.stateNumber - 1) throw new ChannelError('the acceptance must revoke the previous state');
  const mine = buildCommitment(params, state.side, pending.sheet, ownPoint(keys, pending.sheet.stateNumber));
  verifyFundingSignature(params, mine.tx, otherSide(state.side), message.signature);
  const next = acceptRevocation(state, message.revocation);
  const reply: RevocationMessage = { type: 'revocation', ...makeRevocation(keys, pending.sheet.stateNumber - 1) };
  const { pending: _done, ...rest } = next;
  return { state: { ...rest, latest: { sheet: pending.sheet, counterpartySignature: message.signature }, revokedBelow: pending.sheet.stateNumber, lastSent: reply }, message: reply };
}

/** The receiver takes the proposer's revocation: the update is complete on both sides. */
export function receiveRevocation(state: PartyState, message: RevocationMessage): PartyState {
  const pending = state.pending;
  if (!pending || pending.role !== 'receiver' || pending.awaiting !== 'revocation' || message.stateNumber !== pending.sheet.stateNumber - 1) {
    // A resent revocation we already have is harmless.
    if (ShachainStore.fromJson(state.counterpartySecrets).secretForState(message.stateNumber)) return state;
    throw new ChannelError(`unexpected revocation of state ${message.stateNumber}`);
  }
  const { pending: _done, ...rest } = acceptRevocation(state, message);
  return rest;
}

/** The last message, to send again after a reconnect (the receiving side handles duplicates). */
export const resend = (state: PartyState): ChannelMessage | undefined => state.lastSent;

/** The counterparty's per-commitment secret for a state, if it has revoked it (the watchtower's question). */
export function counterpartyRevocationSecret(state: PartyState, stateNumber: number): Uint8Array | undefined {
  return ShachainStore.fromJson(state.counterpartySecrets).secretForState(stateNumber);
}
