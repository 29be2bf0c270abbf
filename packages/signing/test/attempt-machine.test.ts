// The attempt state machine alone: which signer it asks when, what it records, and when it gives up, driven by
// hand with explicit times (no transport, no store, no driver).
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttemptMachine, resolveSigningRequest, toSignerReply, type AttemptMachineOptions, type SigningRequestWire } from '../src/index.js';
import { Group, GroupTransport } from '../src/testing/index.js';

let group: Group;
let transport: GroupTransport;
beforeAll(async () => {
  group = new Group(5, 3);
  await group.runDkg();
  transport = new GroupTransport(group);
}, 60_000);

const T0 = 1_000_000;
function machine(o: Partial<AttemptMachineOptions> = {}): { m: AttemptMachine; wire: SigningRequestWire } {
  const requestId = `m-${bytesToHex(randomBytes(6))}`;
  const wire: SigningRequestWire = { requestId, purpose: 'message', payload: { kind: 'message', message: bytesToHex(randomBytes(32)) }, tweak: { kind: 'key-path-only' } };
  const m = new AttemptMachine({ groupKey: transport.groupKey(), request: resolveSigningRequest(wire), requestId, attempt: 1, now: T0, deadline: T0 + 60_000, signingTimeoutMs: 60_000, stallMs: 8_000, retryMs: 1_500, ...o });
  return { m, wire };
}
const asks = (cs: ReturnType<AttemptMachine['poll']>) => cs.filter((c) => c.type === 'ask-nonce').map((c) => c.signer);

describe('AttemptMachine', () => {
  it('asks every signer once, retries one that failed only after retryMs, and records its timeout once', () => {
    const { m } = machine();
    expect(asks(m.poll(T0 + 50))).toEqual([1, 2, 3, 4, 5]);
    expect(m.poll(T0 + 100)).toEqual([]);
    expect(m.onNonceFailed(4, 'signer 4 is not listening', T0 + 200)).toEqual([{ type: 'record-response', signer: 4, kind: 'timeout', fields: { detail: 'nonce request: signer 4 is not listening' } }]);
    expect(asks(m.poll(T0 + 1_699))).toEqual([]);
    expect(asks(m.poll(T0 + 1_700))).toEqual([4]);
    expect(m.onNonceFailed(4, 'again', T0 + 1_800)).toEqual([]);
  });

  it('a protocol error is recorded and retried; a policy refusal is final', async () => {
    const { m, wire } = machine();
    m.poll(T0);
    const error = toSignerReply(group.send(2, 'protocol.error', m.sessionId, { code: 'stale', message: 'too old' }));
    expect(m.onNonceReply(2, error, T0 + 10)).toEqual([{ type: 'record-response', signer: 2, kind: 'error', fields: { detail: 'stale: too old' } }]);
    const refusal = toSignerReply(group.send(3, 'sign.refusal', m.sessionId, { code: 'policy', reason: 'no' }));
    expect(m.onNonceReply(3, refusal, T0 + 10)).toEqual([{ type: 'record-response', signer: 3, kind: 'refusal', fields: { detail: 'policy: no' } }]);
    expect(m.attempt.refused).toEqual(new Map([[3, 'no']]));
    expect(asks(m.poll(T0 + 1_510))).toEqual([2]);
    // A nonce from a real signer is progress and is recorded before anything it causes.
    const nonce = toSignerReply(await group.ask(1, 'sign.nonce-request', m.sessionId, { request: wire }));
    const out = m.onNonceReply(1, nonce, T0 + 20);
    expect(out[0]).toMatchObject({ type: 'record-response', signer: 1, kind: 'nonce' });
  });

  it('stalls after stallMs without a nonce or partial signature, and then does nothing more', () => {
    const { m } = machine();
    m.poll(T0);
    for (const s of [1, 2, 3, 4, 5]) m.onNonceFailed(s, 'down', T0 + 10);
    expect(m.poll(T0 + 8_000).some((c) => c.type === 'stalled')).toBe(false);
    expect(m.poll(T0 + 8_001)).toEqual([{ type: 'stalled', sessionsStarted: 0 }]);
    expect([m.status, m.poll(T0 + 9_000)]).toEqual(['stalled', []]);
  });

  it('fails at the deadline, before it would stall', () => {
    const { m } = machine({ deadline: T0 + 5_000, signingTimeoutMs: 5_000 });
    m.poll(T0);
    expect(m.poll(T0 + 5_001)).toEqual([{ type: 'fail', outcome: 'timeout', error: 'no signature within 5000 ms' }]);
    expect(m.status).toBe('failed');
  });

  it('fails once fewer than t signers can sign, naming each refusal', () => {
    const { m } = machine();
    m.poll(T0);
    for (const s of [1, 2, 3]) m.onNonceReply(s, toSignerReply(group.send(s, 'sign.refusal', m.sessionId, { code: 'policy', reason: `r${s}` })), T0 + 1);
    expect(m.poll(T0 + 2)).toEqual([{ type: 'fail', outcome: 'refused', error: 'fewer than 3 signers will sign: signer 1: r1; signer 2: r2; signer 3: r3' }]);
  });
});
