// The coordinator's signing loop: one attempt at a time per request (AttemptMachine), every command performed in
// order against the injected ports (store, signer transport, clock). A restart, or an attempt that stalls, starts a
// new attempt in which every signer commits to fresh nonces: no nonce is ever asked for twice.
import { randomUUID } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { GroupKey } from '@tapbridge/frost';
import { sessionDigestOf } from '../auth.js';
import type { MessageBody, MessageType, ProtocolMessage } from '../messages.js';
import { resolveSigningRequest, resolveTweak, type SigningRequest, type SigningRequestWire, type TweakSpec } from '../request.js';
import { AttemptMachine, type AttemptCommand, type SessionStarted, type SignerReply } from './attempt-machine.js';
import type { RequestRow, SigningStore } from './store.js';

/** No group key yet: signatures cannot be requested. */
export class GroupKeyNotReadyError extends Error {
  override readonly name = 'GroupKeyNotReadyError';
}

/** Authenticated request/reply to one signer. Rejects when the signer does not answer (the reason is recorded). */
export interface SignerTransport {
  ask<T extends MessageType>(signer: number, type: T, sessionId: string, body: MessageBody<T>): Promise<SignerReply>;
  /** Like ask, and also hands back the signed request as it was sent: a bad partial's evidence is the pair. */
  exchange<T extends MessageType>(signer: number, type: T, sessionId: string, body: MessageBody<T>): Promise<{ request: ProtocolMessage<T>; reply: SignerReply }>;
}

/** What a bad partial signature's evidence is made of: the coordinator's signed session and the signer's signed answer. */
export interface PartialExchange {
  signer: number;
  session: ProtocolMessage<'sign.session'>;
  partial: ProtocolMessage<'sign.partial'>;
}

/**
 * Builds the evidence a signing.misbehaviour event carries (packages/stake's format; the app adds the DKG attestation
 * and the group). Undefined when it cannot (the report then goes out unproven, and nothing is slashed on it).
 */
export type EvidenceBuilder = (exchange: PartialExchange) => Promise<unknown>;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type AttemptCause = 'new' | 'restart' | 'stall';

export interface AttemptContext {
  requestId: string;
  attempt: number;
  sessionId: string;
  /** When the request was created (ms). */
  createdAt: number;
}

/** What the app turns into logs and metrics. Every hook is optional and must not throw. */
export interface SigningObserver {
  requested?(row: RequestRow): void;
  resuming?(pending: number): void;
  attemptStarted?(ctx: AttemptContext, cause: AttemptCause): void;
  /** A command was performed (a write committed, an ask sent, an outcome reached). */
  performed?(ctx: AttemptContext, command: AttemptCommand): void;
  replied?(ctx: AttemptContext, signer: number, reply: SignerReply['type'] | 'no answer', detail?: string): void;
  failed?(requestId: string, what: string, err: Error): void;
}

export interface SignatureInput {
  purpose: string;
  payload: SigningRequestWire['payload'];
  tweak?: TweakSpec;
  /** What a policy needs beyond the payload (a sweep's withdrawal ids and deposit inputs); the signers check it. */
  context?: SigningRequestWire['context'];
}

export interface SigningDriverOptions {
  store: SigningStore;
  transport: SignerTransport;
  clock?: Clock;
  observer?: SigningObserver;
  /** The custody tweak, the default for requests that name none. */
  defaultTweak: () => TweakSpec | undefined;
  signingTimeoutMs: number;
  stallMs: number;
  retryMs: number;
  /** How often an attempt checks its clock (a timer, not a promise race: an already-settled chain would spin in microtasks and starve I/O). */
  pollMs?: number;
  newRequestId?: () => string;
  /** Attaches proof to invalid-partial-signature reports; without it they are published unproven. */
  evidence?: EvidenceBuilder;
}

type RunOutcome = 'signed' | 'failed' | 'stalled' | 'stopped';

export class SigningDriver {
  readonly #active = new Map<string, Promise<void>>();
  readonly #clock: Clock;
  #groupKey: GroupKey | undefined;
  #stopped = false;

  constructor(private readonly o: SigningDriverOptions) {
    this.#clock = o.clock ?? systemClock;
  }

