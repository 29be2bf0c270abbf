/**
 * Misbehaviour evidence and its offline verification. Evidence is made of messages signed by host keys, so anyone
 * holding the file can check it without a server (`tapbridge stake verify-evidence <file>`):
 *
 * - invalid_partial_signature: the coordinator's signed `sign.session` addressed to the signer, the signer's signed
 *   `sign.partial` answering it (inReplyTo = the session message's id), the group's public key shares, and the
 *   signer's own signed `dkg.done` attesting its public share and the threshold key. The signed partial names the
 *   digest of the session message it answers (`sessionDigest`), so a coordinator cannot pair it with a session the
 *   signer never saw. The partial signature must fail BIP445 PartialSigVerify against that session.
 * - equivocation: two messages signed by the same host key that commit to conflicting things in one session: two
 *   `sign.nonce` answers to the same request with different nonces, or two `sign.partial` for the same ROAST session
 *   with a different partial signature or next nonce.
 * - liveness: the coordinator's signed record of the last W heartbeats/sessions of a signer in an epoch, with more
 *   than M unanswered.
 *
 * The evidence id names the offence, not the file: the same offence packaged twice has the same id, so it is slashed
 * once. What the verifier cannot know offline is whose keys these are: the verdict names the host keys, and the
 * caller checks them against the staking contract's registry (and the coordinator key it trusts).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey, partialSigVerifyInternal, taggedHash, type SessionContext } from '@tapbridge/frost';
import { canonicalBytes, envelopeSchema, messageBodies, messageDigest, resolveSigningRequest, resolveTweak, sessionDigestOf, type MessageType, type ProtocolMessage, type UnsignedMessage } from '@tapbridge/signing';
import { z } from 'zod';
import { EvidenceFormatError } from './errors.js';
import type { Offence } from './slashing.js';

const point33 = z.string().regex(/^(02|03)[0-9a-f]{64}$/, 'must be a compressed secp256k1 point in lowercase hex');
const signedMessage = envelopeSchema;

export const LIVENESS_TAG = 'tapbridge/stake/liveness';

export const livenessRecordSchema = z
  .object({
    signerHostPubkey: point33,
    /** The signer's index in the epoch's set (1-based), as the coordinator addresses it. */
    signerIndex: z.number().int().min(1).max(65_535),
    epoch: z.number().int().nonnegative(),
    /** W and M as configured when the record was made. */
    windowSize: z.number().int().min(1).max(100_000),
    maxMisses: z.number().int().nonnegative(),
    /** The last W probes (heartbeats or signing sessions) sent to the signer, oldest first. */
    probes: z.array(z.object({ id: z.string().min(1).max(200), at: z.number().int().nonnegative(), answered: z.boolean() }).strict()).max(100_000),
  })
  .strict();
export type LivenessRecord = z.infer<typeof livenessRecordSchema>;

export const evidenceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('invalid_partial_signature'),
      version: z.literal(1),
      signerHostPubkey: point33,
      coordinatorHostPubkey: point33,
      group: z.object({ n: z.number().int().min(1).max(65_535), t: z.number().int().min(1).max(65_535), threshPk: point33, pubshares: z.array(point33).min(1).max(65_535) }).strict(),
      dkgDone: signedMessage,
      session: signedMessage,
      partial: signedMessage,
    })
    .strict(),
  z.object({ kind: z.literal('equivocation'), version: z.literal(1), signerHostPubkey: point33, first: signedMessage, second: signedMessage }).strict(),
  z
    .object({ kind: z.literal('liveness'), version: z.literal(1), coordinatorHostPubkey: point33, record: livenessRecordSchema, sig: z.string().regex(/^[0-9a-f]{128}$/) })
    .strict(),
]);
export type Evidence = z.infer<typeof evidenceSchema>;

export type EvidenceVerdict =
  | { valid: true; evidenceId: string; offence: Offence; signerHostPubkey: string; coordinatorHostPubkey?: string; summary: string }
  | { valid: false; reason: string };

export interface VerifyOptions {
  /** The coordinator host key the caller trusts; evidence attested by another key is refused. */
  coordinatorHostPubkey?: string;
  /** The configured liveness rule; a record made under other parameters is refused. */
  liveness?: { windowSize: number; maxMisses: number };
}

