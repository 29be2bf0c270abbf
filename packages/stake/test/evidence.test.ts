import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { GroupKey, N, nonceAgg, nonceGen, normalizeToEvenY, runChillDkg, scalarFromBytesChecked, scalarToBytes, sign, type SecNonce } from '@tapbridge/frost';
import { hostPublicKey, messageDigest, resolveSigningRequest, resolveTweak, sealMessage, sessionDigestOf, type ProtocolMessage, type SigningRequestWire, type UnsignedMessage } from '@tapbridge/signing';
import { schnorr } from '@noble/curves/secp256k1.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { signLivenessRecord, verifyEvidence, type LivenessRecord } from '../src/index.js';

// A real 2-of-3 ChillDKG group, real host keys and real signed protocol messages: what the coordinator would keep.
const n = 3;
const t = 2;
let hostSeckeys: Uint8Array[];
let coordinatorSeckey: Uint8Array;
let group: GroupKey;
let secshares: Uint8Array[];
const hex = bytesToHex;

beforeAll(() => {
  const dkg = runChillDkg(n, t);
  hostSeckeys = dkg.hostseckeys;
  const outputs = dkg.outputs.map(normalizeToEvenY);
  group = GroupKey.fromShares({ n, t, threshPk: outputs[0]!.threshPk, pubshares: outputs[0]!.pubshares });
  secshares = outputs.map((o) => o.secshare!);
  coordinatorSeckey = randomBytes(32);
  coordinatorSeckey[0] = 1; // keep it below the curve order
});

const hostPub = (i: number) => hex(hostPublicKey(hostSeckeys[i - 1]!));
const coordinatorPub = () => hex(hostPublicKey(coordinatorSeckey));

function request(): SigningRequestWire {
  return { requestId: 'heartbeat-7', purpose: 'heartbeat', payload: { kind: 'message', message: 'ff'.repeat(8) + '0123456789abcdef' }, tweak: { kind: 'key-path-only' } } as SigningRequestWire;
}

/** One ROAST session between signers 1 and 2; signer `faulty` (if any) adds 1 to its partial signature. */
function session(faulty?: number) {
  const wire = request();
  const req = resolveSigningRequest(wire);
  const { tweak } = resolveTweak(group.xonly, req.tweak);
  const signers = [1, 2];
  const nonces = signers.map((s) => nonceGen({ secshare: secshares[s - 1], pubshare: group.pubshares[s - 1], threshPk: group.xonly, msg: req.message }));
  const sessionId = 'heartbeat-7#1';
  const partials: ProtocolMessage<'sign.partial'>[] = [];
  const sessions: ProtocolMessage<'sign.session'>[] = [];
  // The aggregate nonce as the ROAST coordinator computes it (sum of the two pubnonces).
  const aggnonce = nonceAgg(nonces.map((x) => x.pubnonce));
  for (const [pos, s] of signers.entries()) {
    const msg = sealMessage({ type: 'sign.session', sessionId, sender: 0, recipient: s, body: { request: wire, roastSession: 1, signers, pubnonces: nonces.map((x) => hex(x.pubnonce)), aggnonce: hex(aggnonce) } }, coordinatorSeckey);
    sessions.push(msg);
    let psig = sign(nonces[pos]!.secnonce as SecNonce, secshares[s - 1]!, s - 1, { aggnonce, signersCtx: group.signersContext(signers.map((x) => x - 1)), tweaks: [tweak], isXonly: [true], msg: req.message });
    if (s === faulty) psig = scalarToBytes((scalarFromBytesChecked(psig) + 1n) % N);
    partials.push(sealMessage({ type: 'sign.partial', sessionId, sender: s, recipient: 0, inReplyTo: msg.messageId, body: { roastSession: 1, psig: hex(psig), nextPubnonce: hex(nonceGen({}).pubnonce), sessionDigest: sessionDigestOf(msg) } }, hostSeckeys[s - 1]!));
  }
  return { sessions, partials, aggnonce };
}

function dkgDone(s: number) {
  return sealMessage({ type: 'dkg.done', sessionId: 'dkg-epoch-1', sender: s, recipient: 0, body: { threshPk: hex(group.threshPk), pubshare: hex(group.pubshares[s - 1]!) } }, hostSeckeys[s - 1]!);
}

function invalidPartialEvidence(s: number, sess: ReturnType<typeof session>) {
  return {
    kind: 'invalid_partial_signature',
    version: 1,
    signerHostPubkey: hostPub(s),
    coordinatorHostPubkey: coordinatorPub(),
    group: { n, t, threshPk: hex(group.threshPk), pubshares: group.pubshares.map(hex) },
    dkgDone: dkgDone(s),
    session: sess.sessions[s - 1],
    partial: sess.partials[s - 1],
  };
}

