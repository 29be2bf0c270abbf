// Within one signing attempt: a signer that copies another's nonce frames nobody, and a signer that restarted
// (lost its secret nonce) rejoins instead of sitting out the rest of the attempt.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { attemptSessionId, MAX_RETURNS_PER_ATTEMPT, resolveSigningRequest, SigningAttempt, type AttemptEvent, type SigningRequestWire } from '../src/index.js';
import { groupKeyOf } from './attempt.js';
import { Group } from './helpers.js';

const wire = (requestId: string): SigningRequestWire => ({ requestId, purpose: 'message', payload: { kind: 'message', message: bytesToHex(randomBytes(32)) }, tweak: { kind: 'key-path-only' } });
type Started = Extract<AttemptEvent, { type: 'session-started' }>;

async function nonce(group: Group, i: number, sessionId: string, request: SigningRequestWire): Promise<string> {
  const reply = await group.ask(i, 'sign.nonce-request', sessionId, { request });
  if (reply.type !== 'sign.nonce') throw new Error(`signer ${i} answered ${reply.type}`);
  return (reply.body as { pubnonce: string }).pubnonce;
}

/** Asks every member of a session for its partial signature; returns the events and the refusals. */
async function play(group: Group, attempt: SigningAttempt, request: SigningRequestWire, e: Started, skip: number[] = []) {
  const events: AttemptEvent[] = [];
  const refused: Array<{ signer: number; code: string }> = [];
  for (const s of e.signers) {
    if (skip.includes(s)) continue;
    const reply = await group.ask(s, 'sign.session', attempt.sessionId, { request, roastSession: e.roastSession, signers: e.signers, pubnonces: e.pubnonces, aggnonce: e.aggnonce });
    if (reply.type === 'sign.refusal') refused.push({ signer: s, code: (reply.body as { code: string }).code });
    if (reply.type !== 'sign.partial') continue;
    const b = reply.body as { psig: string; nextPubnonce: string };
    events.push(...attempt.onPartial(s, e.roastSession, b.psig, b.nextPubnonce));
  }
  return { events, refused };
}

const started = (events: AttemptEvent[]) => events.filter((e): e is Started => e.type === 'session-started');

describe('signing attempt (3-of-5, signers 4 and 5 down)', () => {
  it('a restarted signer rejoins the rest of the attempt and the signature completes with it', async () => {
    const group = new Group(5, 3);
    await group.runDkg();
    const request = wire('rejoin-1');
    const attempt = new SigningAttempt({ groupKey: groupKeyOf(group), request: resolveSigningRequest(request), sessionId: attemptSessionId('rejoin-1', 1) });
    const events: AttemptEvent[] = [];
    for (const i of [1, 2, 3]) events.push(...attempt.onNonce(i, await nonce(group, i, attempt.sessionId, request)));
    const [first] = started(events);
    if (!first) throw new Error('no session');
    // Signer 1 crashes and comes back without its secret nonce: it cannot sign session 1.
    group.restart(1);
    const round1 = await play(group, attempt, request, first);
    expect(round1.refused).toEqual([{ signer: 1, code: 'nonce_unavailable' }]);
    // Before the fix, signer 1 was never asked again: with 4 and 5 down no session could ever complete.
    expect(attempt.wantsNonce(1)).toBe(false);
    expect(attempt.onNonceLost(1, first.roastSession)).toBe(true);
    expect(attempt.wantsNonce(1)).toBe(true);
    const more = [...round1.events, ...attempt.onNonce(1, await nonce(group, 1, attempt.sessionId, request))];
    const [second] = started(more);
    expect(second?.signers).toEqual([1, 2, 3]);
    const round2 = await play(group, attempt, request, second as Started);
    const done = round2.events.find((e) => e.type === 'signature-done');
    expect(done?.type === 'signature-done' && schnorr.verify(done.signature, resolveSigningRequest(request).message, attempt.outputKey)).toBe(true);
    expect(attempt.malicious).toEqual([]);
  });

  it('a signer cannot leave sessions for ever: rejoining is bounded per attempt and only from its pending session', async () => {
    const group = new Group(5, 3);
    await group.runDkg();
    const request = wire('rejoin-2');
    const attempt = new SigningAttempt({ groupKey: groupKeyOf(group), request: resolveSigningRequest(request), sessionId: attemptSessionId('rejoin-2', 1) });
    let events: AttemptEvent[] = [];
    for (const i of [1, 2, 3]) events.push(...attempt.onNonce(i, await nonce(group, i, attempt.sessionId, request)));
    for (let k = 0; k < MAX_RETURNS_PER_ATTEMPT; k++) {
      const session = started(events).at(-1) as Started;
      expect(attempt.onNonceLost(1, session.roastSession + 100)).toBe(false);
      expect(attempt.onNonceLost(1, session.roastSession)).toBe(true);
      events = [...(await play(group, attempt, request, session, [1])).events, ...attempt.onNonce(1, await nonce(group, 1, attempt.sessionId, request))];
    }
    const last = started(events).at(-1) as Started;
    expect(attempt.onNonceLost(1, last.roastSession)).toBe(false);
  });

  it('a pubnonce copied by another signer blames no one, is used by no session, and both are asked again', async () => {
    const group = new Group(5, 3);
    await group.runDkg();
    const request = wire('copy-1');
    const attempt = new SigningAttempt({ groupKey: groupKeyOf(group), request: resolveSigningRequest(request), sessionId: attemptSessionId('copy-1', 1) });
    const honest = await nonce(group, 1, attempt.sessionId, request);
    expect(attempt.onNonce(1, honest)).toEqual([]);
    // Signer 2 (the copier) sends signer 1's commitment as its own. Before the fix signer 2 was the one blamed only
    // because it came second; the other order framed signer 1.
    const events = attempt.onNonce(2, honest);
    expect(events.map((e) => e.type)).toEqual(['ignored', 'ignored']);
    expect(attempt.malicious).toEqual([]);
    expect(attempt.wantsNonce(1) && attempt.wantsNonce(2)).toBe(true);
    const all: AttemptEvent[] = [];
    for (const i of [1, 2, 3]) all.push(...attempt.onNonce(i, await nonce(group, i, attempt.sessionId, request)));
    const [session] = started(all);
    expect(session?.pubnonces).not.toContain(honest);
    const done = (await play(group, attempt, request, session as Started)).events.find((e) => e.type === 'signature-done');
    expect(done).toBeDefined();
    expect(attempt.malicious).toEqual([]);
  });
});
