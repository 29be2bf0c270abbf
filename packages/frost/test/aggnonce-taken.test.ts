/**
 * Why a signer may take the coordinator's aggregate nonce instead of re-adding the t pubnonces
 * (README, "Taking the coordinator's aggregate nonce"): a coordinator that sends a wrong aggnonce
 * gets a partial signature that is bound to that aggnonce (useless in any other session, no valid
 * signature from it), cannot get a second signature from the same secret nonce, and can only be
 * judged consistently against the aggnonce it sent (which is why blame uses the request answered).
 */
import { describe, expect, it } from 'vitest';
import {
  NonceReuseError,
  type SessionContext,
  keyPathOnlyCustodyTweak,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigVerifyInternal,
  sign,
} from '../src/index.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { dealShares } from './helpers/dealer.js';
import { SeededRandom } from './helpers/prng.js';

describe('a signer that takes the coordinator aggnonce', () => {
  const rng = new SeededRandom(445);
  const n = 7;
  const t = 5;
  const key = dealShares(n, t, rng);
  const ids = [0, 1, 2, 4, 6];
  const msg = rng.bytes(32);
  const { tweak, outputKey } = keyPathOnlyCustodyTweak(key.groupKey.xonly);
  const ctx = (aggnonce: Uint8Array): SessionContext => ({ aggnonce, signersCtx: key.groupKey.signersContext(ids), tweaks: [tweak], isXonly: [true], msg });

  it('signs correctly when the aggnonce is the true sum (the happy path needs no re-addition)', () => {
    const nonces = ids.map((id) => nonceGen({ secshare: key.secshares[id], msg }));
    const session = ctx(nonceAgg(nonces.map((x) => x.pubnonce)));
    const psigs = ids.map((id, k) => sign(nonces[k]?.secnonce as never, key.secshares[id] as Uint8Array, id, session));
    expect(schnorr.verify(partialSigAgg(psigs, session), msg, outputKey)).toBe(true);
  });

  it('under a wrong aggnonce yields a partial signature bound to that aggnonce, and never a second one from the same nonce', () => {
    const nonces = ids.map((id) => nonceGen({ secshare: key.secshares[id], msg }));
    const pubnonces = nonces.map((x) => x.pubnonce);
    const honest = ctx(nonceAgg(pubnonces));
    // The coordinator replaces the last signer's nonce by one of its own choosing in the sum it sends.
    const forged = ctx(nonceAgg([...pubnonces.slice(0, -1), nonceGen().pubnonce]));
    const me = 2;
    const myId = ids[me] as number;
    const psig = sign(nonces[me]?.secnonce as never, key.secshares[myId] as Uint8Array, myId, forged);
    // Judged against the aggnonce it was sent, the signer is honest; against the true sum it would look
    // faulty, so blame must use the request the signer answered (RoastCoordinator verifies against its own).
    expect(partialSigVerifyInternal(psig, myId, pubnonces[me] as Uint8Array, key.groupKey.pubshares[myId] as Uint8Array, forged)).toBe(true);
    expect(partialSigVerifyInternal(psig, myId, pubnonces[me] as Uint8Array, key.groupKey.pubshares[myId] as Uint8Array, honest)).toBe(false);
    // The secret nonce is gone: no second signature (which, with a different aggnonce, would start to leak the share).
    expect(() => sign(nonces[me]?.secnonce as never, key.secshares[myId] as Uint8Array, myId, honest)).toThrow(NonceReuseError);
    // Everyone else signing under the forged aggnonce still gives no valid signature: the session just fails.
    const psigs = ids.map((id, k) => (k === me ? psig : sign(nonces[k]?.secnonce as never, key.secshares[id] as Uint8Array, id, forged)));
    expect(schnorr.verify(partialSigAgg(psigs, forged), msg, outputKey)).toBe(false);
  });
});