describe('invalid partial signature evidence', () => {
  it('proves a bad partial signature (the SIGNER_FAULT=bad-partial fault), with an id per signer, session and ROAST session', () => {
    const evidence = invalidPartialEvidence(2, session(2));
    const verdict = verifyEvidence(JSON.parse(JSON.stringify(evidence)), { coordinatorHostPubkey: coordinatorPub() });
    expect(verdict).toMatchObject({ valid: true, offence: 'invalid_partial_signature', signerHostPubkey: hostPub(2), evidenceId: `invalid_partial_signature:${hostPub(2)}:heartbeat-7#1:1` });
    // The same offence repackaged (fresh message ids) has the same evidence id.
    expect(verifyEvidence(invalidPartialEvidence(2, session(2)))).toMatchObject({ valid: true, evidenceId: (verdict as { evidenceId: string }).evidenceId });
  });

  it('refuses evidence against an honest partial signature', () => {
    const s = session(2);
    expect(verifyEvidence(invalidPartialEvidence(1, s))).toEqual({ valid: false, reason: 'the partial signature verifies: no offence' });
  });

  it('refuses a forged signer message, a foreign coordinator, a pubshare the signer never attested, and a mismatched session', () => {
    const s = session(2);
    const base = invalidPartialEvidence(2, s);
    const forged = { ...base, partial: { ...base.partial, body: { ...base.partial!.body, psig: '11'.repeat(32) } } };
    expect(verifyEvidence(forged)).toMatchObject({ valid: false, reason: expect.stringMatching(/not signed by host key/) });
    expect(verifyEvidence(base, { coordinatorHostPubkey: hostPub(1) })).toMatchObject({ valid: false, reason: expect.stringMatching(/not the trusted/) });
    const swapped = { ...base, group: { ...base.group, pubshares: [base.group.pubshares[0], base.group.pubshares[0], base.group.pubshares[2]] } };
    expect(verifyEvidence(swapped)).toMatchObject({ valid: false, reason: expect.stringMatching(/dkg.done attests/) });
    const otherSession = { ...base, session: s.sessions[0] };
    expect(verifyEvidence(otherSession)).toMatchObject({ valid: false });
    const otherReply = { ...base, session: session(2).sessions[1] };
    expect(verifyEvidence(otherReply)).toMatchObject({ valid: false, reason: expect.stringMatching(/inReplyTo/) });
  });

  it('refuses a coordinator that re-signs the session under the same message id with another aggregate nonce (framing an honest signer)', () => {
    const s = session(); // everyone honest
    const honest = invalidPartialEvidence(2, s);
    expect(verifyEvidence(honest)).toEqual({ valid: false, reason: 'the partial signature verifies: no offence' });
    // The coordinator keeps message id and everything else, changes the aggnonce and signs again with its own key: against
    // this session the honest partial fails PartialSigVerify, and the session is validly signed by the coordinator.
    const original = honest.session!;
    const { type, sessionId, sender, recipient, messageId, sentAt, body } = original;
    const forgedUnsigned = { type, sessionId, sender, recipient, messageId, sentAt, body: { ...body, aggnonce: hex(nonceAgg([nonceGen({}).pubnonce, nonceGen({}).pubnonce])) } } as UnsignedMessage;
    const forged = { ...forgedUnsigned, sig: hex(schnorr.sign(messageDigest(forgedUnsigned), coordinatorSeckey, randomBytes(32))) };
    expect(verifyEvidence({ ...honest, session: forged })).toEqual({ valid: false, reason: expect.stringMatching(/sessionDigest differs/) });
  });

  it('answers malformed input with a verdict, not an exception', () => {
    expect(verifyEvidence('not json')).toMatchObject({ valid: false, reason: expect.stringMatching(/not JSON/) });
    expect(verifyEvidence({ kind: 'invalid_partial_signature' })).toMatchObject({ valid: false, reason: expect.stringMatching(/does not parse/) });
    expect(verifyEvidence(null)).toMatchObject({ valid: false });
  });
});