  setGroupKey(groupKey: GroupKey): void {
    this.#groupKey = groupKey;
  }

  get groupKey(): GroupKey | undefined {
    return this.#groupKey;
  }

  /** Validates and stores a request, then starts signing it. Throws SigningRequestError for a bad request. */
  async submit(input: SignatureInput): Promise<RequestRow> {
    const groupKey = this.#groupKey;
    const tweak = input.tweak ?? this.o.defaultTweak();
    if (!groupKey || !tweak) throw new GroupKeyNotReadyError('no group key yet: the DKG has not completed');
    const id = (this.o.newRequestId ?? randomUUID)();
    const wire: SigningRequestWire = { requestId: id, purpose: input.purpose, payload: input.payload, tweak, ...(input.context ? { context: input.context } : {}) };
    const request = resolveSigningRequest(wire);
    const { outputKey } = resolveTweak(groupKey.xonly, request.tweak);
    await this.o.store.createRequest({ id, purpose: request.purpose, request: request.wire, message: bytesToHex(request.message), outputKey: bytesToHex(outputKey) });
    const row = await this.o.store.request(id);
    if (!row) throw new Error(`signature request ${id} was not stored`);
    this.o.observer?.requested?.(row);
    this.drive(id);
    return row;
  }

  /** After a restart: every pending request gets a new attempt with fresh nonces. */
  async resumePending(): Promise<void> {
    const ids = await this.o.store.pendingIds();
    if (ids.length > 0) this.o.observer?.resuming?.(ids.length);
    for (const id of ids) this.drive(id);
  }

  /** Resolves once the request's signing loop (if any) has ended. */
  async settled(id: string): Promise<void> {
    await this.#active.get(id);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#active.values()]);
  }

