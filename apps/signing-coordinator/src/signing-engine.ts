// Drives signature requests: one ROAST attempt at a time per request (packages/signing SigningAttempt over
// packages/frost RoastCoordinator), every step recorded in Postgres. A coordinator restart, or an attempt that
// stalls, starts a new attempt in which every signer commits to fresh nonces: no nonce is ever asked for twice.
import { randomUUID } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '@tapbridge/observability';
import {
  attemptSessionId,
  resolveSigningRequest,
  resolveTweak,
  SigningAttempt,
  type AttemptEvent,
  type MessageBody,
  type ProtocolMessage,
  type SigningRequest,
  type SigningRequestWire,
  type TweakSpec,
} from '@tapbridge/signing';
import { sleep } from './dkg-runner.js';
import { attempts, misbehaviour, roastSessions, signaturesTotal, signingSeconds } from './metrics.js';
import type { ReplyType, SignerNetwork } from './signer-network.js';
import type { CoordinatorStore, RequestRow, StoredGroupKey } from './store.js';

/** No group key yet: signatures cannot be requested. */
export class GroupKeyNotReadyError extends Error {
  override readonly name = 'GroupKeyNotReadyError';
}

export interface SignatureInput {
  purpose: string;
  payload: SigningRequestWire['payload'];
  tweak?: TweakSpec;
  /** What a policy needs beyond the payload (a sweep's withdrawal ids and deposit inputs); the signers check it. */
  context?: SigningRequestWire['context'];
}

export interface SigningEngineOptions {
  store: CoordinatorStore;
  network: SignerNetwork;
  logger: Logger;
  /** The custody tweak, the default for requests that name none. */
  defaultTweak: () => TweakSpec | undefined;
  signingTimeoutMs: number;
  stallMs: number;
  retryMs: number;
}

type AttemptOutcome = 'signed' | 'failed' | 'stalled' | 'stopped';

export class SigningEngine {
  readonly #active = new Map<string, Promise<void>>();
  #group: StoredGroupKey | undefined;
  #stopped = false;

  constructor(private readonly o: SigningEngineOptions) {}

  setGroup(group: StoredGroupKey): void {
    this.#group = group;
  }

  get group(): StoredGroupKey | undefined {
    return this.#group;
  }

  /** Validates and stores a request, then starts signing it. Throws SigningRequestError for a bad request. */
  async submit(input: SignatureInput): Promise<RequestRow> {
    const group = this.#group;
    const tweak = input.tweak ?? this.o.defaultTweak();
    if (!group || !tweak) throw new GroupKeyNotReadyError('no group key yet: the DKG has not completed');
    const id = randomUUID();
    const wire: SigningRequestWire = { requestId: id, purpose: input.purpose, payload: input.payload, tweak, ...(input.context ? { context: input.context } : {}) };
    const request = resolveSigningRequest(wire);
    const { outputKey } = resolveTweak(group.groupKey.xonly, request.tweak);
    await this.o.store.createRequest({ id, purpose: request.purpose, request: request.wire, message: bytesToHex(request.message), outputKey: bytesToHex(outputKey) });
    this.o.logger.info({ requestId: id, purpose: request.purpose, kind: request.kind }, 'signature requested');
    this.drive(id);
    return (await this.o.store.request(id)) as RequestRow;
  }

  /** After a restart: every pending request gets a new attempt with fresh nonces. */
  async resumePending(): Promise<void> {
    const ids = await this.o.store.pendingIds();
    if (ids.length > 0) this.o.logger.info({ pending: ids.length }, 'resuming pending signature requests with fresh nonces');
    for (const id of ids) this.drive(id);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#active.values()]);
  }

