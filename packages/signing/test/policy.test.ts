import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { heartbeatMessage } from '@tapbridge/frost';
import { describe, expect, it } from 'vitest';
import { DevnetRawMessagePolicy, HeartbeatPolicy, PolicyRegistry, resolveSigningRequest, SigningRequestError, type SigningPolicy } from '../src/index.js';

const request = (purpose: string, message: Uint8Array) =>
  resolveSigningRequest({ requestId: 'r1', purpose, payload: { kind: 'message', message: bytesToHex(message) }, tweak: { kind: 'key-path-only' } });

describe('signing policies', () => {
  const registry = new PolicyRegistry().register('heartbeat', new HeartbeatPolicy());

  it('the heartbeat policy accepts exactly 0xff×8 ‖ nonce', async () => {
    expect((await registry.evaluate(request('heartbeat', heartbeatMessage(42n)))).decision).toEqual({ allow: true });
    const notPrefix = heartbeatMessage(1n);
    notPrefix[0] = 0xfe;
    expect((await registry.evaluate(request('heartbeat', notPrefix))).decision).toEqual({ allow: false, reason: 'a heartbeat starts with eight 0xff bytes' });
    // 32 bytes: could be a sighash, never a heartbeat, even one that starts with the prefix.
    const long = new Uint8Array(32).fill(0xff);
    expect((await registry.evaluate(request('heartbeat', long))).decision).toEqual({ allow: false, reason: 'a heartbeat is 16 bytes, got 32' });
  });

  it('refuses a purpose with no policy (deny-unknown)', async () => {
    const verdict = await registry.evaluate(request('withdrawal', randomBytes(32)));
    expect(verdict).toEqual({ policy: 'deny-unknown', decision: { allow: false, reason: "no signing policy for purpose 'withdrawal'" } });
  });

  it('a policy that throws refuses (fail closed)', async () => {
    const broken: SigningPolicy = { name: 'broken', evaluate: async () => { throw new Error('header chain unavailable'); } };
    const verdict = await new PolicyRegistry().register('sweep', broken).evaluate(request('sweep', randomBytes(32)));
    expect(verdict.decision).toEqual({ allow: false, reason: 'policy broken failed: header chain unavailable' });
  });

  it('will not register two policies for one purpose', () => {
    expect(() => new PolicyRegistry().register('message', new DevnetRawMessagePolicy()).register('message', new HeartbeatPolicy())).toThrow(/already registered/);
  });

  it('passes the whole request: a sighash request carries the decoded transaction', async () => {
    let seen: unknown;
    const spy: SigningPolicy = { name: 'spy', evaluate: async (r) => ((seen = r), { allow: false, reason: 'looked' }) };
    // A one-input, one-output transaction spending a P2TR output.
    const tx = '02000000' + '01' + '11'.repeat(32) + '00000000' + '00' + 'fdffffff' + '01' + 'e803000000000000' + '16' + '0014' + '22'.repeat(20) + '00000000';
    const r = resolveSigningRequest({
      requestId: 'r2',
      purpose: 'sweep',
      payload: { kind: 'taproot-sighash', transaction: tx, inputIndex: 0, prevouts: [{ value: '5000', scriptPubKey: '5120' + '33'.repeat(32) }] },
      tweak: { kind: 'key-path-only' },
    });
    await new PolicyRegistry().register('sweep', spy).evaluate(r);
    expect((seen as { transaction: { prevouts: Array<{ value: bigint }> } }).transaction.prevouts[0]?.value).toBe(5000n);
    expect(r.message).toHaveLength(32);
    expect(() => resolveSigningRequest({ ...r.wire, payload: { ...(r.wire.payload as object), inputIndex: 1 } })).toThrow(SigningRequestError);
  });

  it('rejects malformed requests with the field named', () => {
    expect(() => resolveSigningRequest({ requestId: 'r', purpose: 'message', payload: { kind: 'message', message: 'abcd' }, tweak: { kind: 'key-path-only' } })).toThrow(/payload.message: message must be 16 or 32 bytes/);
  });
});
