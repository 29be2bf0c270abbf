import { describe, expect, it } from 'vitest';
import { FrostInputError, RoastCoordinator, decodeSessionRequest, encodeSessionRequest, nonceGen, partialSigVerify, sessionContextFromRequest, sign } from '../src/index.js';
import { dealShares } from './helpers/dealer.js';
import { SeededRandom } from './helpers/prng.js';

describe('session requests over the wire', () => {
  const key = dealShares(4, 2, new SeededRandom(5));
  const msg = new Uint8Array(32).fill(9);

  it('round-trips through JSON and lets a signer rebuild the context from its own key', () => {
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg });
    const n0 = nonceGen({ secshare: key.secshares[1] });
    const n1 = nonceGen({ secshare: key.secshares[3] });
    coordinator.onReady(3, n1.pubnonce);
    const [ev] = coordinator.onReady(1, n0.pubnonce);
    if (ev?.type !== 'session-started') throw new Error('no session');
    const wire = JSON.parse(JSON.stringify(encodeSessionRequest(ev.request))) as unknown;
    const request = decodeSessionRequest(wire);
    expect(request.signers).toEqual([1, 3]);
    const session = sessionContextFromRequest(key.groupKey, request);
    const psig = sign(n0.secnonce, key.secshares[1] as Uint8Array, 1, session);
    expect(partialSigVerify(psig, [n0.pubnonce, n1.pubnonce], session.signersCtx, [], [], msg, 0)).toBe(true);
  });

  it('rejects malformed requests', () => {
    expect(() => decodeSessionRequest({ sessionId: 1, signers: [0, 1], aggnonce: 'zz', msg: '', tweaks: [], isXonly: [] })).toThrow(FrostInputError);
    expect(() => decodeSessionRequest({ sessionId: 1, signers: [0, 1], aggnonce: '00'.repeat(66), msg: '', tweaks: ['00'], isXonly: [true] })).toThrow(FrostInputError);
    expect(() => sessionContextFromRequest(key.groupKey, { sessionId: 1, signers: [0, 9], aggnonce: new Uint8Array(66), msg, tweaks: [], isXonly: [] })).toThrow(FrostInputError);
  });
});
