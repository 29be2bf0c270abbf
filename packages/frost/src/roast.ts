/**
 * ROAST (Ruffing, Ronge, Jin, Schneider-Bensch, Schröder, "ROAST: Robust Asynchronous Schnorr
 * Threshold Signatures", CCS 2022) as a transport-free coordinator state machine over BIP445.
 *
 * The coordinator starts a signing session whenever t signers are ready (have sent a fresh
 * pubnonce), keeps each signer in at most one pending session, and requires every response to
 * carry the signer's next pubnonce. A signer whose partial signature fails verification is marked
 * malicious and never included again. With at most n − t faulty signers (silent, slow or lying),
 * at most n − t + 1 sessions are started before one completes: each failed session contains a
 * faulty signer that is thereafter either stuck in it (silent) or excluded (lying).
 *
 * Partial signatures are not verified one by one as they arrive (1.2–2.1 s for 667 signers).
 * When a session has all its responses, the coordinator aggregates them and checks the final
 * BIP340 signature; only if that fails does it look for the culprits, checking each member's
 * partial signature by itself (about 0.7 ms each on libsecp256k1). A signer that answered a session
 * that has not completed yet is ready again at once (as in ROAST), but its answer is verified (in a batch) before it is put into another session, so
 * a liar never enters a second session and the n − t + 1 bound on sessions still holds.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostInputError } from './errors.js';
import { schnorrVerify } from './curve/bip340.js';
import { type Affine, affineToPoint, decodeCompressedAffine, encodeAffineWithInfinity, sumAffine } from './curve/batch.js';
import { type GroupElement, hasEvenY, pointToXonly } from './curve/point.js';
import { N, scalarFromBytesChecked, scalarToBytes } from './curve/scalar.js';
import type { GroupKey } from './signing/group-key.js';
import { type PartialSigClaim, findInvalidPartialSigs } from './signing/batch-verify.js';
import { deriveInterpolatingValues } from './signing/lagrange.js';
import { type SessionContext, type SessionValues, getSessionValues } from './signing/session.js';
import { type SessionRequest, sessionRequestOf } from './signing/session-request.js';

export type RoastEvent =
  /**
   * Ask `signers` to sign: `request` is what goes on the wire, `session` the full BIP445 context,
   * `pubnonces` the nonces summed into its aggnonce, aligned with `signers` (so a caller can match
   * them against what it tracked by comparing bytes instead of re-adding t points).
   */
  | { type: 'session-started'; sessionId: number; signers: number[]; session: SessionContext; request: SessionRequest; pubnonces: Uint8Array[] }
  /** The final BIP340 signature (already verified under the tweaked key). */
  | { type: 'signature-done'; sessionId: number; signers: number[]; signature: Uint8Array }
  /** Provable misbehaviour; the signer is excluded from now on (report to stake accounting). */
  | { type: 'misbehaviour'; signerId: number; reason: string; sessionId?: number }
  /** A message that was dropped without blame (stale, duplicate, from an excluded signer). */
  | { type: 'ignored'; signerId: number; reason: string };

/** Why a pubnonce sent by two signers was dropped (an `ignored` event for each, no blame). */
export const DUPLICATE_NONCE = 'pubnonce also sent by another signer; dropped without blame';

export interface RoastConfig {
  readonly groupKey: GroupKey;
  readonly msg: Uint8Array;
  readonly tweaks?: readonly Uint8Array[];
  readonly isXonly?: readonly boolean[];
}

interface ReadyNonce {
  pubnonce: Uint8Array;
  /** Decoded when the nonce is first put into a session: a next nonce that is never used is never decoded. */
  R1?: Affine;
  R2?: Affine;
  /** The session whose partial signature this signer sent with this nonce and that is not verified yet. */
  unverifiedIn?: number;
}

interface Session {
  id: number;
  signers: number[];
  nonces: Map<number, ReadyNonce>;
  context: SessionContext;
  values: SessionValues;
  psigs: Map<number, bigint>;
  /** False once a member is found malicious: the session can never complete. */
  live: boolean;
  /** Lagrange coefficients of the members, computed when a check first needs them. */
  lambdas?: bigint[];
  /** Members whose partial signature is known to be valid (checked in a batch or by the final signature). */
  verified: Set<number>;
}

