import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { DUPLICATE_NONCE, NonceReuseError, RoastCoordinator, type RoastEvent, type SecNonce, keyPathOnlyCustodyTweak, nonceGen, sign } from '../src/index.js';
import { dealShares } from './helpers/dealer.js';
import { SeededRandom } from './helpers/prng.js';
import { type Behaviour, runRoast } from './helpers/roast-harness.js';

const MSG = new Uint8Array(32).fill(0x42);

function done(events: RoastEvent[]) {
  return events.find((e): e is Extract<RoastEvent, { type: 'signature-done' }> => e.type === 'signature-done');
}

describe('ROAST coordinator, 3-of-5', () => {
  const rng = new SeededRandom(1);
  const key = dealShares(5, 3, rng);

  it('produces a valid signature when two signers stay silent, within n − t + 1 sessions', () => {
    const behaviours: Behaviour[] = ['honest', 'honest', 'honest', 'silent', 'silent'];
    // Silent signers announce readiness first, so the first session includes both of them.
    const run = runRoast(key, behaviours, MSG, new SeededRandom(7), [3, 4, 0, 1, 2]);
    const first = run.events.find((e) => e.type === 'session-started');
    expect(first?.type === 'session-started' && first.signers).toEqual([0, 3, 4]);
    const sig = done(run.events);
    expect(sig).toBeDefined();
    expect(schnorr.verify(sig?.signature as Uint8Array, MSG, run.outputKey)).toBe(true);
    expect(sig?.signers.some((id) => id === 3 || id === 4)).toBe(false);
    expect(run.coordinator.sessionsStarted).toBeLessThanOrEqual(5 - 3 + 1);
  });

  it('names a signer that sends an invalid partial signature and never includes it again', () => {
    const behaviours: Behaviour[] = ['honest', 'bad-psig', 'honest', 'honest', 'honest'];
    let blameRuns = 0;
    // Seeds 100..104 deliver at random; the last run makes signer 1 ready first, so it is in the first session.
    for (let seed = 0; seed < 6; seed++) {
      const run = runRoast(key, behaviours, MSG, new SeededRandom(100 + seed), seed === 5 ? [1, 0, 2] : []);
      const sig = done(run.events);
      expect(schnorr.verify(sig?.signature as Uint8Array, MSG, run.outputKey)).toBe(true);
      const blamed = run.events.filter((e) => e.type === 'misbehaviour');
      for (const ev of blamed) expect(ev.type === 'misbehaviour' && ev.signerId).toBe(1);
      if ((run.sessionsOf.get(1) ?? []).length > 0) {
        // Whenever signer 1 was asked to sign, it lied, got blamed, and was in no later session.
        expect(blamed).toHaveLength(1);
        expect(run.coordinator.maliciousSigners).toEqual([1]);
        const blamedIn = blamed[0]?.type === 'misbehaviour' ? (blamed[0].sessionId as number) : -1;
        expect(Math.max(...(run.sessionsOf.get(1) ?? []))).toBe(blamedIn);
        expect(sig?.signers).not.toContain(1);
        blameRuns++;
      }
    }
    // The blame branch above is what this test is about: it must have run, not been skipped by every schedule.
    expect(blameRuns).toBeGreaterThan(0);
  });

  it('never accepts a nonce twice: a replayed pubnonce is misbehaviour, a restarted signer waits for its session', () => {
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg: MSG });
    const nonces = [0, 1, 2].map((id) => nonceGen({ secshare: key.secshares[id] }));
    const started = [0, 1, 2].flatMap((id) => coordinator.onReady(id, nonces[id]?.pubnonce as Uint8Array));
    const session = started.find((e) => e.type === 'session-started');
    if (session?.type !== 'session-started') throw new Error('no session');
    // Signer 0 restarts: it lost its secret nonce and announces a fresh one while still pending.
    const restarted = nonceGen({ secshare: key.secshares[0] });
    expect(coordinator.onReady(0, restarted.pubnonce)).toEqual([{ type: 'ignored', signerId: 0, reason: 'signer still has a pending session' }]);
    // Signer 1 answers but offers its old (already used) nonce as the next one.
    const psig1 = sign(nonces[1]?.secnonce as SecNonce, key.secshares[1] as Uint8Array, 1, session.session);
    const ev = coordinator.onPartialSig(1, session.sessionId, psig1, nonces[1]?.pubnonce as Uint8Array);
    expect(ev).toEqual([{ type: 'misbehaviour', signerId: 1, reason: 'reused a pubnonce' }]);
    expect(coordinator.maliciousSigners).toEqual([1]);
  });

  it('finishes without a signer that restarted mid-session, and never uses its stale or fresh nonce twice', () => {
    const { tweak, outputKey } = keyPathOnlyCustodyTweak(key.groupKey.xonly);
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg: MSG, tweaks: [tweak], isXonly: [true] });
    const secnonces = new Map<number, SecNonce>();
    const usedPubnonces = new Set<string>();
    const fresh = (id: number): Uint8Array => {
      const { secnonce, pubnonce } = nonceGen({ secshare: key.secshares[id] });
      secnonces.set(id, secnonce);
      return pubnonce;
    };
    const queue: RoastEvent[] = [0, 1, 2, 3, 4].flatMap((id) => coordinator.onReady(id, fresh(id)));
    let restarted = false;
    while (queue.length > 0 && coordinator.signature === null) {
      const ev = queue.shift() as RoastEvent;
      if (ev.type !== 'session-started') continue;
      for (const id of ev.signers) {
        const nonceHex = Buffer.from(ev.session.aggnonce).toString('hex');
        expect(usedPubnonces.has(`${id}:${nonceHex}`)).toBe(false);
        usedPubnonces.add(`${id}:${nonceHex}`);
        if (id === 0 && !restarted) {
          // Signer 0 crashes: its secret nonce is gone; it comes back with a fresh one.
          restarted = true;
          secnonces.delete(0);
          queue.push(...coordinator.onReady(0, fresh(0)));
          continue;
        }
        const psig = sign(secnonces.get(id) as SecNonce, key.secshares[id] as Uint8Array, id, ev.session);
        queue.push(...coordinator.onPartialSig(id, ev.sessionId, psig, fresh(id)));
      }
    }
    expect(restarted).toBe(true);
    expect(coordinator.signature).not.toBeNull();
    expect(schnorr.verify(coordinator.signature as Uint8Array, MSG, outputKey)).toBe(true);
    expect(coordinator.sessionsStarted).toBeLessThanOrEqual(5 - 3 + 1);
    expect(coordinator.maliciousSigners).toEqual([]);
  });

  it('a secret nonce signs once: reuse throws and the nonce is not serialisable', () => {
    const { secnonce, pubnonce } = nonceGen({ secshare: key.secshares[0] });
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg: MSG });
    coordinator.onReady(0, pubnonce);
    coordinator.onReady(1, nonceGen().pubnonce);
    const [ev] = coordinator.onReady(2, nonceGen().pubnonce);
    if (ev?.type !== 'session-started') throw new Error('no session');
    sign(secnonce, key.secshares[0] as Uint8Array, 0, ev.session);
    expect(secnonce.used).toBe(true);
    expect(() => sign(secnonce, key.secshares[0] as Uint8Array, 0, ev.session)).toThrow(NonceReuseError);
    expect(() => JSON.stringify({ secnonce })).toThrow();
    expect(String(secnonce)).toBe('SecNonce(<redacted>)');
  });
});