  private drive(id: string): void {
    if (this.#active.has(id)) return;
    const run = this.run(id)
      .catch((err: unknown) => this.o.logger.error({ requestId: id, err: (err as Error).message }, 'signing loop failed'))
      .finally(() => this.#active.delete(id));
    this.#active.set(id, run);
  }

  private async run(id: string): Promise<void> {
    const group = this.#group;
    const row = await this.o.store.request(id);
    if (!group || !row || row.status !== 'pending') return;
    const request = resolveSigningRequest(row.request);
    const deadline = row.createdAt.getTime() + this.o.signingTimeoutMs;
    let cause = row.attempt === 0 ? 'new' : 'restart';
    while (!this.#stopped) {
      const attempt = await this.o.store.nextAttempt(id);
      attempts.inc({ cause });
      this.o.logger.info({ requestId: id, attempt, cause }, 'signing attempt started');
      const outcome = await this.attempt(row, attempt, request, group, deadline);
      if (outcome !== 'stalled') return;
      cause = 'stall';
    }
  }

  private async attempt(row: RequestRow, attemptNo: number, request: SigningRequest, group: StoredGroupKey, deadline: number): Promise<AttemptOutcome> {
    const { store, network, logger } = this.o;
    const id = row.id;
    const sessionId = attemptSessionId(id, attemptNo);
    const sa = new SigningAttempt({ groupKey: group.groupKey, request, sessionId });
    const wire = request.wire;
    const inFlight = new Set<number>();
    const nextTry = new Map<number, number>();
    const timedOut = new Set<number>();
    let lastProgress = Date.now();
    let result: 'signed' | undefined;
    let over = false;
    // State-machine steps and their writes run one at a time, in arrival order. Answers that arrive after the
    // signature are still recorded (a late refusal belongs in the session record) but change nothing.
    let chain = Promise.resolve();
    const serial = (fn: () => Promise<void>) => {
      chain = chain.then(() => (over ? undefined : fn())).catch((err: unknown) => logger.error({ requestId: id, err: (err as Error).message }, 'failed to apply a signer response'));
    };
    const timeout = async (s: number, what: string, err: unknown) => {
      nextTry.set(s, Date.now() + this.o.retryMs);
      if (timedOut.has(s)) return;
      timedOut.add(s);
      await store.recordResponse(id, attemptNo, s, 'timeout', { detail: `${what}: ${(err as Error).message}` });
    };

    const onEvents = async (events: AttemptEvent[]) => {
      for (const e of events) {
        if (e.type === 'session-started') {
          roastSessions.inc();
          await store.recordSession(id, attemptNo, e.roastSession, e.signers, e.pubnonces, e.aggnonce);
          logger.info({ requestId: id, attempt: attemptNo, roastSession: e.roastSession, signers: e.signers }, 'ROAST session started');
          for (const s of e.signers) askSession(s, e);
        } else if (e.type === 'signature-done') {
          await store.complete(id, bytesToHex(e.signature), e.signers);
          result = 'signed';
          signaturesTotal.inc({ outcome: 'signed' });
          signingSeconds.observe((Date.now() - row.createdAt.getTime()) / 1_000);
          logger.info({ requestId: id, attempt: attemptNo, signers: e.signers }, 'signature complete');
        } else if (e.type === 'misbehaviour') {
          misbehaviour.inc({ signer: String(e.signer), reason: e.reason });
          logger.warn({ requestId: id, attempt: attemptNo, signer: e.signer, reason: e.reason, detail: e.detail }, 'signer misbehaved; excluded from this request');
          await store.recordMisbehaviour(
            { sessionId: `${sessionId}/${e.roastSession ?? 0}`, signerId: e.signer, reason: e.reason, detail: `signer ${e.signer}: ${e.detail}` },
            { requestId: id, attempt: attemptNo, ...(e.roastSession !== undefined ? { roastSession: e.roastSession } : {}) },
          );
        }
      }
    };

    const onRefusal = async (s: number, reply: ProtocolMessage<ReplyType>, roastSession?: number) => {
      const body = reply.body as MessageBody<'sign.refusal'>;
      await store.recordResponse(id, attemptNo, s, 'refusal', { detail: `${body.code}: ${body.reason}`, ...(roastSession ? { roastSession } : {}) });
      logger.info({ requestId: id, signer: s, code: body.code, reason: body.reason }, 'signer refused');
      if (body.code === 'policy' || body.code === 'invalid_session') sa.onRefusal(s, body.reason);
      else if (body.code === 'nonce_unavailable' && roastSession !== undefined && sa.onNonceLost(s, roastSession)) {
        // It restarted and lost its secret nonce: it leaves that session (unblamed) and commits to a fresh nonce.
        logger.info({ requestId: id, attempt: attemptNo, signer: s, roastSession }, 'signer lost its nonce; it rejoins the attempt with a fresh one');
        nextTry.delete(s);
      } else nextTry.set(s, Date.now() + this.o.retryMs);
    };

    const onError = async (s: number, reply: ProtocolMessage<ReplyType>, roastSession?: number) => {
      const body = reply.body as MessageBody<'protocol.error'>;
      await store.recordResponse(id, attemptNo, s, 'error', { detail: `${body.code}: ${body.message}`, ...(roastSession ? { roastSession } : {}) });
      nextTry.set(s, Date.now() + this.o.retryMs);
    };

    const askNonce = (s: number) => {
      inFlight.add(s);
      network
        .ask(s, 'sign.nonce-request', sessionId, { request: wire })
        .then(
          (reply) =>
            serial(async () => {
              logger.debug({ requestId: id, attempt: attemptNo, signer: s, reply: reply.type }, 'nonce request answered');
              if (reply.type === 'sign.nonce') {
                const { pubnonce } = reply.body as MessageBody<'sign.nonce'>;
                lastProgress = Date.now();
                await store.recordResponse(id, attemptNo, s, 'nonce', { pubnonce });
                if (!result) await onEvents(sa.onNonce(s, pubnonce));
              } else if (reply.type === 'sign.refusal') await onRefusal(s, reply);
              else await onError(s, reply);
            }),
          (err: unknown) => {
            logger.debug({ requestId: id, attempt: attemptNo, signer: s, err: (err as Error).message }, 'nonce request failed');
            serial(() => timeout(s, 'nonce request', err));
          },
        )
        .finally(() => inFlight.delete(s));
    };

    const askSession = (s: number, e: Extract<AttemptEvent, { type: 'session-started' }>) => {
      network
        .ask(s, 'sign.session', sessionId, { request: wire, roastSession: e.roastSession, signers: e.signers, pubnonces: e.pubnonces, aggnonce: e.aggnonce })
        .then(
          (reply) =>
            serial(async () => {
              if (reply.type === 'sign.partial') {
                const { psig, nextPubnonce } = reply.body as MessageBody<'sign.partial'>;
                lastProgress = Date.now();
                await store.recordResponse(id, attemptNo, s, 'partial', { roastSession: e.roastSession, pubnonce: nextPubnonce });
                if (!result) await onEvents(sa.onPartial(s, e.roastSession, psig, nextPubnonce));
              } else if (reply.type === 'sign.refusal') await onRefusal(s, reply, e.roastSession);
              else await onError(s, reply, e.roastSession);
            }),
          (err: unknown) =>
            serial(async () => {
              await timeout(s, `session ${e.roastSession}`, err);
              // Ask again while it still waits in this session: a signer that restarted meanwhile then answers
              // nonce_unavailable and rejoins; a slow one signs late.
              if (!result && !over && sa.pendingSession(s) === e.roastSession) setTimeout(() => (!result && !over && sa.pendingSession(s) === e.roastSession ? askSession(s, e) : undefined), this.o.retryMs);
            }),
        );
    };

    try {
      for (;;) {
        // A timer, not a promise race: awaiting an already-settled chain would spin in microtasks and starve I/O.
        await sleep(50);
        if (result) return result;
        if (this.#stopped) return 'stopped';
        const now = Date.now();
        if (sa.hopeless) {
          const reasons = [...sa.refused].map(([s, r]) => `signer ${s}: ${r}`).concat(sa.malicious.map((s) => `signer ${s}: excluded for misbehaviour`));
          await store.fail(id, `fewer than ${sa.t} signers will sign: ${reasons.join('; ')}`);
          signaturesTotal.inc({ outcome: 'refused' });
          logger.warn({ requestId: id, reasons }, 'signature refused');
          return 'failed';
        }
        if (now > deadline) {
          await store.fail(id, `no signature within ${this.o.signingTimeoutMs} ms`);
          signaturesTotal.inc({ outcome: 'timeout' });
          return 'failed';
        }
        if (now - lastProgress > this.o.stallMs) {
          logger.warn({ requestId: id, attempt: attemptNo, sessions: sa.sessionsStarted }, 'attempt stalled; starting a new one with fresh nonces');
          return 'stalled';
        }
        for (let s = 1; s <= sa.n; s++) if (sa.wantsNonce(s) && !inFlight.has(s) && (nextTry.get(s) ?? 0) <= now) askNonce(s);
      }
    } finally {
      await chain;
      over = true;
    }
  }
}
