// The coordinator's line to the signers: pinned host keys, signed announcements (liveness), heartbeats, and
// authenticated request/reply to one signer at a time over core NATS.
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { ServiceRuntime } from '@tapbridge/runtime';
import {
  ANNOUNCE_SUBJECT,
  encodeMessage,
  MessageAuthenticator,
  MessageRejectedError,
  sealMessage,
  signerSubject,
  toSignerReply,
  type MessageBody,
  type MessageType,
  type ProtocolMessage,
  type SignerReply,
  type SignerTransport,
} from '@tapbridge/signing';
import type { PrismaClient } from './generated/prisma/client.js';
import { rejectedMessages, signersLive } from './metrics.js';

/** A signer did not answer in time (or nobody listens on its subject). */
export class SignerUnavailableError extends Error {
  override readonly name = 'SignerUnavailableError';
  constructor(readonly signer: number, detail: string) {
    super(`signer ${signer} ${detail}`);
  }
}

const REPLY_TYPES = ['dkg.round1', 'dkg.round2', 'dkg.done', 'sign.nonce', 'sign.partial', 'sign.refusal', 'heartbeat.ack', 'protocol.error'] as const;
export type ReplyType = (typeof REPLY_TYPES)[number];

export interface SignerInfo {
  index: number;
  hostPubkey: string | null;
  lastSeen: Date | null;
  ready: boolean;
  groupKey: string | null;
}

type Subscription = ReturnType<ServiceRuntime['messaging']['nc']['subscribe']>;