describe('ROAST session bound under adversarial schedules (seeded property test)', () => {
  it('finishes within n − t + 1 sessions whatever up to n − t faulty signers do', () => {
    const rng = new SeededRandom(2024);
    for (let iter = 0; iter < 40; iter++) {
      const n = 3 + rng.int(5);
      const t = 1 + rng.int(n);
      const key = dealShares(n, t, rng);
      const faulty = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, rng.int(n - t + 1));
      const behaviours: Behaviour[] = Array.from({ length: n }, (_, i) => (faulty.includes(i) ? (rng.int(2) === 0 ? 'silent' : 'bad-psig') : 'honest'));
      const msg = rng.bytes(32);
      const run = runRoast(key, behaviours, msg, rng);
      const sig = done(run.events);
      const label = `iter ${iter}: n=${n} t=${t} behaviours=${behaviours.join(',')}`;
      expect(sig, label).toBeDefined();
      expect(schnorr.verify(sig?.signature as Uint8Array, msg, run.outputKey), label).toBe(true);
      expect(run.coordinator.sessionsStarted, label).toBeLessThanOrEqual(n - t + 1);
      for (const id of run.coordinator.maliciousSigners) expect(behaviours[id], label).toBe('bad-psig');
      for (const id of sig?.signers ?? []) expect(behaviours[id], label).toBe('honest');
    }
  });
});

describe('ROAST: malformed nonces', () => {
  const rng = new SeededRandom(5);
  const key = dealShares(5, 3, rng);

  it('blames a badly encoded pubnonce at once and an off-curve one before it enters a session, which then starts without it', () => {
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg: MSG });
    const bad = Uint8Array.from(nonceGen({ secshare: key.secshares[0] }).pubnonce);
    bad[0] = 0x04;
    expect(coordinator.onReady(0, bad)).toEqual([{ type: 'misbehaviour', signerId: 0, reason: 'invalid pubnonce' }]);
    // x = 5 has no point on secp256k1 (5³ + 7 = 132 is not a square mod p): the prefix is fine, the point is not.
    const offCurve = Uint8Array.from(nonceGen({ secshare: key.secshares[1] }).pubnonce);
    offCurve.fill(0, 34, 66);
    offCurve[65] = 5;
    expect(coordinator.onReady(1, offCurve)).toEqual([]);
    const events = [2, 3, 4].flatMap((id) => coordinator.onReady(id, nonceGen({ secshare: key.secshares[id] }).pubnonce));
    expect(events.filter((e) => e.type === 'misbehaviour')).toEqual([{ type: 'misbehaviour', signerId: 1, reason: 'invalid pubnonce' }]);
    const started = events.find((e) => e.type === 'session-started');
    expect(started?.type === 'session-started' && started.signers).toEqual([2, 3, 4]);
    expect(coordinator.maliciousSigners).toEqual([0, 1]);
  });
});

