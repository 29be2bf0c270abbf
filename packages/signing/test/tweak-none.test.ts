import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { resolveSigningRequest, resolveTweak, type SigningRequestWire } from '../src/index.js';
import { groupKeyOf, runAttempt } from './attempt.js';
import { Group } from './helpers.js';

describe("tweak kind 'none' (deposit-leaf script-path spends)", () => {
  it('a 3-of-5 signature with tweak none verifies under the untweaked x-only group key, and under no tweaked key', async () => {
    const group = new Group(5, 3);
    await group.runDkg();
    const msg = randomBytes(32);
    const request: SigningRequestWire = { requestId: 'none-1', purpose: 'message', payload: { kind: 'message', message: bytesToHex(msg) }, tweak: { kind: 'none' } };
    const out = await runAttempt(group, request);
    expect(out.signature).not.toBeNull();
    const xonly = groupKeyOf(group).xonly;
    expect(bytesToHex(out.attempt.outputKey)).toBe(bytesToHex(xonly));
    expect(schnorr.verify(out.signature as Uint8Array, msg, xonly)).toBe(true);
    expect(schnorr.verify(out.signature as Uint8Array, msg, resolveTweak(xonly, { kind: 'key-path-only' }).outputKey)).toBe(false);
  });

  it('is accepted on the wire and resolves to a zero tweak with the group key as output key', () => {
    const key = schnorr.getPublicKey(randomBytes(32));
    const r = resolveTweak(key, { kind: 'none' });
    expect(bytesToHex(r.tweak)).toBe('00'.repeat(32));
    expect(bytesToHex(r.outputKey)).toBe(bytesToHex(key));
    expect(resolveSigningRequest({ requestId: 'x', purpose: 'message', payload: { kind: 'message', message: '11'.repeat(32) }, tweak: { kind: 'none' } }).tweak).toEqual({ kind: 'none' });
    expect(() => resolveSigningRequest({ requestId: 'x', purpose: 'message', payload: { kind: 'message', message: '11'.repeat(32) }, tweak: { kind: 'nothing' } })).toThrow(/tweak/);
  });
});
