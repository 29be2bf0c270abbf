import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { heartbeatMessage, nonceAgg, type GroupKey } from '@tapbridge/frost';
import { describe, expect, it } from 'vitest';
import {
  attemptSessionId,
  generateHostKey,
  hostPublicKey,
  MessageAuthenticator,
  MessageRejectedError,
  messageDigest,
  sealMessage,
  sessionDigestOf,
  resolveSigningRequest,
  SigningAttempt,
  type AttemptEvent,
  type DkgCeremony,
  type MisbehaviourReason,
  type SigningRequestWire,
} from '../src/index.js';
import { Group } from './helpers.js';

const wire = (requestId: string, message: Uint8Array, purpose = 'message'): SigningRequestWire => ({
  requestId,
  purpose,
  payload: { kind: 'message', message: bytesToHex(message) },
  tweak: { kind: 'key-path-only' },
});

interface Outcome {
  signature: Uint8Array | null;
  signers: number[];
  misbehaviour: Array<{ signer: number; reason: MisbehaviourReason }>;
  refusals: Map<number, string>;
  pubnonces: string[];
  attempt: SigningAttempt;
}

/** Drives one attempt to the end with in-process signers (the apps do the same over NATS). */
async function runAttempt(group: Group, _ceremony: DkgCeremony, request: SigningRequestWire, attemptNo = 1, skip: number[] = []): Promise<Outcome> {
  const resolved = resolveSigningRequest(request);
  const sessionId = attemptSessionId(request.requestId, attemptNo);
  const attempt = new SigningAttempt({ groupKey: groupKeyOf(group), request: resolved, sessionId });
  const queue: AttemptEvent[] = [];
  const misbehaviour: Outcome['misbehaviour'] = [];
  const pubnonces: string[] = [];
  let done: Extract<AttemptEvent, { type: 'signature-done' }> | undefined;
  for (let i = 1; i <= group.n; i++) {
    if (skip.includes(i)) continue;
    const reply = await group.ask(i, 'sign.nonce-request', sessionId, { request });
    if (reply.type === 'sign.nonce') {
      const p = (reply.body as { pubnonce: string }).pubnonce;
      pubnonces.push(p);
      queue.push(...attempt.onNonce(i, p));
    } else if (reply.type === 'sign.refusal') attempt.onRefusal(i, (reply.body as { reason: string }).reason);
  }
  while (queue.length > 0 && !done) {
    const e = queue.shift() as AttemptEvent;
    if (e.type === 'misbehaviour') misbehaviour.push({ signer: e.signer, reason: e.reason });
    if (e.type === 'signature-done') done = e;
    if (e.type !== 'session-started') continue;
    for (const s of e.signers) {
      if (skip.includes(s)) continue;
      const reply = await group.ask(s, 'sign.session', sessionId, { request, roastSession: e.roastSession, signers: e.signers, pubnonces: e.pubnonces, aggnonce: e.aggnonce });
      if (reply.type !== 'sign.partial') continue;
      const body = reply.body as { psig: string; nextPubnonce: string };
      pubnonces.push(body.nextPubnonce);
      queue.push(...attempt.onPartial(s, e.roastSession, body.psig, body.nextPubnonce));
    }
  }
  return { signature: done?.signature ?? null, signers: done?.signers ?? [], misbehaviour, refusals: new Map(attempt.refused), pubnonces, attempt };
}

/** The group key as the signers hold it after the DKG (the coordinator's copy is checked equal in runDkg). */
function groupKeyOf(group: Group): GroupKey {
  const share = group.signers[0]?.share;
  if (!share) throw new Error('no DKG yet');
  return share.groupKey;
}

async function setUp(options: ConstructorParameters<typeof Group>[2] = {}) {
  const group = new Group(5, 3, options);
  const ceremony = await group.runDkg();
  return { group, ceremony };
}