export class RoastCoordinator {
  readonly #groupKey: GroupKey;
  readonly #msg: Uint8Array;
  readonly #tweaks: readonly Uint8Array[];
  readonly #isXonly: readonly boolean[];
  readonly #ready = new Map<number, ReadyNonce>();
  readonly #pendingSessionOf = new Map<number, number>();
  readonly #sessions = new Map<number, Session>();
  readonly #malicious = new Set<number>();
  /** Every pubnonce seen, with the signer that sent it first; null once a second signer sent it too. */
  readonly #nonceOwner = new Map<string, number | null>();
  #nextSessionId = 1;
  #signature: Uint8Array | null = null;

  constructor(config: RoastConfig) {
    const tweaks = config.tweaks ?? [];
    const isXonly = config.isXonly ?? [];
    if (tweaks.length !== isXonly.length) throw new FrostInputError('The tweaks and is_xonly arrays must have the same length.');
    this.#groupKey = config.groupKey;
    this.#msg = Uint8Array.from(config.msg);
    this.#tweaks = tweaks.map((t) => Uint8Array.from(t));
    this.#isXonly = [...isXonly];
  }

  /** Number of sessions started so far. */
  get sessionsStarted(): number {
    return this.#nextSessionId - 1;
  }

  /** The final signature, once produced. */
  get signature(): Uint8Array | null {
    return this.#signature;
  }