describe('equivocation evidence', () => {
  it('proves two partial signatures for one ROAST session and two nonces for one request', () => {
    const a = session(undefined).partials[1]!;
    const b = sealMessage({ type: 'sign.partial', sessionId: a.sessionId, sender: 2, recipient: 0, body: { roastSession: 1, psig: '22'.repeat(32), nextPubnonce: a.body.nextPubnonce, sessionDigest: a.body.sessionDigest } }, hostSeckeys[1]!);
    expect(verifyEvidence({ kind: 'equivocation', version: 1, signerHostPubkey: hostPub(2), first: a, second: b })).toMatchObject({
      valid: true, offence: 'equivocation', evidenceId: `equivocation:${hostPub(2)}:heartbeat-7#1:partial:1`,
    });
    const ask = '0f'.repeat(16);
    const n1 = sealMessage({ type: 'sign.nonce', sessionId: 'r#1', sender: 3, recipient: 0, inReplyTo: ask, body: { pubnonce: hex(nonceGen({}).pubnonce) } }, hostSeckeys[2]!);
    const n2 = sealMessage({ type: 'sign.nonce', sessionId: 'r#1', sender: 3, recipient: 0, inReplyTo: ask, body: { pubnonce: hex(nonceGen({}).pubnonce) } }, hostSeckeys[2]!);
    expect(verifyEvidence({ kind: 'equivocation', version: 1, signerHostPubkey: hostPub(3), first: n1, second: n2 })).toMatchObject({ valid: true, evidenceId: `equivocation:${hostPub(3)}:r#1:nonce:${ask}` });
  });

  it('does not count a fresh nonce for a new request, the same message twice, or another signer’s message', () => {
    const n1 = sealMessage({ type: 'sign.nonce', sessionId: 'r#1', sender: 3, recipient: 0, inReplyTo: '01'.repeat(16), body: { pubnonce: hex(nonceGen({}).pubnonce) } }, hostSeckeys[2]!);
    const n2 = sealMessage({ type: 'sign.nonce', sessionId: 'r#1', sender: 3, recipient: 0, inReplyTo: '02'.repeat(16), body: { pubnonce: hex(nonceGen({}).pubnonce) } }, hostSeckeys[2]!);
    expect(verifyEvidence({ kind: 'equivocation', version: 1, signerHostPubkey: hostPub(3), first: n1, second: n2 })).toMatchObject({ valid: false, reason: expect.stringMatching(/different requests/) });
    const resent = sealMessage({ type: 'sign.nonce', sessionId: 'r#1', sender: 3, recipient: 0, inReplyTo: '01'.repeat(16), body: n1.body }, hostSeckeys[2]!);
    expect(verifyEvidence({ kind: 'equivocation', version: 1, signerHostPubkey: hostPub(3), first: n1, second: resent })).toMatchObject({ valid: false, reason: expect.stringMatching(/the same/) });
    const foreign = sealMessage({ type: 'sign.nonce', sessionId: 'r#1', sender: 3, recipient: 0, inReplyTo: '01'.repeat(16), body: { pubnonce: hex(nonceGen({}).pubnonce) } }, hostSeckeys[0]!);
    expect(verifyEvidence({ kind: 'equivocation', version: 1, signerHostPubkey: hostPub(3), first: n1, second: foreign })).toMatchObject({ valid: false, reason: expect.stringMatching(/not signed/) });
  });
});

describe('liveness evidence', () => {
  const record = (answered: boolean[]): LivenessRecord => ({
    signerHostPubkey: hostPub(1), signerIndex: 1, epoch: 4, windowSize: answered.length, maxMisses: 3,
    probes: answered.map((a, i) => ({ id: `hb-${i}`, at: 1_000 + i, answered: a })),
  });

  it('proves more than M misses of the last W in a coordinator-signed record, once per signer and epoch', () => {
    const r = record([false, true, false, false, true, false, true, true]);
    const ev = { kind: 'liveness', version: 1, coordinatorHostPubkey: coordinatorPub(), record: r, sig: signLivenessRecord(r, coordinatorSeckey) };
    expect(verifyEvidence(ev, { coordinatorHostPubkey: coordinatorPub(), liveness: { windowSize: 8, maxMisses: 3 } })).toMatchObject({ valid: true, offence: 'liveness', evidenceId: `liveness:${hostPub(1)}:4` });
    expect(verifyEvidence(ev, { liveness: { windowSize: 10, maxMisses: 3 } })).toMatchObject({ valid: false, reason: expect.stringMatching(/the rule is W=10/) });
  });

  it('refuses M misses or fewer, an altered record and a record signed by someone else', () => {
    const ok = record([false, true, false, false, true, true, true, true]);
    expect(verifyEvidence({ kind: 'liveness', version: 1, coordinatorHostPubkey: coordinatorPub(), record: ok, sig: signLivenessRecord(ok, coordinatorSeckey) })).toMatchObject({ valid: false, reason: expect.stringMatching(/not more than 3/) });
    const bad = record([false, false, false, false, true, true, true, true]);
    const sig = signLivenessRecord(ok, coordinatorSeckey);
    expect(verifyEvidence({ kind: 'liveness', version: 1, coordinatorHostPubkey: coordinatorPub(), record: bad, sig })).toMatchObject({ valid: false, reason: expect.stringMatching(/not signed/) });
    expect(verifyEvidence({ kind: 'liveness', version: 1, coordinatorHostPubkey: coordinatorPub(), record: bad, sig: signLivenessRecord(bad, hostSeckeys[0]!) })).toMatchObject({ valid: false });
  });
});
