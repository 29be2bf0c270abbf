// The coordinator's signing loop (SigningDriver over AttemptMachine) on the in-memory store with in-process
// signers and a virtual clock: retry, stall, refusal, blame, restart, all without processes or real waiting.
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemorySigningStore, type AttemptCommand, type ResponseRow } from '../src/index.js';
import { Group, runSigningScenarios, signingScenarios, signingSnapshot, type ScenarioContext, type ScenarioName } from '../src/testing/index.js';

let group: Group;
beforeAll(async () => {
  group = new Group(5, 3);
  await group.runDkg();
}, 60_000);

async function scenario(name: ScenarioName) {
  const store = new InMemorySigningStore();
  const ctx: ScenarioContext = { store, group };
  const run = await signingScenarios[name](ctx);
  const row = await store.request(run.requestId);
  if (!row) throw new Error('request not stored');
  const responses = await store.responses(run.requestId);
  const sessions = await store.sessions(run.requestId);
  const snapshot = (await signingSnapshot(store, { [name]: run.requestId })) as Record<string, { signatureValid: boolean }>;
  return { store, run, row, responses, sessions, valid: snapshot[name]?.signatureValid ?? false };
}

const kinds = (rs: ResponseRow[], signer: number) => rs.filter((r) => r.signer === signer).map((r) => r.kind);
const commands = (performed: Array<{ command: AttemptCommand }>, type: AttemptCommand['type']) => performed.filter((p) => p.command.type === type).map((p) => p.command);