describe('signing protocol (in-process, 3-of-5)', () => {
  it('runs the DKG: every signer holds a share of one even-y group key and the saved shares match', async () => {
    const { group, ceremony } = await setUp();
    expect(bytesToHex(ceremony.result?.groupKey.threshPk ?? new Uint8Array())).toBe(bytesToHex(groupKeyOf(group).threshPk));
    const keys = new Set(group.signers.map((s) => bytesToHex(s.share?.groupKey.threshPk ?? new Uint8Array())));
    expect(keys.size).toBe(1);
    expect([...keys][0]?.startsWith('02')).toBe(true);
    expect(group.saved.size).toBe(5);
  });

  it('produces a BIP340 signature valid for the Taproot output key', async () => {
    const { group, ceremony } = await setUp();
    const msg = randomBytes(32);
    const out = await runAttempt(group, ceremony, wire('req-1', msg));
    expect(out.signature).not.toBeNull();
    expect(schnorr.verify(out.signature as Uint8Array, msg, out.attempt.outputKey)).toBe(true);
    // The output key is not the untweaked group key.
    expect(bytesToHex(out.attempt.outputKey)).not.toBe(bytesToHex(groupKeyOf(group).xonly));
    expect(out.signers).toHaveLength(3);
  });

  it('names a signer whose partial signature is invalid and completes without it', async () => {
    const { group, ceremony } = await setUp({ faults: { 1: 'bad-partial' } });
    const msg = randomBytes(32);
    const out = await runAttempt(group, ceremony, wire('req-2', msg));
    expect(out.misbehaviour).toEqual([{ signer: 1, reason: 'invalid_partial_signature' }]);
    expect(out.signers).not.toContain(1);
    expect(schnorr.verify(out.signature as Uint8Array, msg, out.attempt.outputKey)).toBe(true);
  });

  it('completes with two signers silent', async () => {
    const { group, ceremony } = await setUp();
    const msg = randomBytes(32);
    const out = await runAttempt(group, ceremony, wire('req-3', msg), 1, [2, 4]);
    expect(out.signers).toEqual([1, 3, 5]);
    expect(schnorr.verify(out.signature as Uint8Array, msg, out.attempt.outputKey)).toBe(true);
  });

  it('records a policy refusal and signs with the others', async () => {
    const { group, ceremony } = await setUp({ rawMessageSigners: [1, 2, 3, 4] });
    const out = await runAttempt(group, ceremony, wire('req-4', randomBytes(32)));
    expect(out.refusals.get(5)).toMatch(/deny-unknown: no signing policy for purpose 'message'/);
    expect(out.signers).not.toContain(5);
    expect(out.signature).not.toBeNull();
    expect(group.decisions.filter((d) => d.sessionId.startsWith('5:') && d.outcome !== 'refused')).toEqual([]);
  });

  it('signs a heartbeat under the heartbeat policy and refuses a 32-byte message under it', async () => {
    const { group, ceremony } = await setUp();
    const hb = heartbeatMessage(7n);
    const ok = await runAttempt(group, ceremony, wire('hb-1', hb, 'heartbeat'));
    expect(schnorr.verify(ok.signature as Uint8Array, hb, ok.attempt.outputKey)).toBe(true);
    const refused = await runAttempt(group, ceremony, wire('hb-2', randomBytes(32), 'heartbeat'));
    expect(refused.signature).toBeNull();
    expect(refused.attempt.hopeless).toBe(true);
    expect([...refused.refusals.values()].every((r) => /heartbeat is 16 bytes/.test(r))).toBe(true);
  });

  it('a restarted signer has no nonces: it refuses its old session and commits to fresh nonces in the next attempt', async () => {
    const { group, ceremony } = await setUp();
    const msg = randomBytes(32);
    const request = wire('req-5', msg);
    const sessionId = attemptSessionId('req-5', 1);
    const first = await group.ask(1, 'sign.nonce-request', sessionId, { request });
    expect(first.type).toBe('sign.nonce');
    expect(group.signers[0]?.heldNonces).toBe(1);
    group.restart(1);
    expect(group.signers[0]?.heldNonces).toBe(0);
    const attempt1 = await runAttempt(group, ceremony, request, 1);
    // Signer 1 answered attempt 1 afresh after its restart; its old pubnonce was never used again.
    const again = await runAttempt(group, ceremony, { ...request, requestId: 'req-5' }, 2);
    const all = [(first.body as { pubnonce: string }).pubnonce, ...attempt1.pubnonces, ...again.pubnonces];
    expect(new Set(all).size).toBe(all.length);
    expect(again.signature).not.toBeNull();
  });

  it('refuses a session naming a pubnonce the signer no longer holds', async () => {
    const { group } = await setUp();
    const request = wire('req-6', randomBytes(32));
    const sessionId = attemptSessionId('req-6', 1);
    const nonces = [];
    for (const i of [1, 2, 3]) nonces.push(((await group.ask(i, 'sign.nonce-request', sessionId, { request })).body as { pubnonce: string }).pubnonce);
    group.restart(2);
    const aggnonce = bytesToHex(nonceAgg(nonces.map((p) => hexToBytes(p))));
    const reply = await group.ask(2, 'sign.session', sessionId, { request, roastSession: 1, signers: [1, 2, 3], pubnonces: nonces, aggnonce });
    expect(reply.type).toBe('sign.refusal');
    expect((reply.body as { code: string }).code).toBe('nonce_unavailable');
  });

  it('a partial commits to the digest of the session it answers, and a signer signs at most once per ROAST session', async () => {
    const { group } = await setUp();
    const request = wire('req-once', randomBytes(32));
    const sessionId = attemptSessionId('req-once', 1);
    const nonces: string[] = [];
    for (const i of [1, 2, 3]) nonces.push(((await group.ask(i, 'sign.nonce-request', sessionId, { request })).body as { pubnonce: string }).pubnonce);
    const aggnonce = bytesToHex(nonceAgg(nonces.map((p) => hexToBytes(p))));
    const first = await group.exchange(2, 'sign.session', sessionId, { request, roastSession: 1, signers: [1, 2, 3], pubnonces: nonces, aggnonce });
    expect(first.reply.type).toBe('sign.partial');
    const partial = first.reply.body as { sessionDigest: string; nextPubnonce: string };
    expect(partial.sessionDigest).toBe(sessionDigestOf(first.request));
    // The same ROAST session again, now naming the next nonce the signer holds: a second partial would equivocate.
    const again = await group.ask(2, 'sign.session', sessionId, { request, roastSession: 1, signers: [1, 2, 3], pubnonces: [nonces[0]!, partial.nextPubnonce, nonces[2]!], aggnonce });
    expect(again.type).toBe('protocol.error');
    expect((again.body as { message: string }).message).toMatch(/ROAST session 1 was already answered/);
    // Another ROAST session with that next nonce is fine.
    const next = await group.ask(2, 'sign.session', sessionId, { request, roastSession: 2, signers: [1, 2, 3], pubnonces: [nonces[0]!, partial.nextPubnonce, nonces[2]!], aggnonce });
    expect(next.type).toBe('sign.partial');
  });

  it('a restarted signer does not answer signing requests sent before it started (its replay memory is gone)', async () => {
    let now = Date.now();
    const { group } = await setUp({ now: () => now });
    const request = wire('req-replay', randomBytes(32));
    const before = group.send(1, 'sign.nonce-request', 'req-replay#1', { request });
    const answered = await group.signers[0]!.handle(new TextEncoder().encode(JSON.stringify(before)));
    expect(answered.type).toBe('sign.nonce');
    now += 1_000;
    group.restart(1);
    // The same signed request replayed to the new process: answering would be a second nonce for one request.
    const replayed = await group.signers[0]!.handle(new TextEncoder().encode(JSON.stringify(before)));
    expect([replayed.type, (replayed.body as { code: string }).code]).toEqual(['protocol.error', 'stale']);
    expect((await group.ask(1, 'sign.nonce-request', 'req-replay#1', { request })).type).toBe('sign.nonce');
  });

  it('rejects forged, tampered and replayed coordinator messages, naming the sender', async () => {
    const { group } = await setUp();
    const request = wire('req-7', randomBytes(32));
    const genuine = group.send(1, 'sign.nonce-request', 'req-7#1', { request });
    // Tampered: the body changed after signing.
    const tampered = { ...genuine, body: { request: { ...request, payload: { kind: 'message', message: bytesToHex(randomBytes(32)) } } } };
    const r1 = await group.signers[0]?.handle(tampered);
    expect(r1?.type).toBe('protocol.error');
    expect((r1?.body as { message: string }).message).toMatch(/rejected message from the coordinator \(sender 0\): bad_signature/);
    // Forged: signed by a key that is not the coordinator's.
    const forged = sealMessage({ type: 'sign.nonce-request', sessionId: 'req-7#1', sender: 0, recipient: 1, body: { request } }, generateHostKey());
    expect(((await group.signers[0]?.handle(forged))?.body as { code: string }).code).toBe('bad_signature');
    // Replayed: the genuine message twice.
    expect((await group.signers[0]?.handle(genuine))?.type).toBe('sign.nonce');
    expect(((await group.signers[0]?.handle(genuine))?.body as { code: string }).code).toBe('replayed');
  });

  it('the coordinator rejects a forged signer reply, naming the signer it claims to be', async () => {
    const { group } = await setUp();
    const forged = sealMessage({ type: 'sign.nonce', sessionId: 'x#1', sender: 3, recipient: 0, body: { pubnonce: '02'.padEnd(132, '1') } }, generateHostKey());
    expect(() => group.auth.authenticate(forged, { types: ['sign.nonce'] })).toThrowError(MessageRejectedError);
    expect(() => group.auth.authenticate(forged, { types: ['sign.nonce'] })).toThrowError(/signer 3: bad_signature/);
  });
});

