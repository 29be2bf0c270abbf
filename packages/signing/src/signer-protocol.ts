/**
 * One signer's side of the protocol, transport-free: it takes an authenticated request from the coordinator and
 * returns the signed reply. DKG (ChillDKG participant steps), nonce commitments after a policy check, partial
 * signatures after a second policy check, heartbeats. Secret nonces live only in a SecretNonceStore.
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import {
  GroupKey,
  N,
  nonceGen,
  normalizeToEvenY,
  participantFinalize,
  participantRecover,
  participantStep1,
  participantStep2,
  scalarFromBytesChecked,
  scalarToBytes,
  sign,
  type ParticipantState1,
  type ParticipantState2,
  type SessionContext,
  type SessionParams,
} from '@tapbridge/frost';
import { canonicalJson } from './canonical.js';
import { MessageAuthenticator, sealMessage, sessionDigestOf } from './auth.js';
import { MessageRejectedError } from './errors.js';
import { hostPublicKey } from './host-key.js';
import type { KeyShare } from './key-share.js';
import type { MessageBody, MessageType, ProtocolMessage } from './messages.js';
import { SecretNonceStore } from './nonce-store.js';
import type { PolicyRegistry } from './policy/registry.js';
import { resolveSigningRequest, resolveTweak, type SigningRequest, type SigningRequestWire } from './request.js';
import { dkgParamsVerdict, type ExpectedParticipants, type SignerTrust } from './trust.js';
import { sessionId as sessionIdSchema } from './wire.js';

export const COORDINATOR = 0;

/** Test-only fault injection (SIGNER_FAULT): a signer that lies, to exercise blame and routing around it. */
export type SignerFault = 'none' | 'bad-partial';

export interface SigningDecision {
  sessionId: string;
  requestId: string;
  purpose: string;
  message: string;
  outcome: 'nonce' | 'signed' | 'refused';
  policy: string | null;
  reason: string | null;
  pubnonce: string | null;
}

export interface SignerProtocolOptions {
  index: number;
  n: number;
  t: number;
  hostSeckey: Uint8Array;
  /** The coordinator's host key if configured or already pinned. */
  coordinatorKey?: Uint8Array;
  /** Called when the coordinator key is learnt on first use (regtest only: trust.allowTrustOnFirstUse); persist it. */
  pinCoordinator?: (key: Uint8Array) => Promise<void>;
  /** The participant set every DKG must have, and whether trust on first use is allowed (regtest). */
  trust: SignerTrust;
  share?: KeyShare;
  policies: PolicyRegistry;
  /** Persists a new share (encrypted) before the signer confirms the DKG. */
  saveShare: (share: KeyShare) => Promise<void>;
  /** Audit hook: every nonce commitment, signature and refusal. */
  onDecision?: (d: SigningDecision) => void | Promise<void>;
  fault?: SignerFault;
  now?: () => number;
}

type Incoming = 'dkg.start' | 'dkg.cmsg1' | 'dkg.cmsg2' | 'dkg.recover' | 'sign.nonce-request' | 'sign.session' | 'heartbeat';
const INCOMING: readonly Incoming[] = ['dkg.start', 'dkg.cmsg1', 'dkg.cmsg2', 'dkg.recover', 'sign.nonce-request', 'sign.session', 'heartbeat'];

interface Approved {
  request: SigningRequest;
  canonical: string;
  at: number;
}

/** How long an approved request (and its nonces) is kept for a session that never comes. */
const APPROVAL_TTL_MS = 10 * 60_000;

export class SignerProtocol {
  readonly hostPubkey: Uint8Array;
  readonly #auth: MessageAuthenticator;
  readonly #nonces: SecretNonceStore;
  readonly #dkg1 = new Map<string, ParticipantState1>();
  readonly #dkg2 = new Map<string, ParticipantState2>();
  /** Requests this signer approved, by session id (requestId#attempt), and the current session of each request. */
  readonly #approved = new Map<string, Approved>();
  readonly #sessionOfRequest = new Map<string, string>();
  /** ROAST sessions answered, by session id: a second sign.session for one of them is refused, so this signer never signs twice in one ROAST session. */
  readonly #answered = new Map<string, Set<number>>();
  /** When this process started: signing requests sent before it are refused (see #dispatch). */
  readonly #startedAt: number;
  #coordinatorKey: Uint8Array | undefined;
  #share: KeyShare | undefined;