describe('signing loop on the in-memory store', () => {
  it('signs with everyone up: one session of the first three, a valid BIP340 signature', async () => {
    const { row, sessions, valid } = await scenario('signed');
    expect([row.status, row.attempt, row.signers]).toEqual(['signed', 1, [1, 2, 3]]);
    expect(valid).toBe(true);
    // Signer 1's next nonce with 4's and 5's may start a second session before the first completes (ROAST starts one
    // whenever t signers are ready); the first completes.
    expect(sessions[0]?.signers).toEqual([1, 2, 3]);
    expect(sessions.length).toBeLessThanOrEqual(2);
  });

  it('signers that commit but never sign are routed around: ROAST picks another subset in the same attempt', async () => {
    const { row, sessions, responses, valid } = await scenario('silent-signers');
    expect([row.status, row.attempt, valid]).toEqual(['signed', 1, true]);
    expect(sessions[0]?.signers).toEqual([1, 2, 3]);
    expect(row.signers).toEqual([3, 4, 5]);
    // Each silent signer's timeout is recorded once, however often it was asked again.
    for (const s of [1, 2]) expect(kinds(responses, s).filter((k) => k === 'timeout')).toEqual(['timeout']);
  });

  it('a signer that did not answer is asked again after retryMs; its timeout is recorded once', async () => {
    const { row, responses, run, valid } = await scenario('retry');
    expect([row.status, row.attempt, row.signers, valid]).toEqual(['signed', 1, [1, 2, 3], true]);
    expect(kinds(responses, 3)).toEqual(['timeout', 'nonce', 'partial']);
    expect(run.transport.asked.filter((a) => a.signer === 3 && a.type === 'sign.nonce-request').length).toBe(2);
    // Signers 4 and 5 stayed down: asked again and again, one timeout each.
    for (const s of [4, 5]) {
      expect(kinds(responses, s)).toEqual(['timeout']);
      expect(run.transport.asked.filter((a) => a.signer === s).length).toBeGreaterThan(1);
    }
  });

  it('a policy refusal is recorded with its reason and the signer is not asked again', async () => {
    const { row, responses, run, valid } = await scenario('policy-refusal');
    expect([row.status, valid]).toEqual(['signed', true]);
    expect(row.signers).not.toContain(5);
    expect(responses.find((r) => r.signer === 5)).toMatchObject({ kind: 'refusal', detail: "policy: deny-unknown: no signing policy for purpose 'message'" });
    expect(run.transport.asked.filter((a) => a.signer === 5)).toHaveLength(1);
  });

  it('when fewer than t signers will sign, the request fails with every reason', async () => {
    const { row, responses } = await scenario('all-refuse');
    expect(row.status).toBe('failed');
    expect(row.signature).toBeNull();
    expect(row.error).toMatch(/^fewer than 3 signers will sign: signer 1: .*heartbeat is 16 bytes, got 32.*signer 5: /);
    expect(responses.map((r) => r.kind)).toEqual(['refusal', 'refusal', 'refusal', 'refusal', 'refusal']);
  });

  it('a bad partial signature blames its signer: misbehaviour response, count and event; signed without it', async () => {
    const { store, row, responses, run, valid } = await scenario('bad-partial');
    expect([row.status, valid]).toEqual(['signed', true]);
    expect(row.signers).not.toContain(3);
    const blame = responses.filter((r) => r.kind === 'misbehaviour');
    expect(blame).toEqual([expect.objectContaining({ signer: 3, attempt: 1, roastSession: 1, detail: 'invalid_partial_signature: signer 3: invalid partial signature' })]);
    expect(store.outbox).toEqual([
      { id: `signing.misbehaviour:${run.requestId}#1/1:3:invalid_partial_signature`, subject: 'signing.misbehaviour', payload: { sessionId: `${run.requestId}#1/1`, signerId: 3, reason: 'invalid_partial_signature', detail: 'signer 3: invalid partial signature' } },
    ]);
    expect(await store.misbehaviourCounts()).toEqual(new Map([[3, { count: 1, last: 'invalid_partial_signature: signer 3: invalid partial signature' }]]));
    // Never asked to sign again after the blame.
    const blamedAt = run.transport.asked.findIndex((a) => a.signer === 3 && a.type === 'sign.session');
    expect(run.transport.asked.slice(blamedAt + 1).some((a) => a.signer === 3 && a.type === 'sign.session')).toBe(false);
  });

  it('an attempt without progress for stallMs stalls; the next attempt asks everyone for fresh nonces and signs', async () => {
    const { row, sessions, responses, run, valid } = await scenario('stall');
    expect([row.status, row.attempt, valid]).toEqual(['signed', 2, true]);
    expect(commands(run.performed, 'stalled')).toEqual([{ type: 'stalled', sessionsStarted: 0 }]);
    expect(sessions.every((s) => s.attempt === 2)).toBe(true);
    const first = new Set(responses.filter((r) => r.attempt === 1 && r.pubnonce).map((r) => r.pubnonce));
    const second = responses.filter((r) => r.attempt === 2 && r.pubnonce).map((r) => r.pubnonce);
    expect(first.size).toBe(2);
    expect(second.length).toBeGreaterThanOrEqual(3);
    expect(second.filter((p) => first.has(p))).toEqual([]);
    expect(new Set(run.transport.asked.map((a) => a.sessionId))).toEqual(new Set([`${run.requestId}#1`, `${run.requestId}#2`]));
  });

  it('a signer that lost its nonce mid-session rejoins with a fresh one in the same attempt; nobody is blamed', async () => {
    const { store, row, responses, run, valid } = await scenario('nonce-lost');
    expect([row.status, row.attempt, row.signers, valid]).toEqual(['signed', 1, [1, 2, 3], true]);
    expect(responses.find((r) => r.signer === 1 && r.kind === 'refusal')?.detail).toMatch(/^nonce_unavailable: /);
    expect(commands(run.performed, 'nonce-lost')).toEqual([{ type: 'nonce-lost', signer: 1, roastSession: 1 }]);
    expect(store.outbox).toEqual([]);
  });

  it('a request nobody answers fails at its deadline', async () => {
    const { row } = await scenario('timeout');
    expect([row.status, row.error]).toEqual(['failed', 'no signature within 5000 ms']);
  });

  it('a coordinator restarted mid-session resumes in a new attempt with fresh nonces; none is reused', async () => {
    const { row, sessions, responses, valid } = await scenario('restart');
    expect([row.status, row.attempt, valid]).toEqual(['signed', 2, true]);
    const before = new Set(responses.filter((r) => r.attempt === 1 && r.kind === 'nonce').map((r) => r.pubnonce));
    expect(before.size).toBe(2);
    const after = responses.filter((r) => r.attempt === 2 && r.pubnonce).map((r) => r.pubnonce);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after.filter((p) => before.has(p))).toEqual([]);
    for (const s of sessions) for (const p of s.pubnonces) expect(before.has(p)).toBe(false);
  });

  it('the scenarios are deterministic: two runs leave the same record', async () => {
    const a = new InMemorySigningStore();
    const b = new InMemorySigningStore();
    const snapA = await signingSnapshot(a, await runSigningScenarios({ store: a, group }));
    const snapB = await signingSnapshot(b, await runSigningScenarios({ store: b, group }));
    expect(snapB).toEqual(snapA);
  });
});
