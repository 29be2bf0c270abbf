// One signing attempt as a pure state machine: signer replies, failed asks and clock ticks go in; what to ask,
// what to write and the attempt's outcome come out. No I/O and no clock of its own (every input carries `now`),
// so retry, stall and refusal are decided here and tested without processes; the driver (driver.ts) performs
// the commands in order.
import type { GroupKey } from '@tapbridge/frost';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { MessageBody, MessageType, ProtocolMessage } from '../messages.js';
import type { SigningRequest } from '../request.js';
import { attemptSessionId, SigningAttempt, type AttemptEvent, type MisbehaviourReason } from '../signing-attempt.js';
import type { ResponseKind } from './store.js';

/** A signer's authenticated reply, narrowed by its type. */
export type SignerReply = { [T in MessageType]: ProtocolMessage<T> }[MessageType];

export type SessionStarted = Extract<AttemptEvent, { type: 'session-started' }>;

export type AttemptCommand =
  /** Ask the signer for a nonce commitment; answer with onNonceReply / onNonceFailed. */
  | { type: 'ask-nonce'; signer: number }
  /** Ask the signer to sign in a ROAST session; answer with onSessionReply / onSessionFailed. */
  | { type: 'ask-session'; signer: number; session: SessionStarted }
  | { type: 'record-response'; signer: number; kind: Exclude<ResponseKind, 'misbehaviour'>; fields: { roastSession?: number; pubnonce?: string; detail?: string } }
  /** Written before any signer is asked to sign in it. */
  | { type: 'record-session'; session: SessionStarted }
  | { type: 'record-misbehaviour'; signer: number; reason: MisbehaviourReason; detail: string; roastSession?: number }
  | { type: 'complete'; signature: string; signers: number[]; roastSession: number }
  | { type: 'fail'; outcome: 'refused' | 'timeout'; error: string }
  /** No progress for stallMs: the driver starts a new attempt (fresh nonces from everyone). */
  | { type: 'stalled'; sessionsStarted: number }
  /** A signer lost its secret nonce in a restart: it left its session unblamed and is asked for a fresh nonce. */
  | { type: 'nonce-lost'; signer: number; roastSession: number };

export type AttemptStatus = 'running' | 'signed' | 'failed' | 'stalled';

export interface AttemptMachineOptions {
  groupKey: GroupKey;
  request: SigningRequest;
  requestId: string;
  attempt: number;
  /** When the attempt starts (counts as progress). */
  now: number;
  /** Give up on the request at this time (its creation + the signing timeout). */
  deadline: number;
  /** The signing timeout, for the failure message. */
  signingTimeoutMs: number;
  /** A new attempt after this long without a nonce or partial signature. */
  stallMs: number;
  /** Wait this long before asking a signer again after a timeout, an error or a refusal that allows a retry. */
  retryMs: number;
}

export class AttemptMachine {
  readonly sessionId: string;
  readonly attempt: SigningAttempt;
  #status: AttemptStatus = 'running';
  /** Nonce requests awaiting an answer. */
  readonly #asking = new Set<number>();
  /** Not before this time is the signer asked for a nonce again. */
  readonly #nextTry = new Map<number, number>();
  /** A timeout is recorded once per signer and attempt (not on every retry). */
  readonly #timedOut = new Set<number>();
  /** Signers to ask again, at `at`, for their partial signature in a session they have not answered. */
  readonly #sessionRetry = new Map<number, { at: number; session: SessionStarted }>();
  #lastProgress: number;

  constructor(private readonly o: AttemptMachineOptions) {
    this.sessionId = attemptSessionId(o.requestId, o.attempt);
    this.attempt = new SigningAttempt({ groupKey: o.groupKey, request: o.request, sessionId: this.sessionId });
    this.#lastProgress = o.now;
  }

  get status(): AttemptStatus {
    return this.#status;
  }

