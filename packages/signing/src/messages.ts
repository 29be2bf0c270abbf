/**
 * The signing protocol's messages. Every message travels in one envelope (type, session, sender, recipient, a
 * random message id, the send time, and for replies the id of the request it answers) and is signed by its
 * sender's host key (see auth.ts). Party 0 is the coordinator; parties 1..n are the signers by index.
 */
import { z } from 'zod';
import { signingRequestSchema } from './request.js';
import { hexBytes, hexOf, partyId, point33, pubnonce66, sessionId, signerIndex } from './wire.js';

const signers = z.array(signerIndex).min(1);

/** Body schema of every message type. */
export const messageBodies = {
  // ---- coordinator → signer
  /** ChillDKG session parameters: the host keys by signer index (position i = signer i + 1) and the threshold; the coordinator's own host key (pinned on first use by signers not configured with it). */
  'dkg.start': z.object({ t: z.number().int().positive(), hostPubkeys: z.array(point33).min(1), coordinatorPubkey: point33 }),
  /** ChillDKG coordinator message 1 (aggregated commitments and encrypted shares). */
  'dkg.cmsg1': z.object({ cmsg1: hexBytes }),
  /** ChillDKG coordinator message 2 (the CertEq certificate). */
  'dkg.cmsg2': z.object({ cmsg2: hexBytes }),
  /** A certified DKG's recovery data (transcript ‖ certificate): a signer that missed dkg.cmsg2 restores its share from it. */
  'dkg.recover': z.object({ recoveryData: hexBytes.max(200_000) }),
  /** Asks for a nonce commitment for a request; the signer runs its policy first. */
  'sign.nonce-request': z.object({ request: signingRequestSchema }),
  /** A ROAST session: the chosen signers, the pubnonce each committed to, and their aggregate. */
  'sign.session': z.object({
    request: signingRequestSchema,
    roastSession: z.number().int().positive(),
    signers,
    pubnonces: z.array(pubnonce66).min(1),
    aggnonce: hexOf(66, 'aggnonce'),
  }),
  /** Liveness probe. */
  heartbeat: z.object({ nonce: hexOf(8, 'heartbeat nonce') }),

  // ---- signer → coordinator
  /** Published periodically: who the signer is and which group key it holds (self-certified by its signature). */
  'signer.announce': z.object({ hostPubkey: point33, groupKey: point33.nullable(), ready: z.boolean() }),
  'dkg.round1': z.object({ pmsg1: hexBytes }),
  'dkg.round2': z.object({ pmsg2: hexBytes }),
  /**
   * The DKG finished for this signer: its view of the (even-y) threshold key and its own public share. A signer that
   * already held its share when asked to start the same DKG again adds the recovery data, so the coordinator can
   * finish (or restore) the ceremony from it.
   */
  'dkg.done': z.object({ threshPk: point33, pubshare: point33, recoveryData: hexBytes.max(200_000).optional() }),
  /** A nonce commitment (BIP445 pubnonce) for the request in the session. */
  'sign.nonce': z.object({ pubnonce: pubnonce66 }),
  /**
   * A partial signature for a ROAST session, with the next nonce commitment (ROAST needs one per response).
   * `sessionDigest` is the digest the coordinator signed its `sign.session` with (messageDigest, auth.ts): the signer's
   * signature over this reply then binds the partial to that exact session (request, signers, pubnonces, aggnonce), so
   * the pair is evidence of a bad partial that a coordinator cannot fabricate by pairing it with another session.
   */
  'sign.partial': z.object({ roastSession: z.number().int().positive(), psig: hexOf(32, 'partial signature'), nextPubnonce: pubnonce66, sessionDigest: hexOf(32, 'session digest') }),
  /** The signer will not take part: its policy refused, or it cannot (no share yet, nonce lost in a restart). */
  'sign.refusal': z.object({
    code: z.enum(['policy', 'nonce_unavailable', 'not_ready', 'invalid_session']),
    reason: z.string().max(1_000),
  }),
  'heartbeat.ack': z.object({ nonce: hexOf(8, 'heartbeat nonce'), groupKey: point33.nullable(), ready: z.boolean() }),
  /** The signer rejected the request it answers (bad signature, stale, replayed, …); signed so the error is attributable. */
  'protocol.error': z.object({ code: z.string().max(40), message: z.string().max(1_000) }),
} as const;

export type MessageType = keyof typeof messageBodies;
export type MessageBody<T extends MessageType> = z.infer<(typeof messageBodies)[T]>;
export const MESSAGE_TYPES = Object.keys(messageBodies) as MessageType[];

/** The envelope without its body check (bodies are checked per type once the signature verified). */
export const envelopeSchema = z.object({
  type: z.enum(MESSAGE_TYPES as [MessageType, ...MessageType[]]),
  sessionId,
  sender: partyId,
  recipient: partyId,
  /** 16 random bytes: the replay key, and what a reply names in inReplyTo. */
  messageId: hexOf(16, 'message id'),
  /** Unix milliseconds at the sender. */
  sentAt: z.number().int().nonnegative(),
  inReplyTo: hexOf(16, 'message id').optional(),
  body: z.unknown(),
  /** BIP340 signature by the sender's host key over messageDigest(envelope). */
  sig: hexOf(64, 'signature'),
});

export interface ProtocolMessage<T extends MessageType = MessageType> {
  type: T;
  sessionId: string;
  sender: number;
  recipient: number;
  messageId: string;
  sentAt: number;
  inReplyTo?: string;
  body: MessageBody<T>;
  sig: string;
}

export type UnsignedMessage<T extends MessageType = MessageType> = Omit<ProtocolMessage<T>, 'sig'>;