describe('ROAST: copied nonces and restarted signers', () => {
  const rng = new SeededRandom(3);
  const key = dealShares(5, 3, rng);

  it('a pubnonce sent by two signers blames neither and is used by neither', () => {
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg: MSG });
    const honest = nonceGen({ secshare: key.secshares[1] });
    expect(coordinator.onReady(1, honest.pubnonce)).toEqual([]);
    // Signer 0 copies signer 1's commitment (in either order the coordinator cannot tell who copied).
    const events = coordinator.onReady(0, honest.pubnonce);
    expect(events).toEqual([
      { type: 'ignored', signerId: 1, reason: DUPLICATE_NONCE },
      { type: 'ignored', signerId: 0, reason: DUPLICATE_NONCE },
    ]);
    expect(coordinator.maliciousSigners).toEqual([]);
    // A third copy is dropped too; fresh nonces from 2, 3, 4 start a session without the duplicated nonce.
    expect(coordinator.onReady(2, honest.pubnonce)).toEqual([{ type: 'ignored', signerId: 2, reason: DUPLICATE_NONCE }]);
    const started = [2, 3, 4].flatMap((id) => coordinator.onReady(id, nonceGen({ secshare: key.secshares[id] }).pubnonce));
    const session = started.find((e) => e.type === 'session-started');
    expect(session?.type === 'session-started' && session.signers).toEqual([2, 3, 4]);
    // Both victims may come back with fresh nonces.
    expect(coordinator.onReady(1, nonceGen({ secshare: key.secshares[1] }).pubnonce)).toEqual([]);
    expect(coordinator.maliciousSigners).toEqual([]);
  });

  it('a signer that lost its nonce leaves its session unblamed and rejoins with a fresh one', () => {
    const { tweak, outputKey } = keyPathOnlyCustodyTweak(key.groupKey.xonly);
    const coordinator = new RoastCoordinator({ groupKey: key.groupKey, msg: MSG, tweaks: [tweak], isXonly: [true] });
    const secnonces = new Map<number, SecNonce>();
    const fresh = (id: number): Uint8Array => {
      const { secnonce, pubnonce } = nonceGen({ secshare: key.secshares[id] });
      secnonces.set(id, secnonce);
      return pubnonce;
    };
    // Only signers 0, 1, 2 are up: every session needs all three.
    const first = [0, 1, 2].flatMap((id) => coordinator.onReady(id, fresh(id))).find((e) => e.type === 'session-started');
    if (first?.type !== 'session-started') throw new Error('no session');
    // Signer 0 restarts: without onNonceLost it could never take part again.
    expect(coordinator.onReady(0, fresh(0))[0]?.type).toBe('ignored');
    expect(coordinator.onNonceLost(0, first.sessionId)).toEqual([]);
    expect(coordinator.onNonceLost(0, first.sessionId)[0]?.type).toBe('ignored');
    expect(coordinator.pendingSession(0)).toBeUndefined();
    const queue: RoastEvent[] = [...coordinator.onReady(0, fresh(0))];
    // Signers 1 and 2 answer the dead session; it does not complete, and their next nonces join 0's fresh one.
    for (const id of [1, 2]) queue.push(...coordinator.onPartialSig(id, first.sessionId, sign(secnonces.get(id) as SecNonce, key.secshares[id] as Uint8Array, id, first.session), fresh(id)));
    let signature: Uint8Array | undefined;
    while (queue.length > 0 && !signature) {
      const ev = queue.shift() as RoastEvent;
      if (ev.type === 'signature-done') signature = ev.signature;
      if (ev.type !== 'session-started') continue;
      expect(ev.signers).toEqual([0, 1, 2]);
      for (const id of ev.signers) queue.push(...coordinator.onPartialSig(id, ev.sessionId, sign(secnonces.get(id) as SecNonce, key.secshares[id] as Uint8Array, id, ev.session), fresh(id)));
    }
    expect(signature).toBeDefined();
    expect(schnorr.verify(signature as Uint8Array, MSG, outputKey)).toBe(true);
    expect(coordinator.maliciousSigners).toEqual([]);
  });
});