  /** Signers marked malicious so far. */
  get maliciousSigners(): readonly number[] {
    return [...this.#malicious].sort((a, b) => a - b);
  }

  /** Whether a signer currently waits in a session (and so cannot be put in another). */
  isPending(signerId: number): boolean {
    return this.#pendingSessionOf.has(signerId);
  }

  /** The session a signer currently waits in, if any. */
  pendingSession(signerId: number): number | undefined {
    return this.#pendingSessionOf.get(signerId);
  }

  /** A signer announces readiness with a fresh pubnonce (its first, or after a restart once its session resolved). */
  onReady(signerId: number, pubnonce: Uint8Array): RoastEvent[] {
    this.#checkSignerId(signerId);
    if (this.#signature !== null) return [{ type: 'ignored', signerId, reason: 'signature already produced' }];
    if (this.#malicious.has(signerId)) return [{ type: 'ignored', signerId, reason: 'signer is excluded as malicious' }];
    if (this.#pendingSessionOf.has(signerId)) {
      // Keeping a signer in one session at a time is what bounds the number of sessions.
      return [{ type: 'ignored', signerId, reason: 'signer still has a pending session' }];
    }
    const events: RoastEvent[] = [];
    if (this.#acceptNonce(signerId, pubnonce, events)) this.#startSessions(events);
    return events;
  }

  /**
   * A signer's response to session `sessionId`: its partial signature and its next pubnonce. An
   * invalid partial signature marks the signer malicious; a valid one completes its part and makes
   * it ready again with the fresh nonce.
   */
  onPartialSig(signerId: number, sessionId: number, psig: Uint8Array, nextPubnonce: Uint8Array): RoastEvent[] {
    this.#checkSignerId(signerId);
    if (this.#signature !== null) return [{ type: 'ignored', signerId, reason: 'signature already produced' }];
    if (this.#malicious.has(signerId)) return [{ type: 'ignored', signerId, reason: 'signer is excluded as malicious' }];
    const session = this.#sessions.get(sessionId);
    if (session === undefined || this.#pendingSessionOf.get(signerId) !== sessionId) {
      return [{ type: 'ignored', signerId, reason: `no pending request for session ${sessionId}` }];
    }
    const events: RoastEvent[] = [];
    this.#pendingSessionOf.delete(signerId);
    let s: bigint;
    try {
      s = scalarFromBytesChecked(psig, 'partial signature');
    } catch {
      this.#markMalicious(signerId, 'invalid partial signature', events, sessionId);
      session.live = false;
      return events;
    }
    session.psigs.set(signerId, s);
    if (session.live && session.psigs.size === session.signers.length) {
      if (this.#finish(session, events)) return events;
      // The aggregate failed: the culprits are named and excluded; this responder may be one of them.
      if (this.#malicious.has(signerId)) return events;
    }
    if (this.#acceptNonce(signerId, nextPubnonce, events)) {
      const ready = this.#ready.get(signerId) as ReadyNonce;
      if (!session.verified.has(signerId)) ready.unverifiedIn = session.id;
      this.#startSessions(events);
    }
    return events;
  }

  /**
   * A signer in session `sessionId` lost the secret nonce it committed to (it restarted). The session can no longer
   * complete; the signer leaves it and may rejoin with a fresh nonce through onReady. Not blamed: a crash is not
   * misbehaviour. The caller bounds how often one signer may do this (each time costs a session).
   */
  onNonceLost(signerId: number, sessionId: number): RoastEvent[] {
    this.#checkSignerId(signerId);
    const session = this.#sessions.get(sessionId);
    if (this.#signature !== null || session === undefined || this.#pendingSessionOf.get(signerId) !== sessionId) {
      return [{ type: 'ignored', signerId, reason: `no pending request for session ${sessionId}` }];
    }
    this.#pendingSessionOf.delete(signerId);
    session.live = false;
    return [];
  }

  #checkSignerId(signerId: number): void {
    if (!Number.isInteger(signerId) || signerId < 0 || signerId >= this.#groupKey.n) throw new FrostInputError(`signer id ${signerId} is out of range`);
  }

  #markMalicious(signerId: number, reason: string, events: RoastEvent[], sessionId?: number): void {
    this.#malicious.add(signerId);
    this.#ready.delete(signerId);
    events.push(sessionId === undefined ? { type: 'misbehaviour', signerId, reason } : { type: 'misbehaviour', signerId, reason, sessionId });
  }

  /**
   * Records a fresh pubnonce; a malformed or replayed nonce is misbehaviour. The encoding is checked
   * here; the points (a square root each) are decoded only when the nonce joins a session.
   */
  #acceptNonce(signerId: number, pubnonce: Uint8Array, events: RoastEvent[]): boolean {
    const prefixOk = (b: number | undefined): boolean => b === 0x02 || b === 0x03;
    if (pubnonce.length !== 66 || !prefixOk(pubnonce[0]) || !prefixOk(pubnonce[33])) {
      this.#markMalicious(signerId, 'invalid pubnonce', events);
      return false;
    }
    const key = bytesToHex(pubnonce);
    if (this.#nonceOwner.has(key)) {
      const owner = this.#nonceOwner.get(key);
      if (owner === signerId) {
        // An honest signer never sends the same nonce twice; using it in a second session could leak its share.
        this.#markMalicious(signerId, 'reused a pubnonce', events);
        return false;
      }
      // The same pubnonce from two signers: one copied the other's, and nobody can tell which. Blaming the second
      // sender would let a copier frame an honest signer, so neither is blamed and neither copy is used (unless
      // the first is already in a session, where only its owner can sign with it).
      this.#nonceOwner.set(key, null);
      if (owner !== null && owner !== undefined) {
        const ready = this.#ready.get(owner);
        if (ready !== undefined && bytesToHex(ready.pubnonce) === key) {
          this.#ready.delete(owner);
          events.push({ type: 'ignored', signerId: owner, reason: DUPLICATE_NONCE });
        }
      }
      events.push({ type: 'ignored', signerId, reason: DUPLICATE_NONCE });
      return false;
    }
    this.#nonceOwner.set(key, signerId);
    this.#ready.set(signerId, { pubnonce: Uint8Array.from(pubnonce) });
    return true;
  }

  #startSessions(events: RoastEvent[]): void {
    const { t } = this.#groupKey;
    while (this.#signature === null && this.#ready.size >= t) {
      const chosen = [...this.#ready.keys()].slice(0, t);
      // A signer whose last answer is still unchecked is checked now, before it can join a second session.
      if (!this.#verifyPending(chosen, events)) continue;
      if (!this.#decodeNonces(chosen, events)) continue;
      const nonces = new Map<number, ReadyNonce>();
      for (const id of chosen) {
        nonces.set(id, this.#ready.get(id) as ReadyNonce);
        this.#ready.delete(id);
      }
      const R1 = sumAffine([...nonces.values()].map((x) => x.R1 as Affine));
      const R2 = sumAffine([...nonces.values()].map((x) => x.R2 as Affine));
      const aggnonce = new Uint8Array(66);
      aggnonce.set(encodeAffineWithInfinity(R1), 0);
      aggnonce.set(encodeAffineWithInfinity(R2), 33);
      const signers = [...chosen].sort((a, b) => a - b);
      const context: SessionContext = {
        aggnonce,
        signersCtx: this.#groupKey.signersContext(signers),
        tweaks: this.#tweaks,
        isXonly: this.#isXonly,
        msg: this.#msg,
      };
      const session: Session = {
        id: this.#nextSessionId++,
        signers,
        nonces,
        context,
        values: getSessionValues(context),
        psigs: new Map(),
        live: true,
        verified: new Set(),
      };
      this.#sessions.set(session.id, session);
      for (const id of signers) this.#pendingSessionOf.set(id, session.id);
      const pubnonces = signers.map((id) => (nonces.get(id) as ReadyNonce).pubnonce);
      events.push({ type: 'session-started', sessionId: session.id, signers, session: context, request: sessionRequestOf(session.id, context), pubnonces });
    }
  }

  /** Decodes the chosen signers' nonces; one that is not a pair of curve points is misbehaviour. */
  #decodeNonces(chosen: readonly number[], events: RoastEvent[]): boolean {
    let clean = true;
    for (const id of chosen) {
      const ready = this.#ready.get(id) as ReadyNonce;
      if (ready.R1 !== undefined) continue;
      try {
        ready.R1 = decodeCompressedAffine(ready.pubnonce.subarray(0, 33));
        ready.R2 = decodeCompressedAffine(ready.pubnonce.subarray(33, 66));
      } catch {
        this.#markMalicious(id, 'invalid pubnonce', events);
        clean = false;
      }
    }
    return clean;
  }

  /**
   * Verifies (batched per session, one by one if the batch fails) the unchecked answers of `chosen`; marks
   * liars malicious. True if every chosen signer is clean.
   */
  #verifyPending(chosen: readonly number[], events: RoastEvent[]): boolean {
    const bySession = new Map<number, number[]>();
    for (const id of chosen) {
      const sid = (this.#ready.get(id) as ReadyNonce).unverifiedIn;
      if (sid === undefined) continue;
      bySession.set(sid, [...(bySession.get(sid) ?? []), id]);
    }
    let clean = true;
    for (const [sid, ids] of bySession) {
      const session = this.#sessions.get(sid) as Session;
      for (const bad of this.#culprits(session, ids)) {
        this.#markMalicious(bad, 'invalid partial signature', events, sid);
        session.live = false;
        clean = false;
      }
      for (const id of ids) {
        const ready = this.#ready.get(id);
        if (ready !== undefined) delete ready.unverifiedIn;
      }
    }
    return clean;
  }

  /** The members of `ids` whose partial signature in `session` is invalid; the others are recorded as verified. */
  #culprits(session: Session, ids: readonly number[], atLeastOneInvalid = false): number[] {
    const lambdas = session.lambdas ?? deriveInterpolatingValues(session.signers);
    session.lambdas = lambdas;
    const claims: PartialSigClaim[] = ids.map((id) => {
      const nonce = session.nonces.get(id) as ReadyNonce;
      return {
        s: session.psigs.get(id) as bigint,
        R1: affineToPoint(nonce.R1 as Affine),
        R2: affineToPoint(nonce.R2 as Affine),
        P: this.#groupKey.pubsharePoints[id] as GroupElement,
        lambda: lambdas[session.signers.indexOf(id)] as bigint,
      };
    });
    const bad = findInvalidPartialSigs(claims, session.values, atLeastOneInvalid).map((k) => ids[k] as number);
    for (const id of ids) if (!bad.includes(id)) session.verified.add(id);
    return bad;
  }

  /**
   * PartialSigAgg on the collected scalars, then the final BIP340 check under the tweaked key. If it
   * fails, checking every member's partial signature names those that are invalid.
   * Returns whether the signature was produced.
   */
  #finish(session: Session, events: RoastEvent[]): boolean {
    const { Q, tacc, R, e } = session.values;
    let s = 0n;
    for (const si of session.psigs.values()) s += si;
    const g = hasEvenY(Q) ? 1n : N - 1n;
    s = (s + ((e * g) % N) * tacc) % N;
    const signature = new Uint8Array(64);
    signature.set(pointToXonly(R), 0);
    signature.set(scalarToBytes(s), 32);
    if (!schnorrVerify(this.#msg, pointToXonly(Q), signature)) {
      // The sum of valid partial signatures is always a valid signature, so at least one is invalid.
      const bad = this.#culprits(session, session.signers, true);
      if (bad.length === 0) throw new Error('aggregate signature failed verification, but no partial signature is invalid');
      session.live = false;
      for (const id of bad) this.#markMalicious(id, 'invalid partial signature', events, session.id);
      for (const id of session.signers) {
        const ready = this.#ready.get(id);
        if (ready?.unverifiedIn === session.id) delete ready.unverifiedIn;
      }
      return false;
    }
    this.#signature = signature;
    for (const id of session.signers) this.#pendingSessionOf.delete(id);
    events.push({ type: 'signature-done', sessionId: session.id, signers: session.signers, signature });
    return true;
  }
}