export class SignerNetwork implements SignerTransport {
  readonly #keys = new Map<number, Uint8Array>();
  readonly #seen = new Map<number, { at: Date; ready: boolean; groupKey: string | null }>();
  readonly #auth: MessageAuthenticator;
  #locked = false;
  /** Called for a validly signed message that breaks the protocol: its sender is accountable. */
  onProtocolViolation: ((signer: number, sessionId: string, detail: string) => void) | undefined;
  #subscription: Subscription | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly prisma: PrismaClient,
    readonly n: number,
    private readonly hostSeckey: Uint8Array,
    private readonly o: { requestTimeoutMs: number; livenessMs: number; heartbeatIntervalMs: number },
  ) {
    this.#auth = new MessageAuthenticator({
      self: 0,
      hostKeyOf: (sender, env) => {
        const pinned = this.#keys.get(sender);
        if (pinned) return pinned;
        // Before the DKG, a signer introduces itself with a self-certified announcement (its key signs it).
        if (this.#locked || env.type !== 'signer.announce' || sender < 1 || sender > this.n) return undefined;
        const claimed = (env.body as { hostPubkey?: unknown } | null)?.hostPubkey;
        return typeof claimed === 'string' && /^0[23][0-9a-f]{64}$/.test(claimed) ? hexToBytes(claimed) : undefined;
      },
    });
  }

  /** Loads pinned keys; `locked` once a group key exists (only the DKG's host keys are accepted from then on). */
  async load(locked: boolean): Promise<void> {
    const rows = await this.prisma.signer.findMany({ select: { index: true, hostPubkey: true } });
    for (const r of rows) this.#keys.set(r.index, hexToBytes(r.hostPubkey));
    this.#locked = locked;
  }

  /** Pins configured host keys up front (SIGNER_HOST_PUBKEYS): no trust on first use for announcements. */
  async pin(hostPubkeys: readonly Uint8Array[]): Promise<void> {
    for (const [i, key] of hostPubkeys.entries()) {
      const known = this.#keys.get(i + 1);
      if (known && bytesToHex(known) !== bytesToHex(key)) throw new Error(`SIGNER_HOST_PUBKEYS names another key for signer ${i + 1} than the one pinned in the database`);
    }
    await this.lock(hostPubkeys);
  }

  /** Pins the DKG's host keys for good. */
  async lock(hostPubkeys: readonly Uint8Array[]): Promise<void> {
    await this.prisma.$transaction(
      hostPubkeys.map((key, i) => this.prisma.signer.upsert({ where: { index: i + 1 }, create: { index: i + 1, hostPubkey: bytesToHex(key) }, update: { hostPubkey: bytesToHex(key) } })),
    );
    for (const [i, key] of hostPubkeys.entries()) this.#keys.set(i + 1, key);
    this.#locked = true;
  }

  /** Host keys of all n signers by index, once every one has announced itself. */
  hostKeys(): Uint8Array[] | undefined {
    const keys = Array.from({ length: this.n }, (_, i) => this.#keys.get(i + 1));
    return keys.every((k) => k !== undefined) ? (keys as Uint8Array[]) : undefined;
  }

  start(): void {
    const { nc, naming } = this.runtime.messaging;
    this.#subscription = nc.subscribe(naming.subject(ANNOUNCE_SUBJECT), { callback: (err, msg) => (err ? undefined : void this.onAnnounce(msg.data)) });
    this.#heartbeat = setInterval(() => void this.heartbeatRound(), this.o.heartbeatIntervalMs);
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
  }

  private async onAnnounce(data: Uint8Array): Promise<void> {
    let msg: ProtocolMessage<'signer.announce'>;
    try {
      msg = this.#auth.authenticate(data, { types: ['signer.announce'] });
    } catch (err) {
      this.rejected(err, 'announce');
      return;
    }
    if (msg.sender > this.n) return;
    if (!this.#keys.has(msg.sender)) {
      // skipDuplicates is ON CONFLICT DO NOTHING: the first key announced for an index stays pinned.
      const { count } = await this.prisma.signer.createMany({ data: [{ index: msg.sender, hostPubkey: msg.body.hostPubkey, lastSeen: new Date() }], skipDuplicates: true });
      if (count === 0) return;
      this.#keys.set(msg.sender, hexToBytes(msg.body.hostPubkey));
      this.runtime.logger.info({ signer: msg.sender, hostPubkey: msg.body.hostPubkey }, 'signer host key pinned');
    }
    this.markSeen(msg.sender, msg.body.ready, msg.body.groupKey);
  }

  private markSeen(index: number, ready: boolean, groupKey: string | null): void {
    const previous = this.#seen.get(index);
    const at = new Date();
    this.#seen.set(index, { at, ready, groupKey });
    signersLive.set(this.live().length);
    // Persist last-seen at most every few seconds per signer.
    if (!previous || at.getTime() - previous.at.getTime() > 5_000)
      void this.prisma.signer.updateMany({ where: { index }, data: { lastSeen: at } }).catch(() => undefined);
  }

  /** Signers heard from within the liveness window. */
  live(): number[] {
    const cutoff = Date.now() - this.o.livenessMs;
    return [...this.#seen.entries()].filter(([, s]) => s.at.getTime() >= cutoff).map(([i]) => i);
  }

  info(index: number): SignerInfo {
    const key = this.#keys.get(index);
    const seen = this.#seen.get(index);
    return { index, hostPubkey: key ? bytesToHex(key) : null, lastSeen: seen?.at ?? null, ready: seen?.ready ?? false, groupKey: seen?.groupKey ?? null };
  }

  private async heartbeatRound(): Promise<void> {
    for (let i = 1; i <= this.n; i++) {
      if (!this.#keys.has(i)) continue;
      const nonce = bytesToHex(randomBytes(8));
      this.ask(i, 'heartbeat', 'heartbeat', { nonce })
        .then((reply) => {
          if (reply.type === 'heartbeat.ack' && (reply.body as MessageBody<'heartbeat.ack'>).nonce === nonce) {
            const body = reply.body as MessageBody<'heartbeat.ack'>;
            this.markSeen(i, body.ready, body.groupKey);
            return true;
          }
          return false;
        })
        .catch(() => false)
        .then((answered) => this.recordProbe(i, answered));
    }
  }

  /** Counts one heartbeat probe of signer `index` (by host key, per minute): the measured uptime. */
  async recordProbe(index: number, answered: boolean, at = new Date()): Promise<void> {
    const key = this.#keys.get(index);
    if (key === undefined) return;
    const hostPubkey = bytesToHex(key);
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const hit = answered ? 1 : 0;
    await this.prisma.signerHeartbeat
      .upsert({ where: { hostPubkey_minute: { hostPubkey, minute } }, create: { hostPubkey, minute, probes: 1, answered: hit }, update: { probes: { increment: 1 }, answered: { increment: hit } } })
      .catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message, signer: index }, 'could not record a heartbeat probe'));
  }

  /**
   * Probes sent and answered per host key over [from, to), by whole minutes (a minute counts when it starts in the
   * window). A signer that was never probed in the window is absent.
   */
  async uptime(from: Date, to: Date): Promise<Array<{ hostPubkey: string; probes: number; answered: number }>> {
    const rows = await this.prisma.signerHeartbeat.groupBy({ by: ['hostPubkey'], where: { minute: { gte: from, lt: to } }, _sum: { probes: true, answered: true }, orderBy: { hostPubkey: 'asc' } });
    return rows.map((r) => ({ hostPubkey: r.hostPubkey, probes: r._sum.probes ?? 0, answered: r._sum.answered ?? 0 }));
  }

  /** Sends a signed request to signer `index` and returns its authenticated reply. */
  async ask<T extends MessageType>(index: number, type: T, sessionId: string, body: MessageBody<T>, timeoutMs = this.o.requestTimeoutMs): Promise<SignerReply> {
    return (await this.exchange(index, type, sessionId, body, timeoutMs)).reply;
  }

  /** Like ask, and also returns the signed request as sent (misbehaviour evidence is the request and its reply). */
  async exchange<T extends MessageType>(index: number, type: T, sessionId: string, body: MessageBody<T>, timeoutMs = this.o.requestTimeoutMs): Promise<{ request: ProtocolMessage<T>; reply: SignerReply }> {
    const request = sealMessage({ type, sessionId, sender: 0, recipient: index, body }, this.hostSeckey);
    const { nc, naming } = this.runtime.messaging;
    let data: Uint8Array;
    try {
      data = (await nc.request(naming.subject(signerSubject(index)), encodeMessage(request), { timeout: timeoutMs })).data;
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new SignerUnavailableError(index, /no responders/i.test(e.message) || e.code === '503' ? 'is not listening' : `did not answer ${type} within ${timeoutMs} ms`);
    }
    try {
      return { request, reply: toSignerReply(this.#auth.authenticate(data, { types: REPLY_TYPES, sender: index, inReplyTo: request.messageId })) };
    } catch (err) {
      this.rejected(err, sessionId);
      throw err;
    }
  }

  private rejected(err: unknown, sessionId: string): void {
    if (!(err instanceof MessageRejectedError)) {
      this.runtime.logger.error({ err: (err as Error).message }, 'failed to process a signer message');
      return;
    }
    rejectedMessages.inc({ sender: String(err.sender ?? 'unknown'), reason: err.reason });
    this.runtime.logger.warn({ sender: err.sender, reason: err.reason, error: err.message }, 'rejected a protocol message');
    if (err.authentic && err.sender !== null && err.sender >= 1 && err.sender <= this.n) this.onProtocolViolation?.(err.sender, sessionId, err.message);
  }
}