  /** The clock moved: decide the outcome or whom to ask (again). Call it regularly while the status is running. */
  poll(now: number): AttemptCommand[] {
    if (this.#status !== 'running') return [];
    const sa = this.attempt;
    if (sa.hopeless) {
      this.#status = 'failed';
      const reasons = [...sa.refused].map(([s, r]) => `signer ${s}: ${r}`).concat(sa.malicious.map((s) => `signer ${s}: excluded for misbehaviour`));
      return [{ type: 'fail', outcome: 'refused', error: `fewer than ${sa.t} signers will sign: ${reasons.join('; ')}` }];
    }
    if (now > this.o.deadline) {
      this.#status = 'failed';
      return [{ type: 'fail', outcome: 'timeout', error: `no signature within ${this.o.signingTimeoutMs} ms` }];
    }
    if (now - this.#lastProgress > this.o.stallMs) {
      this.#status = 'stalled';
      return [{ type: 'stalled', sessionsStarted: sa.sessionsStarted }];
    }
    const out: AttemptCommand[] = [];
    for (let s = 1; s <= sa.n; s++) {
      if (!sa.wantsNonce(s) || this.#asking.has(s) || (this.#nextTry.get(s) ?? 0) > now) continue;
      this.#asking.add(s);
      out.push({ type: 'ask-nonce', signer: s });
    }
    for (const [s, retry] of this.#sessionRetry) {
      if (retry.at > now) continue;
      this.#sessionRetry.delete(s);
      // Still waiting in that session: a signer that restarted meanwhile answers nonce_unavailable and rejoins; a
      // slow one signs late.
      if (sa.pendingSession(s) === retry.session.roastSession) out.push({ type: 'ask-session', signer: s, session: retry.session });
    }
    return out;
  }

  onNonceReply(signer: number, reply: SignerReply, now: number): AttemptCommand[] {
    this.#asking.delete(signer);
    if (reply.type === 'sign.nonce') {
      this.#lastProgress = now;
      const record: AttemptCommand = { type: 'record-response', signer, kind: 'nonce', fields: { pubnonce: reply.body.pubnonce } };
      return this.#status === 'running' ? [record, ...this.#apply(this.attempt.onNonce(signer, reply.body.pubnonce))] : [record];
    }
    return this.#otherReply(signer, reply, now);
  }

  onNonceFailed(signer: number, detail: string, now: number): AttemptCommand[] {
    this.#asking.delete(signer);
    return this.#timeout(signer, `nonce request: ${detail}`, now);
  }

  onSessionReply(signer: number, session: SessionStarted, reply: SignerReply, now: number): AttemptCommand[] {
    if (reply.type === 'sign.partial') {
      this.#lastProgress = now;
      const { psig, nextPubnonce } = reply.body;
      const record: AttemptCommand = { type: 'record-response', signer, kind: 'partial', fields: { roastSession: session.roastSession, pubnonce: nextPubnonce } };
      return this.#status === 'running' ? [record, ...this.#apply(this.attempt.onPartial(signer, session.roastSession, psig, nextPubnonce))] : [record];
    }
    return this.#otherReply(signer, reply, now, session.roastSession);
  }

  onSessionFailed(signer: number, session: SessionStarted, detail: string, now: number): AttemptCommand[] {
    const out = this.#timeout(signer, `session ${session.roastSession}: ${detail}`, now);
    if (this.#status === 'running' && this.attempt.pendingSession(signer) === session.roastSession) this.#sessionRetry.set(signer, { at: now + this.o.retryMs, session });
    return out;
  }

  #otherReply(signer: number, reply: SignerReply, now: number, roastSession?: number): AttemptCommand[] {
    const inSession = roastSession !== undefined ? { roastSession } : {};
    if (reply.type === 'sign.refusal') return this.#refusal(signer, reply.body, now, roastSession);
    const detail = reply.type === 'protocol.error' ? `${reply.body.code}: ${reply.body.message}` : `unexpected reply ${reply.type}`;
    this.#nextTry.set(signer, now + this.o.retryMs);
    return [{ type: 'record-response', signer, kind: 'error', fields: { detail, ...inSession } }];
  }

  #refusal(signer: number, body: MessageBody<'sign.refusal'>, now: number, roastSession?: number): AttemptCommand[] {
    const out: AttemptCommand[] = [{ type: 'record-response', signer, kind: 'refusal', fields: { detail: `${body.code}: ${body.reason}`, ...(roastSession !== undefined ? { roastSession } : {}) } }];
    if (body.code === 'policy' || body.code === 'invalid_session') this.attempt.onRefusal(signer, body.reason);
    else if (body.code === 'nonce_unavailable' && roastSession !== undefined && this.attempt.onNonceLost(signer, roastSession)) {
      this.#nextTry.delete(signer);
      out.push({ type: 'nonce-lost', signer, roastSession });
    } else this.#nextTry.set(signer, now + this.o.retryMs);
    return out;
  }

  #timeout(signer: number, detail: string, now: number): AttemptCommand[] {
    this.#nextTry.set(signer, now + this.o.retryMs);
    if (this.#timedOut.has(signer)) return [];
    this.#timedOut.add(signer);
    return [{ type: 'record-response', signer, kind: 'timeout', fields: { detail } }];
  }

  #apply(events: AttemptEvent[]): AttemptCommand[] {
    const out: AttemptCommand[] = [];
    for (const e of events) {
      if (e.type === 'session-started') {
        out.push({ type: 'record-session', session: e });
        for (const s of e.signers) out.push({ type: 'ask-session', signer: s, session: e });
      } else if (e.type === 'signature-done') {
        this.#status = 'signed';
        out.push({ type: 'complete', signature: bytesToHex(e.signature), signers: e.signers, roastSession: e.roastSession });
      } else if (e.type === 'misbehaviour') {
        out.push({ type: 'record-misbehaviour', signer: e.signer, reason: e.reason, detail: e.detail, ...(e.roastSession !== undefined ? { roastSession: e.roastSession } : {}) });
      }
    }
    return out;
  }
}

/** A reply the transport authenticated (its body checked against its type's schema) as the narrowed union. */
export function toSignerReply(message: ProtocolMessage): SignerReply {
  // ProtocolMessage<MessageType> pairs any type with any body; authentication checked that they match.
  return message as SignerReply;
}