  private drive(id: string): void {
    if (this.#active.has(id) || this.#stopped) return;
    const run = this.run(id)
      .catch((err: unknown) => this.o.observer?.failed?.(id, 'signing loop', asError(err)))
      .finally(() => this.#active.delete(id));
    this.#active.set(id, run);
  }

  private async run(id: string): Promise<void> {
    const groupKey = this.#groupKey;
    const row = await this.o.store.request(id);
    if (!groupKey || !row || row.status !== 'pending') return;
    const request = resolveSigningRequest(row.request);
    let cause: AttemptCause = row.attempt === 0 ? 'new' : 'restart';
    while (!this.#stopped) {
      const attempt = await this.o.store.nextAttempt(id);
      const outcome = await this.attempt(row, attempt, request, groupKey, cause);
      if (outcome !== 'stalled') return;
      cause = 'stall';
    }
  }

  private async attempt(row: RequestRow, attemptNo: number, request: SigningRequest, groupKey: GroupKey, cause: AttemptCause): Promise<RunOutcome> {
    const { store, transport, observer } = this.o;
    const clock = this.#clock;
    const machine = new AttemptMachine({
      groupKey,
      request,
      requestId: row.id,
      attempt: attemptNo,
      now: clock.now(),
      deadline: row.createdAt.getTime() + this.o.signingTimeoutMs,
      signingTimeoutMs: this.o.signingTimeoutMs,
      stallMs: this.o.stallMs,
      retryMs: this.o.retryMs,
    });
    const ctx: AttemptContext = { requestId: row.id, attempt: attemptNo, sessionId: machine.sessionId, createdAt: row.createdAt.getTime() };
    observer?.attemptStarted?.(ctx, cause);
    const wire = request.wire;
    // Machine inputs and their writes run one at a time, in arrival order. Answers after the attempt ended change
    // nothing (answers after the signature but before the end are still recorded: a late refusal belongs in the record).
    let chain: Promise<void> = Promise.resolve();
    let over = false;
    // The signed session and partial of every answer in this attempt, by signer and ROAST session: the evidence if ROAST
    // finds the partial invalid.
    const exchanges = new Map<string, PartialExchange>();
    const enqueue = (input: () => AttemptCommand[]): Promise<void> => {
      const step = chain.then(() => (over ? undefined : perform(input())));
      chain = step.catch((err: unknown) => observer?.failed?.(row.id, 'apply a signer response', asError(err)));
      return step;
    };

    const perform = async (commands: AttemptCommand[]): Promise<void> => {
      for (const c of commands) {
        switch (c.type) {
          case 'ask-nonce':
            transport.ask(c.signer, 'sign.nonce-request', ctx.sessionId, { request: wire }).then(
              (reply) => {
                observer?.replied?.(ctx, c.signer, reply.type);
                void enqueue(() => machine.onNonceReply(c.signer, reply, clock.now()));
              },
              (err: unknown) => {
                observer?.replied?.(ctx, c.signer, 'no answer', asError(err).message);
                void enqueue(() => machine.onNonceFailed(c.signer, asError(err).message, clock.now()));
              },
            );
            break;
          case 'ask-session':
            askSession(c.signer, c.session);
            break;
          case 'record-response':
            await store.recordResponse(row.id, attemptNo, c.signer, c.kind, c.fields);
            break;
          case 'record-session':
            await store.recordSession(row.id, attemptNo, c.session.roastSession, c.session.signers, c.session.pubnonces, c.session.aggnonce);
            break;
          case 'record-misbehaviour': {
            const exchange = c.roastSession !== undefined ? exchanges.get(`${c.signer}:${c.roastSession}`) : undefined;
            const evidence = c.reason === 'invalid_partial_signature' && exchange ? await this.evidenceFor(row.id, exchange) : undefined;
            await store.recordMisbehaviour(
              { sessionId: `${ctx.sessionId}/${c.roastSession ?? 0}`, signerId: c.signer, reason: c.reason, detail: `signer ${c.signer}: ${c.detail}`, ...(evidence !== undefined ? { evidence } : {}) },
              { requestId: row.id, attempt: attemptNo, ...(c.roastSession !== undefined ? { roastSession: c.roastSession } : {}) },
            );
            break;
          }
          case 'complete':
            await store.complete(row.id, c.signature, c.signers);
            break;
          case 'fail':
            await store.fail(row.id, c.error);
            break;
          case 'stalled':
          case 'nonce-lost':
            break;
        }
        observer?.performed?.(ctx, c);
      }
    };

    const askSession = (signer: number, s: SessionStarted): void => {
      transport.exchange(signer, 'sign.session', ctx.sessionId, { request: wire, roastSession: s.roastSession, signers: s.signers, pubnonces: s.pubnonces, aggnonce: s.aggnonce }).then(
        ({ request, reply }) => {
          observer?.replied?.(ctx, signer, reply.type);
          if (reply.type === 'sign.partial') {
            // A partial that names another session than the one sent proves nothing and is not used: an unanswered ask.
            if (reply.body.sessionDigest !== sessionDigestOf(request)) {
              void enqueue(() => machine.onSessionFailed(signer, s, 'sign.partial names another session digest', clock.now()));
              return;
            }
            exchanges.set(`${signer}:${s.roastSession}`, { signer, session: request, partial: reply });
          }
          void enqueue(() => machine.onSessionReply(signer, s, reply, clock.now()));
        },
        (err: unknown) => {
          observer?.replied?.(ctx, signer, 'no answer', asError(err).message);
          void enqueue(() => machine.onSessionFailed(signer, s, asError(err).message, clock.now()));
        },
      );
    };

    try {
      for (;;) {
        await clock.sleep(this.o.pollMs ?? 50);
        if (machine.status === 'signed') return 'signed';
        if (this.#stopped) return 'stopped';
        // A failed outcome write throws out of the loop: the request stays pending and is resumed on restart.
        await enqueue(() => machine.poll(clock.now()));
        const status = machine.status;
        if (status !== 'running') return status;
      }
    } finally {
      await chain;
      over = true;
    }
  }

  /** The evidence builder's answer, or undefined if there is none or it failed (the report still goes out). */
  private async evidenceFor(requestId: string, exchange: PartialExchange): Promise<unknown> {
    if (!this.o.evidence) return undefined;
    try {
      return await this.o.evidence(exchange);
    } catch (err) {
      this.o.observer?.failed?.(requestId, 'build misbehaviour evidence', asError(err));
      return undefined;
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
