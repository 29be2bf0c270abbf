/**
 * Message authentication: the sender signs, with its host key, a BIP340 signature over
 * TaggedHash("tapbridge/signing/message", canonical(envelope without sig) ‖ len ‖ session id ‖ sender id). Receivers
 * check it against the host key they know for the claimed sender, then freshness and replay, and only then parse
 * the body. Every refusal is a MessageRejectedError naming the claimed sender.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { taggedHash } from '@tapbridge/frost';
import { canonicalBytes } from './canonical.js';
import { MessageRejectedError } from './errors.js';
import { xonlyHostKey } from './host-key.js';
import { envelopeSchema, messageBodies, type MessageBody, type MessageType, type ProtocolMessage, type UnsignedMessage } from './messages.js';

export const MESSAGE_TAG = 'tapbridge/signing/message';

function u32be(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, false);
  return b;
}

/** The 32-byte digest a message signature commits to. */
export function messageDigest(message: UnsignedMessage): Uint8Array {
  const { type, sessionId, sender, recipient, messageId, sentAt, inReplyTo, body } = message;
  const canonical = canonicalBytes({ type, sessionId, sender, recipient, messageId, sentAt, inReplyTo, body });
  const sid = new TextEncoder().encode(sessionId);
  return taggedHash(MESSAGE_TAG, canonical, u32be(sid.length), sid, u32be(sender));
}

/** A signed message's digest in hex: what `sign.partial` names as the `sign.session` it answers. */
export function sessionDigestOf(message: UnsignedMessage): string {
  // messageDigest reads only the envelope's fields, so a signed message (with `sig`) gives the digest it was signed over.
  return bytesToHex(messageDigest(message));
}

export interface SealInput<T extends MessageType> {
  type: T;
  sessionId: string;
  sender: number;
  recipient: number;
  body: MessageBody<T>;
  inReplyTo?: string;
}

/** Builds and signs a message with the sender's host secret key. */
export function sealMessage<T extends MessageType>(input: SealInput<T>, hostSeckey: Uint8Array, now: number = Date.now()): ProtocolMessage<T> {
  const body = messageBodies[input.type].parse(input.body) as MessageBody<T>;
  const unsigned: UnsignedMessage<T> = {
    type: input.type,
    sessionId: input.sessionId,
    sender: input.sender,
    recipient: input.recipient,
    messageId: bytesToHex(randomBytes(16)),
    sentAt: now,
    ...(input.inReplyTo !== undefined ? { inReplyTo: input.inReplyTo } : {}),
    body,
  };
  const sig = schnorr.sign(messageDigest(unsigned), hostSeckey, randomBytes(32));
  return { ...unsigned, sig: bytesToHex(sig) };
}

export interface Expectation<T extends MessageType> {
  /** Accepted message types. */
  types: readonly T[];
  sessionId?: string;
  sender?: number;
  /** For replies: the message id of our request. */
  inReplyTo?: string;
}

export interface AuthenticatorOptions {
  /** Our own party id: messages for anyone else are refused. */
  self: number;
  /**
   * The host public key (33 or 32 bytes) we accept for a sender, or undefined if the sender is unknown. Gets the
   * envelope so a coordinator can accept a self-certified announcement from a signer it has not pinned yet.
   */
  hostKeyOf(sender: number, envelope: { type: MessageType; body: unknown }): Uint8Array | undefined;
  /** How old a message may be (ms). */
  maxAgeMs?: number;
  /** How far in the future a sender's clock may be (ms). */
  maxClockSkewMs?: number;
  now?: () => number;
}

/** Verifies messages for one party; remembers message ids for the freshness window to refuse replays. */
export class MessageAuthenticator {
  readonly #seen = new Map<string, number>();
  readonly #maxAge: number;
  readonly #maxSkew: number;
  readonly #now: () => number;