/** Parses evidence (a JSON value or text); throws EvidenceFormatError with every problem found. */
export function parseEvidence(input: unknown): Evidence {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new EvidenceFormatError(`evidence is not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = evidenceSchema.safeParse(value);
  if (!parsed.success) throw new EvidenceFormatError(`evidence does not parse: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

class Refused extends Error {}
const refuse = (reason: string): never => {
  throw new Refused(reason);
};

function signedBy<T extends MessageType>(raw: z.infer<typeof signedMessage>, type: T, hostPubkey: string, what: string): ProtocolMessage<T> {
  if (raw.type !== type) refuse(`${what} is a ${raw.type}, expected ${type}`);
  const { sig, ...unsigned } = raw;
  let ok: boolean;
  try {
    ok = schnorr.verify(hexToBytes(sig), messageDigest(unsigned as UnsignedMessage), hexToBytes(hostPubkey).subarray(1));
  } catch {
    ok = false;
  }
  if (!ok) refuse(`${what} is not signed by host key ${hostPubkey}`);
  const body = messageBodies[type].safeParse(raw.body);
  if (!body.success) refuse(`${what} body does not parse: ${body.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { ...raw, body: body.data } as ProtocolMessage<T>;
}

/**
 * The invalid-partial-signature evidence the coordinator publishes: its signed session to the signer, the signer's
 * signed partial answering it, the signer's signed dkg.done and the group. Not checked here: verifyEvidence is.
 */
export function invalidPartialEvidence(o: {
  signerHostPubkey: string;
  coordinatorHostPubkey: string;
  group: { n: number; t: number; threshPk: string; pubshares: readonly string[] };
  dkgDone: ProtocolMessage<'dkg.done'>;
  session: ProtocolMessage<'sign.session'>;
  partial: ProtocolMessage<'sign.partial'>;
}): Extract<Evidence, { kind: 'invalid_partial_signature' }> {
  return {
    kind: 'invalid_partial_signature',
    version: 1,
    signerHostPubkey: o.signerHostPubkey,
    coordinatorHostPubkey: o.coordinatorHostPubkey,
    group: { n: o.group.n, t: o.group.t, threshPk: o.group.threshPk, pubshares: [...o.group.pubshares] },
    dkgDone: o.dkgDone,
    session: o.session,
    partial: o.partial,
  };
}

/** Verifies evidence offline. Never throws for unconvincing evidence: the verdict says why. */
export function verifyEvidence(input: unknown, options: VerifyOptions = {}): EvidenceVerdict {
  let evidence: Evidence;
  try {
    evidence = parseEvidence(input);
  } catch (err) {
    return { valid: false, reason: (err as Error).message };
  }
  try {
    switch (evidence.kind) {
      case 'invalid_partial_signature':
        return verifyInvalidPartial(evidence, options);
      case 'equivocation':
        return verifyEquivocation(evidence);
      case 'liveness':
        return verifyLiveness(evidence, options);
    }
  } catch (err) {
    if (err instanceof Refused) return { valid: false, reason: err.message };
    return { valid: false, reason: `evidence cannot be checked: ${(err as Error).message}` };
  }
}

function verifyInvalidPartial(e: Extract<Evidence, { kind: 'invalid_partial_signature' }>, o: VerifyOptions): EvidenceVerdict {
  if (o.coordinatorHostPubkey !== undefined && o.coordinatorHostPubkey.toLowerCase() !== e.coordinatorHostPubkey) refuse(`the session is attested by coordinator key ${e.coordinatorHostPubkey}, not the trusted ${o.coordinatorHostPubkey}`);
  const partial = signedBy(e.partial, 'sign.partial', e.signerHostPubkey, 'the partial signature message');
  const session = signedBy(e.session, 'sign.session', e.coordinatorHostPubkey, 'the session message');
  const dkgDone = signedBy(e.dkgDone, 'dkg.done', e.signerHostPubkey, 'the dkg.done message');
  const signer = partial.sender;
  if (session.sender !== 0) refuse('the session message is not from the coordinator (party 0)');
  if (session.recipient !== signer) refuse(`the session message is addressed to party ${session.recipient}, the partial comes from party ${signer}`);
  if (partial.sessionId !== session.sessionId) refuse('the partial answers another session id');
  if (partial.inReplyTo !== session.messageId) refuse('the partial does not answer this session message (inReplyTo differs)');
  // The digest of the session exactly as the coordinator signed it (the raw envelope, not a re-parsed one).
  if (partial.body.sessionDigest !== sessionDigestOf(e.session as UnsignedMessage)) refuse('the partial commits to another session message than this one (sessionDigest differs): the pair was not signed together');
  if (partial.body.roastSession !== session.body.roastSession) refuse('the partial names another ROAST session');
  if (dkgDone.sender !== signer) refuse(`dkg.done is from party ${dkgDone.sender}, the partial from party ${signer}`);
  const { n, t, threshPk, pubshares } = e.group;
  if (t > n || pubshares.length !== n) refuse('the group needs 1 <= t <= n and one pubshare per participant');
  if (signer > n) refuse(`signer ${signer} is not in a group of ${n}`);
  if (dkgDone.body.threshPk !== threshPk) refuse("the group key differs from the one the signer's dkg.done attests");
  if (dkgDone.body.pubshare !== pubshares[signer - 1]) refuse("the signer's pubshare differs from the one its dkg.done attests");
  const { signers, pubnonces, aggnonce } = session.body;
  const sorted = [...signers].sort((a, b) => a - b);
  if (signers.length !== pubnonces.length || new Set(signers).size !== signers.length || signers.some((s, i) => s !== sorted[i]) || signers.some((s) => s > n) || signers.length < t)
    refuse('the session signer list is malformed (a signer would have refused it)');
  const position = signers.indexOf(signer);
  if (position < 0) refuse(`signer ${signer} is not in the session`);
  const request = resolveSigningRequest(session.body.request);
  const group = GroupKey.fromShares({ n, t, threshPk: hexToBytes(threshPk), pubshares: pubshares.map((p) => hexToBytes(p)) });
  const { tweak, outputKey } = resolveTweak(group.xonly, request.tweak);
  // A key-path spend names its key in the spent output: the session must be for this group, or a valid partial of
  // another group could be passed off as an invalid one.
  if (request.transaction !== undefined && request.transaction.leafHash === undefined) {
    const spent = request.transaction.prevouts[request.transaction.inputIndex]!.scriptPubKey;
    if (bytesToHex(spent) !== `5120${bytesToHex(outputKey)}`) refuse("the spent output is not this group's key-path output");
  }
  const context: SessionContext = { aggnonce: hexToBytes(aggnonce), signersCtx: group.signersContext(signers.map((s) => s - 1)), tweaks: [tweak], isXonly: [true], msg: request.message };
  const valid = partialSigVerifyInternal(hexToBytes(partial.body.psig), signer - 1, hexToBytes(pubnonces[position]!), hexToBytes(pubshares[signer - 1]!), context);
  if (valid) refuse('the partial signature verifies: no offence');
  return {
    valid: true,
    evidenceId: `invalid_partial_signature:${e.signerHostPubkey}:${session.sessionId}:${session.body.roastSession}`,
    offence: 'invalid_partial_signature',
    signerHostPubkey: e.signerHostPubkey,
    coordinatorHostPubkey: e.coordinatorHostPubkey,
    summary: `signer ${signer} sent a partial signature that fails verification in session ${session.sessionId}, ROAST session ${session.body.roastSession}`,
  };
}

function verifyEquivocation(e: Extract<Evidence, { kind: 'equivocation' }>): EvidenceVerdict {
  const type = e.first.type;
  if (type !== 'sign.nonce' && type !== 'sign.partial') refuse(`equivocation is about sign.nonce or sign.partial messages, not ${type}`);
  if (e.second.type !== type) refuse('the two messages are of different types');
  const a = signedBy(e.first, type, e.signerHostPubkey, 'the first message');
  const b = signedBy(e.second, type, e.signerHostPubkey, 'the second message');
  if (a.sender !== b.sender) refuse('the two messages name different senders');
  if (a.sessionId !== b.sessionId) refuse('the two messages belong to different sessions');
  let id: string;
  let summary: string;
  if (type === 'sign.nonce') {
    const [x, y] = [a as ProtocolMessage<'sign.nonce'>, b as ProtocolMessage<'sign.nonce'>];
    if (x.inReplyTo === undefined || x.inReplyTo !== y.inReplyTo) refuse('the nonce commitments answer different requests (a fresh nonce for a new request is allowed)');
    if (x.body.pubnonce === y.body.pubnonce) refuse('the nonce commitments are the same');
    id = `equivocation:${e.signerHostPubkey}:${x.sessionId}:nonce:${x.inReplyTo}`;
    summary = `signer ${x.sender} committed to two nonces for one request in session ${x.sessionId}`;
  } else {
    const [x, y] = [a as ProtocolMessage<'sign.partial'>, b as ProtocolMessage<'sign.partial'>];
    if (x.body.roastSession !== y.body.roastSession) refuse('the partial signatures are for different ROAST sessions');
    if (x.body.psig === y.body.psig && x.body.nextPubnonce === y.body.nextPubnonce) refuse('the partial signatures are the same');
    id = `equivocation:${e.signerHostPubkey}:${x.sessionId}:partial:${x.body.roastSession}`;
    summary = `signer ${x.sender} sent two different partial signatures for ROAST session ${x.body.roastSession} of ${x.sessionId}`;
  }
  return { valid: true, evidenceId: id, offence: 'equivocation', signerHostPubkey: e.signerHostPubkey, summary };
}

/** The digest a liveness record's signature commits to. */
export function livenessDigest(record: LivenessRecord): Uint8Array {
  return taggedHash(LIVENESS_TAG, canonicalBytes(record));
}

/** The coordinator signs a liveness record with its host key (what the evidence's `sig` is). */
export function signLivenessRecord(record: LivenessRecord, coordinatorHostSeckey: Uint8Array, auxRand: Uint8Array = new Uint8Array(32)): string {
  return bytesToHex(schnorr.sign(livenessDigest(livenessRecordSchema.parse(record)), coordinatorHostSeckey, auxRand));
}

function verifyLiveness(e: Extract<Evidence, { kind: 'liveness' }>, o: VerifyOptions): EvidenceVerdict {
  if (o.coordinatorHostPubkey !== undefined && o.coordinatorHostPubkey.toLowerCase() !== e.coordinatorHostPubkey) refuse(`the record is signed by ${e.coordinatorHostPubkey}, not the trusted coordinator ${o.coordinatorHostPubkey}`);
  const r = e.record;
  let ok: boolean;
  try {
    ok = schnorr.verify(hexToBytes(e.sig), livenessDigest(r), hexToBytes(e.coordinatorHostPubkey).subarray(1));
  } catch {
    ok = false;
  }
  if (!ok) refuse('the liveness record is not signed by the coordinator key it names');
  if (o.liveness !== undefined && (o.liveness.windowSize !== r.windowSize || o.liveness.maxMisses !== r.maxMisses))
    refuse(`the record uses W=${r.windowSize}, M=${r.maxMisses}; the rule is W=${o.liveness.windowSize}, M=${o.liveness.maxMisses}`);
  if (r.probes.length !== r.windowSize) refuse(`the record lists ${r.probes.length} probes for a window of ${r.windowSize}`);
  if (new Set(r.probes.map((p) => p.id)).size !== r.probes.length) refuse('the record lists a probe twice');
  for (let i = 1; i < r.probes.length; i++) if (r.probes[i]!.at < r.probes[i - 1]!.at) refuse('the probes are not in time order');
  const misses = r.probes.filter((p) => !p.answered).length;
  if (misses <= r.maxMisses) refuse(`${misses} missed of ${r.windowSize}: not more than ${r.maxMisses}`);
  return {
    valid: true,
    evidenceId: `liveness:${r.signerHostPubkey}:${r.epoch}`,
    offence: 'liveness',
    signerHostPubkey: r.signerHostPubkey,
    coordinatorHostPubkey: e.coordinatorHostPubkey,
    summary: `signer ${r.signerIndex} missed ${misses} of the last ${r.windowSize} probes in epoch ${r.epoch} (allowed: ${r.maxMisses})`,
  };
}