  constructor(private readonly o: SignerProtocolOptions) {
    this.hostPubkey = hostPublicKey(o.hostSeckey);
    this.#nonces = new SecretNonceStore(APPROVAL_TTL_MS, o.now ?? Date.now);
    this.#coordinatorKey = o.coordinatorKey;
    this.#share = o.share;
    this.#startedAt = (o.now ?? Date.now)();
    this.#auth = new MessageAuthenticator({
      self: o.index,
      now: o.now,
      hostKeyOf: (sender, env) => {
        if (sender !== COORDINATOR) return undefined;
        if (this.#coordinatorKey) return this.#coordinatorKey;
        if (!o.trust.allowTrustOnFirstUse) return undefined;
        // Trust on first use (regtest only): the first signed dkg.start names the coordinator's key; it is pinned from then on.
        const claimed = env.type === 'dkg.start' ? (env.body as { coordinatorPubkey?: unknown } | null)?.coordinatorPubkey : undefined;
        return typeof claimed === 'string' && /^[0-9a-f]{66}$/.test(claimed) ? hexToBytes(claimed) : undefined;
      },
    });
  }

  get share(): KeyShare | undefined {
    return this.#share;
  }

  get ready(): boolean {
    return this.#share !== undefined;
  }

  get coordinatorKey(): Uint8Array | undefined {
    return this.#coordinatorKey;
  }

  /** Number of secret nonces held (for metrics and tests; never their values). */
  get heldNonces(): number {
    return this.#nonces.size;
  }

  /** A signed announcement of who we are, for the coordinator's signer registry. */
  announce(): ProtocolMessage<'signer.announce'> {
    return this.#seal('signer.announce', 'announce', {
      hostPubkey: bytesToHex(this.hostPubkey),
      groupKey: this.#share ? bytesToHex(this.#share.groupKey.threshPk) : null,
      ready: this.ready,
    });
  }

  /** Handles one request from the coordinator and returns the signed reply (a protocol.error when refused). */
  async handle(raw: Uint8Array | unknown): Promise<ProtocolMessage> {
    let msg: ProtocolMessage<Incoming>;
    try {
      msg = this.#auth.authenticate(raw, { types: INCOMING, sender: COORDINATOR });
    } catch (err) {
      if (!(err instanceof MessageRejectedError)) throw err;
      const env = (raw instanceof Uint8Array ? safeJson(raw) : raw) as { sessionId?: unknown; messageId?: unknown } | null;
      const sessionId = sessionIdSchema.safeParse(env?.sessionId).data ?? 'rejected';
      const inReplyTo = typeof env?.messageId === 'string' && /^[0-9a-f]{32}$/.test(env.messageId) ? env.messageId : undefined;
      return this.#seal('protocol.error', sessionId, { code: err.reason, message: err.message }, inReplyTo);
    }
    try {
      return await this.#dispatch(msg);
    } catch (err) {
      return this.#reply(msg, 'protocol.error', { code: 'failed', message: (err as Error).message.slice(0, 1_000) });
    }
  }

  async #dispatch(msg: ProtocolMessage<Incoming>): Promise<ProtocolMessage> {
    switch (msg.type) {
      case 'heartbeat': {
        const body = msg.body as MessageBody<'heartbeat'>;
        return this.#reply(msg, 'heartbeat.ack', { nonce: body.nonce, groupKey: this.#share ? bytesToHex(this.#share.groupKey.threshPk) : null, ready: this.ready });
      }
      case 'dkg.start':
        return this.#dkgStart(msg as ProtocolMessage<'dkg.start'>);
      case 'dkg.cmsg1':
        return this.#dkgRound2(msg as ProtocolMessage<'dkg.cmsg1'>);
      case 'dkg.cmsg2':
        return this.#dkgFinalize(msg as ProtocolMessage<'dkg.cmsg2'>);
      case 'dkg.recover':
        return this.#dkgRecover(msg as ProtocolMessage<'dkg.recover'>);
      case 'sign.nonce-request':
      case 'sign.session':
        // The replay cache is in memory: a restarted signer could be replayed a request it answered before the restart
        // and, answering it again with a fresh nonce, look like it equivocated. Nothing sent before we started is answered.
        if (msg.sentAt < this.#startedAt) return this.#reply(msg, 'protocol.error', { code: 'stale', message: 'sent before this signer started; ask again' });
        return msg.type === 'sign.session' ? this.#signSession(msg as ProtocolMessage<'sign.session'>) : this.#nonceRequest(msg as ProtocolMessage<'sign.nonce-request'>);
    }
  }

  // ---------------------------------------------------------------- DKG (ChillDKG participant)

  /** Why this signer will not take part in a DKG with these parameters, or null. Checked before any DKG step. */
  async #refuseParams(params: SessionParams): Promise<string | null> {
    // An expected set naming its host keys and threshold (an epoch's set from the stake registry, issue 11) decides
    // the ceremony's size; otherwise the configured SIGNER_THRESHOLD/SIGNER_COUNT do.
    let expected: Awaited<ReturnType<ExpectedParticipants['expectedParticipants']>>;
    try {
      expected = await this.o.trust.expectedParticipants?.expectedParticipants();
    } catch (err) {
      return `the expected participant set could not be read: ${(err as Error).message}`;
    }
    const sized = expected?.hostPubkeys !== undefined && expected.t !== undefined;
    if (!sized && (params.t !== this.o.t || params.hostpubkeys.length !== this.o.n)) return `ceremony is ${params.t}-of-${params.hostpubkeys.length}, this signer is configured for ${this.o.t}-of-${this.o.n}`;
    if (bytesToHex(params.hostpubkeys[this.o.index - 1] ?? new Uint8Array()) !== bytesToHex(this.hostPubkey)) return `position ${this.o.index} does not hold this signer's host key`;
    return dkgParamsVerdict(this.o.trust, expected, params);
  }

  async #dkgStart(msg: ProtocolMessage<'dkg.start'>): Promise<ProtocolMessage> {
    const { t, hostPubkeys, coordinatorPubkey } = msg.body;
    const params: SessionParams = { hostpubkeys: hostPubkeys.map((h) => hexToBytes(h)), t };
    const refusal = await this.#refuseParams(params);
    if (refusal) return this.#reply(msg, 'protocol.error', { code: 'wrong_params', message: refusal });
    const share = this.#share;
    if (share) {
      // A retried ceremony for the DKG we finished (the coordinator missed our confirmation, or lost its state):
      // answer with the recovery data so it can finish from it, instead of refusing and leaving it waiting.
      const same = share.groupKey.t === t && share.hostPubkeys.length === hostPubkeys.length && share.hostPubkeys.every((k, i) => bytesToHex(k) === hostPubkeys[i]);
      if (!same) return this.#reply(msg, 'protocol.error', { code: 'has_share', message: `signer ${this.o.index} already holds a share of group ${bytesToHex(share.groupKey.threshPk)} from another participant set` });
      return this.#reply(msg, 'dkg.done', { ...this.#doneBody(share), recoveryData: bytesToHex(share.recoveryData) });
    }
    if (!this.#coordinatorKey) {
      this.#coordinatorKey = hexToBytes(coordinatorPubkey);
      await this.o.pinCoordinator?.(this.#coordinatorKey);
    }
    const { state1, pmsg1 } = participantStep1(this.o.hostSeckey, params, randomBytes(32));
    this.#dkg1.clear();
    this.#dkg2.clear();
    this.#dkg1.set(msg.sessionId, state1);
    return this.#reply(msg, 'dkg.round1', { pmsg1: bytesToHex(pmsg1) });
  }

  async #dkgRound2(msg: ProtocolMessage<'dkg.cmsg1'>): Promise<ProtocolMessage> {
    const state1 = this.#dkg1.get(msg.sessionId);
    if (!state1) return this.#reply(msg, 'protocol.error', { code: 'unknown_ceremony', message: `no DKG ceremony ${msg.sessionId} in progress` });
    this.#dkg1.delete(msg.sessionId);
    const { state2, pmsg2 } = participantStep2(this.o.hostSeckey, state1, hexToBytes(msg.body.cmsg1), randomBytes(32));
    this.#dkg2.set(msg.sessionId, state2);
    return this.#reply(msg, 'dkg.round2', { pmsg2: bytesToHex(pmsg2) });
  }

  async #dkgFinalize(msg: ProtocolMessage<'dkg.cmsg2'>): Promise<ProtocolMessage> {
    const state2 = this.#dkg2.get(msg.sessionId);
    if (!state2) return this.#reply(msg, 'protocol.error', { code: 'unknown_ceremony', message: `no DKG ceremony ${msg.sessionId} awaiting its certificate` });
    this.#dkg2.delete(msg.sessionId);
    const { output, recoveryData } = participantFinalize(state2, hexToBytes(msg.body.cmsg2));
    const share = this.#shareOf(output, state2.params, recoveryData);
    await this.o.saveShare(share);
    this.#share = share;
    return this.#reply(msg, 'dkg.done', this.#doneBody(share));
  }

  /**
   * ChillDKG recovery: a signer that missed the certificate (dropped message, crash after its round-2 answer)
   * restores its share from the recovery data and its host key. The recovery data carries its own parameters and
   * the certificate of all n participants; the parameters pass the same trust check as a dkg.start.
   */
  async #dkgRecover(msg: ProtocolMessage<'dkg.recover'>): Promise<ProtocolMessage> {
    let recovered: ReturnType<typeof participantRecover>;
    try {
      recovered = participantRecover(this.o.hostSeckey, hexToBytes(msg.body.recoveryData));
    } catch (err) {
      return this.#reply(msg, 'protocol.error', { code: 'bad_recovery_data', message: (err as Error).message.slice(0, 1_000) });
    }
    const refusal = await this.#refuseParams(recovered.params);
    if (refusal) return this.#reply(msg, 'protocol.error', { code: 'wrong_params', message: refusal });
    const share = this.#shareOf(recovered.output, recovered.params, hexToBytes(msg.body.recoveryData));
    if (this.#share) {
      if (bytesToHex(this.#share.groupKey.threshPk) !== bytesToHex(share.groupKey.threshPk))
        return this.#reply(msg, 'protocol.error', { code: 'has_share', message: `signer ${this.o.index} already holds a share of another group, ${bytesToHex(this.#share.groupKey.threshPk)}` });
      return this.#reply(msg, 'dkg.done', this.#doneBody(this.#share));
    }
    await this.o.saveShare(share);
    this.#share = share;
    this.#dkg1.clear();
    this.#dkg2.clear();
    return this.#reply(msg, 'dkg.done', this.#doneBody(share));
  }

  /** The share's size is its ceremony's (an epoch's set may differ from the configured SIGNER_COUNT/THRESHOLD). */
  #shareOf(output: Parameters<typeof normalizeToEvenY>[0], params: SessionParams, recoveryData: Uint8Array): KeyShare {
    const even = normalizeToEvenY(output);
    const groupKey = GroupKey.fromShares({ n: params.hostpubkeys.length, t: params.t, threshPk: even.threshPk, pubshares: even.pubshares });
    return { index: this.o.index, secshare: even.secshare as Uint8Array, groupKey, hostPubkeys: params.hostpubkeys, recoveryData };
  }

  #doneBody(share: KeyShare): MessageBody<'dkg.done'> {
    return { threshPk: bytesToHex(share.groupKey.threshPk), pubshare: bytesToHex(share.groupKey.pubshares[this.o.index - 1] as Uint8Array) };
  }

  // ---------------------------------------------------------------- signing

  async #nonceRequest(msg: ProtocolMessage<'sign.nonce-request'>): Promise<ProtocolMessage> {
    const share = this.#share;
    if (!share) return this.#reply(msg, 'sign.refusal', { code: 'not_ready', reason: 'this signer holds no key share yet' });
    const request = this.#resolve(msg.body.request);
    if (typeof request === 'string') return this.#reply(msg, 'sign.refusal', { code: 'invalid_session', reason: request });
    const verdict = await this.o.policies.evaluate(request);
    if (!verdict.decision.allow) {
      await this.#record(msg.sessionId, request, 'refused', verdict.policy, verdict.decision.reason, null);
      return this.#reply(msg, 'sign.refusal', { code: 'policy', reason: `${verdict.policy}: ${verdict.decision.reason}` });
    }
    // A new attempt for a request supersedes the old one: its nonces can never be used again.
    const previous = this.#sessionOfRequest.get(request.requestId);
    if (previous !== undefined && previous !== msg.sessionId) this.#forgetSession(previous);
    this.#forgetExpired();
    this.#sessionOfRequest.set(request.requestId, msg.sessionId);
    this.#approved.set(msg.sessionId, { request, canonical: canonicalJson(msg.body.request), at: this.#now() });
    const pubnonce = this.#freshNonce(msg.sessionId, share, request);
    await this.#record(msg.sessionId, request, 'nonce', verdict.policy, null, pubnonce);
    return this.#reply(msg, 'sign.nonce', { pubnonce });
  }

  async #signSession(msg: ProtocolMessage<'sign.session'>): Promise<ProtocolMessage> {
    const share = this.#share;
    if (!share) return this.#reply(msg, 'sign.refusal', { code: 'not_ready', reason: 'this signer holds no key share yet' });
    const { roastSession, signers, pubnonces, aggnonce } = msg.body;
    const approved = this.#approved.get(msg.sessionId);
    if (!approved) return this.#reply(msg, 'sign.refusal', { code: 'nonce_unavailable', reason: `no nonce commitment for session ${msg.sessionId} (this signer may have restarted); ask for a fresh one` });
    if (canonicalJson(msg.body.request) !== approved.canonical) return this.#reply(msg, 'protocol.error', { code: 'request_changed', message: 'the session names a different request than the nonce commitment' });
    const me = this.o.index;
    const sorted = [...signers].sort((a, b) => a - b);
    if (signers.length !== pubnonces.length || new Set(signers).size !== signers.length || signers.some((s, i) => s !== sorted[i]) || signers.some((s) => s > share.groupKey.n))
      return this.#reply(msg, 'protocol.error', { code: 'invalid_session', message: 'signers must be distinct, ascending, in 1..n and aligned with pubnonces' });
    if (signers.length < share.groupKey.t) return this.#reply(msg, 'protocol.error', { code: 'invalid_session', message: `a session needs ${share.groupKey.t} signers, got ${signers.length}` });
    const position = signers.indexOf(me);
    if (position < 0) return this.#reply(msg, 'protocol.error', { code: 'invalid_session', message: `signer ${me} is not in the session` });
    // One partial per ROAST session, ever: two would be equivocation evidence against us.
    if (this.#answered.get(msg.sessionId)?.has(roastSession)) return this.#reply(msg, 'protocol.error', { code: 'invalid_session', message: `ROAST session ${roastSession} was already answered` });
    // The aggregate nonce is taken from the coordinator's signed request, not recomputed from the t pubnonces
    // (that re-addition was ~95% of a signer's work at 667-of-1000). BIP445, like BIP327, lets the untrusted
    // aggregator supply aggnonce: a wrong one only yields a partial signature that fails to aggregate. The signer's
    // own nonce is still checked below (its pubnonce at its position must be one it holds), and blame is judged by
    // the coordinator against the aggnonce in its own authenticated request. See packages/frost/README.md.
    // The policy runs again before every partial signature: the view it checks may have changed since the nonce.
    const request = approved.request;
    const verdict = await this.o.policies.evaluate(request);
    if (!verdict.decision.allow) {
      this.#forgetSession(msg.sessionId);
      await this.#record(msg.sessionId, request, 'refused', verdict.policy, verdict.decision.reason, null);
      return this.#reply(msg, 'sign.refusal', { code: 'policy', reason: `${verdict.policy}: ${verdict.decision.reason}` });
    }
    const secnonce = this.#nonces.take(msg.sessionId, pubnonces[position] as string);
    if (!secnonce) return this.#reply(msg, 'sign.refusal', { code: 'nonce_unavailable', reason: `signer ${me} holds no secret nonce for that pubnonce (used, expired or lost in a restart)` });
    const { tweak } = resolveTweak(share.groupKey.xonly, request.tweak);
    const context: SessionContext = {
      aggnonce: hexToBytes(aggnonce),
      signersCtx: share.groupKey.signersContext(signers.map((s) => s - 1)),
      tweaks: [tweak],
      isXonly: [true],
      msg: request.message,
    };
    const answered = this.#answered.get(msg.sessionId) ?? new Set<number>();
    answered.add(roastSession);
    this.#answered.set(msg.sessionId, answered);
    let psig = sign(secnonce, share.secshare, me - 1, context);
    if (this.o.fault === 'bad-partial') psig = scalarToBytes((scalarFromBytesChecked(psig) + 1n) % N); // TEST FAULT INJECTION
    const nextPubnonce = this.#freshNonce(msg.sessionId, share, request);
    await this.#record(msg.sessionId, request, 'signed', verdict.policy, null, pubnonces[position] as string);
    // Commit to the exact session signed for (see messages.ts): evidence of a bad partial binds to what was signed.
    return this.#reply(msg, 'sign.partial', { roastSession, psig: bytesToHex(psig), nextPubnonce, sessionDigest: sessionDigestOf(msg) });
  }

  #resolve(wire: SigningRequestWire): SigningRequest | string {
    try {
      return resolveSigningRequest(wire);
    } catch (err) {
      return (err as Error).message;
    }
  }

  #freshNonce(sessionId: string, share: KeyShare, request: SigningRequest): string {
    const id = share.index - 1;
    const { secnonce, pubnonce } = nonceGen({
      secshare: share.secshare,
      pubshare: share.groupKey.pubshares[id],
      threshPk: share.groupKey.xonly,
      msg: request.message,
      extraIn: new TextEncoder().encode(sessionId),
    });
    this.#nonces.put(sessionId, pubnonce, secnonce);
    return bytesToHex(pubnonce);
  }

  #now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Bounds memory: approvals (and their nonces) for sessions that never came are dropped after a while. */
  #forgetExpired(): void {
    const cutoff = this.#now() - APPROVAL_TTL_MS;
    for (const [sessionId, a] of this.#approved) {
      if (a.at >= cutoff) continue;
      this.#forgetSession(sessionId);
      if (this.#sessionOfRequest.get(a.request.requestId) === sessionId) this.#sessionOfRequest.delete(a.request.requestId);
    }
  }

  #forgetSession(sessionId: string): void {
    this.#nonces.discardSession(sessionId);
    this.#approved.delete(sessionId);
    this.#answered.delete(sessionId);
  }

  async #record(sessionId: string, request: SigningRequest, outcome: SigningDecision['outcome'], policy: string | null, reason: string | null, pubnonce: string | null): Promise<void> {
    await this.o.onDecision?.({ sessionId, requestId: request.requestId, purpose: request.purpose, message: bytesToHex(request.message), outcome, policy, reason, pubnonce });
  }

  #reply<T extends MessageType>(to: ProtocolMessage, type: T, body: MessageBody<T>): ProtocolMessage<T> {
    return this.#seal(type, to.sessionId, body, to.messageId);
  }

  #seal<T extends MessageType>(type: T, sessionId: string, body: MessageBody<T>, inReplyTo?: string): ProtocolMessage<T> {
    return sealMessage({ type, sessionId, sender: this.o.index, recipient: COORDINATOR, body, ...(inReplyTo ? { inReplyTo } : {}) }, this.o.hostSeckey, this.#now());
  }
}

function safeJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
}