  constructor(private readonly o: AuthenticatorOptions) {
    this.#maxAge = o.maxAgeMs ?? 120_000;
    this.#maxSkew = o.maxClockSkewMs ?? 30_000;
    this.#now = o.now ?? Date.now;
  }

  /** Decodes (bytes or JSON value) and authenticates a message; throws MessageRejectedError naming the sender. */
  authenticate<T extends MessageType>(raw: Uint8Array | unknown, expect: Expectation<T>): ProtocolMessage<T> {
    let value: unknown = raw;
    if (raw instanceof Uint8Array) {
      try {
        value = JSON.parse(new TextDecoder().decode(raw));
      } catch {
        throw new MessageRejectedError(null, 'malformed', 'not JSON');
      }
    }
    const claimed = typeof (value as { sender?: unknown } | null)?.sender === 'number' ? (value as { sender: number }).sender : null;
    const parsed = envelopeSchema.safeParse(value);
    if (!parsed.success) throw new MessageRejectedError(claimed, 'malformed', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const env = parsed.data;
    const sender = env.sender;
    if (env.recipient !== this.o.self) throw new MessageRejectedError(sender, 'wrong_recipient', `addressed to party ${env.recipient}, we are ${this.o.self}`);
    const key = this.o.hostKeyOf(sender, { type: env.type, body: env.body });
    if (key === undefined) throw new MessageRejectedError(sender, 'unknown_sender', 'no host key known for this sender');
    const { sig, ...unsigned } = env;
    let valid: boolean;
    try {
      valid = schnorr.verify(hexToBytes(sig), messageDigest(unsigned as UnsignedMessage), xonlyHostKey(key));
    } catch {
      valid = false;
    }
    if (!valid) throw new MessageRejectedError(sender, 'bad_signature', `${env.type} for session ${env.sessionId} is not signed by the sender's host key`);
    const now = this.#now();
    if (env.sentAt < now - this.#maxAge) throw new MessageRejectedError(sender, 'stale', `${env.type} was sent ${now - env.sentAt} ms ago`);
    if (env.sentAt > now + this.#maxSkew) throw new MessageRejectedError(sender, 'stale', `${env.type} is dated ${env.sentAt - now} ms in the future`);
    this.#forgetOld(now);
    const replayKey = `${sender}:${env.messageId}`;
    if (this.#seen.has(replayKey)) throw new MessageRejectedError(sender, 'replayed', `${env.type} ${env.messageId} was already received`);
    if (!(expect.types as readonly MessageType[]).includes(env.type)) throw new MessageRejectedError(sender, 'unexpected_type', `got ${env.type}, expected ${expect.types.join(' or ')}`);
    if (expect.sender !== undefined && sender !== expect.sender) throw new MessageRejectedError(sender, 'unknown_sender', `expected party ${expect.sender}`);
    if (expect.sessionId !== undefined && env.sessionId !== expect.sessionId) throw new MessageRejectedError(sender, 'wrong_session', `session ${env.sessionId}, expected ${expect.sessionId}`);
    if (expect.inReplyTo !== undefined && env.inReplyTo !== expect.inReplyTo) throw new MessageRejectedError(sender, 'wrong_session', `answers ${env.inReplyTo ?? 'nothing'}, expected ${expect.inReplyTo}`);
    // A signed body that breaks its schema cannot be a replay of a valid message: the sender is accountable.
    const body = messageBodies[env.type].safeParse(env.body);
    if (!body.success) throw new MessageRejectedError(sender, 'malformed', `${env.type} body: ${body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, true);
    this.#seen.set(replayKey, env.sentAt);
    return { ...env, body: body.data } as ProtocolMessage<T>;
  }

  #forgetOld(now: number): void {
    if (this.#seen.size < 1_024) return;
    for (const [k, sentAt] of this.#seen) if (sentAt < now - this.#maxAge) this.#seen.delete(k);
  }
}

export function encodeMessage(message: ProtocolMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}