describe('message authentication', () => {
  const key = generateHostKey();
  const auth = () => new MessageAuthenticator({ self: 0, hostKeyOf: (s) => (s === 1 ? hostPublicKey(key) : undefined) });

  it('holds the sender accountable only for what its valid signature covers', () => {
    // A correctly signed message with a body that breaks the schema: authentic, so the signer is to blame.
    const bad = sealMessage({ type: 'sign.nonce', sessionId: 'a#1', sender: 1, recipient: 0, body: { pubnonce: '02'.padEnd(132, '1') } }, key);
    const unsigned = { ...bad, body: { pubnonce: 'not hex' } };
    const resigned = { ...unsigned, sig: bytesToHex(schnorr.sign(messageDigest(unsigned), key, randomBytes(32))) };
    const e1 = (() => { try { auth().authenticate(resigned, { types: ['sign.nonce'] }); } catch (e) { return e; } })() as MessageRejectedError;
    expect([e1.reason, e1.authentic, e1.sender]).toEqual(['malformed', true, 1]);
    // The same change without re-signing: not authentic, nobody to blame.
    const e2 = (() => { try { auth().authenticate(unsigned, { types: ['sign.nonce'] }); } catch (e) { return e; } })() as MessageRejectedError;
    expect([e2.reason, e2.authentic]).toEqual(['bad_signature', false]);
  });

  it('refuses stale messages and messages for another party', () => {
    const old = sealMessage({ type: 'sign.nonce', sessionId: 'a#1', sender: 1, recipient: 0, body: { pubnonce: '02'.padEnd(132, '1') } }, key, Date.now() - 10 * 60_000);
    expect(() => auth().authenticate(old, { types: ['sign.nonce'] })).toThrow(/signer 1: stale/);
    const elsewhere = sealMessage({ type: 'sign.nonce', sessionId: 'a#1', sender: 1, recipient: 2, body: { pubnonce: '02'.padEnd(132, '1') } }, key);
    expect(() => auth().authenticate(elsewhere, { types: ['sign.nonce'] })).toThrow(/wrong_recipient/);
    expect(() => auth().authenticate(new TextEncoder().encode('{'), { types: ['sign.nonce'] })).toThrow(/an unidentified sender: malformed: not JSON/);
  });
});

describe('signer memory', () => {
  it('drops approvals and nonces of sessions that never came', async () => {
    let now = Date.now();
    const group = new Group(3, 2, { now: () => now });
    await group.runDkg();
    const request = wire('stale-1', randomBytes(32));
    const nonces: string[] = [];
    for (const i of [1, 2]) nonces.push(((await group.ask(i, 'sign.nonce-request', 'stale-1#1', { request })).body as { pubnonce: string }).pubnonce);
    expect(group.signers[0]?.heldNonces).toBe(1);
    now += 11 * 60_000;
    // Any later request sweeps what expired.
    await group.ask(1, 'sign.nonce-request', 'other#1', { request: wire('other', randomBytes(32)) });
    expect(group.signers[0]?.heldNonces).toBe(1);
    const aggnonce = bytesToHex(nonceAgg(nonces.map((p) => hexToBytes(p))));
    const reply = await group.ask(1, 'sign.session', 'stale-1#1', { request, roastSession: 1, signers: [1, 2], pubnonces: nonces, aggnonce });
    expect((reply.body as { code: string }).code).toBe('nonce_unavailable');
  });
});
