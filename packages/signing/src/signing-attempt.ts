/**
 * One attempt at a signature on the coordinator: ROAST (packages/frost RoastCoordinator) over the signers'
 * nonce commitments and partial signatures, with signers named by 1-based index. The coordinator starts a new
 * attempt (fresh nonces from everyone) after it restarts or when the attempt stalls; secret nonces of an old
 * attempt are never asked for again, since every session id carries the attempt number.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { DUPLICATE_NONCE, RoastCoordinator, type GroupKey } from '@tapbridge/frost';
import { resolveTweak, type SigningRequest } from './request.js';

export type MisbehaviourReason = 'invalid_partial_signature' | 'protocol_violation';

export type AttemptEvent =
  | { type: 'session-started'; roastSession: number; signers: number[]; pubnonces: string[]; aggnonce: string }
  | { type: 'signature-done'; roastSession: number; signers: number[]; signature: Uint8Array }
  | { type: 'misbehaviour'; signer: number; reason: MisbehaviourReason; detail: string; roastSession?: number }
  | { type: 'ignored'; signer: number; reason: string };

export interface SigningAttemptOptions {
  groupKey: GroupKey;
  request: SigningRequest;
  /** `${requestId}#${attempt}`: what signers key their nonces by. */
  sessionId: string;
}

/** The session id signers see for attempt `attempt` of request `requestId`. */
export function attemptSessionId(requestId: string, attempt: number): string {
  return `${requestId}#${attempt}`;
}

/**
 * How often one signer may come back within an attempt (after losing its nonce in a restart, or after a copied
 * nonce was dropped). Each return costs a ROAST session, so it is bounded: a signer cannot stall an attempt forever.
 */
export const MAX_RETURNS_PER_ATTEMPT = 3;

export class SigningAttempt {
  readonly n: number;
  readonly t: number;
  readonly outputKey: Uint8Array;
  readonly #roast: RoastCoordinator;
  /** The pubnonce each ready signer's next session will use. */
  readonly #readyNonce = new Map<number, string>();
  readonly #refused = new Map<number, string>();
  readonly #responded = new Set<number>();
  readonly #returns = new Map<number, number>();

  constructor(readonly o: SigningAttemptOptions) {
    this.n = o.groupKey.n;
    this.t = o.groupKey.t;
    const { tweak, outputKey } = resolveTweak(o.groupKey.xonly, o.request.tweak);
    this.outputKey = outputKey;
    this.#roast = new RoastCoordinator({ groupKey: o.groupKey, msg: o.request.message, tweaks: [tweak], isXonly: [true] });
  }

  get sessionId(): string {
    return this.o.sessionId;
  }

  get signature(): Uint8Array | null {
    return this.#roast.signature;
  }

  get sessionsStarted(): number {
    return this.#roast.sessionsStarted;
  }

  /** Signers marked malicious in this attempt (1-based). */
  get malicious(): number[] {
    return this.#roast.maliciousSigners.map((id) => id + 1);
  }

  get refused(): ReadonlyMap<number, string> {
    return this.#refused;
  }

  /** Whether a nonce request should (still) go to this signer: it has not answered, refused or been excluded. */
  wantsNonce(signer: number): boolean {
    return !this.#responded.has(signer) && !this.#refused.has(signer) && !this.malicious.includes(signer);
  }

  /** Too many signers refused or were excluded for t honest ones to remain. */
  get hopeless(): boolean {
    const out = new Set([...this.#refused.keys(), ...this.malicious]);
    return this.n - out.size < this.t;
  }

  onNonce(signer: number, pubnonce: string): AttemptEvent[] {
    this.#responded.add(signer);
    return this.#translate(this.#roast.onReady(signer - 1, hexToBytes(pubnonce)), signer, pubnonce);
  }

  onPartial(signer: number, roastSession: number, psig: string, nextPubnonce: string): AttemptEvent[] {
    return this.#translate(this.#roast.onPartialSig(signer - 1, roastSession, hexToBytes(psig), hexToBytes(nextPubnonce)), signer, nextPubnonce);
  }

  /** A policy refusal is final for this attempt; the signer is not asked again. */
  onRefusal(signer: number, reason: string): void {
    this.#responded.add(signer);
    this.#refused.set(signer, reason);
  }

  /** The ROAST session a signer was asked to sign in and has not answered yet. */
  pendingSession(signer: number): number | undefined {
    return this.#roast.pendingSession(signer - 1);
  }

  /**
   * A signer in `roastSession` answered that it no longer holds its secret nonce (it restarted): it leaves that
   * session unblamed and is asked for a fresh nonce, so it rejoins the rest of the attempt. False when the
   * signer is not waiting in that session, or came back too often already.
   */
  onNonceLost(signer: number, roastSession: number): boolean {
    if (this.#roast.pendingSession(signer - 1) !== roastSession || !this.#mayReturn(signer)) return false;
    this.#roast.onNonceLost(signer - 1, roastSession);
    this.#responded.delete(signer);
    return true;
  }

  #mayReturn(signer: number): boolean {
    const returns = this.#returns.get(signer) ?? 0;
    if (returns >= MAX_RETURNS_PER_ATTEMPT) return false;
    this.#returns.set(signer, returns + 1);
    return true;
  }

  #translate(events: ReturnType<RoastCoordinator['onReady']>, signer: number, offered: string): AttemptEvent[] {
    const out: AttemptEvent[] = [];
    const rejectedOffer = events.some((e) => (e.type === 'misbehaviour' || e.type === 'ignored') && e.signerId === signer - 1) || events.some((e) => e.type === 'signature-done');
    if (!rejectedOffer) this.#readyNonce.set(signer, offered);
    for (const e of events) {
      if (e.type === 'session-started') {
        const signers = e.signers.map((id) => id + 1);
        const pubnonces = signers.map((s) => {
          const p = this.#readyNonce.get(s);
          if (p === undefined) throw new Error(`ROAST started a session with signer ${s}, whose nonce is unknown`);
          this.#readyNonce.delete(s);
          return p;
        });
        const aggnonce = bytesToHex(e.session.aggnonce);
        // The session's aggregate must be the sum of exactly the nonces we will show the signers: ROAST reports the
        // pubnonces it summed, so comparing bytes suffices (no second point addition of t nonces).
        const summed = e.pubnonces.map((p) => bytesToHex(p));
        if (summed.length !== pubnonces.length || summed.some((p, i) => p !== pubnonces[i])) throw new Error('ROAST session nonces do not match the tracked commitments');
        out.push({ type: 'session-started', roastSession: e.sessionId, signers, pubnonces, aggnonce });
      } else if (e.type === 'signature-done') {
        out.push({ type: 'signature-done', roastSession: e.sessionId, signers: e.signers.map((id) => id + 1), signature: e.signature });
      } else if (e.type === 'misbehaviour') {
        const reason: MisbehaviourReason = /partial signature/.test(e.reason) ? 'invalid_partial_signature' : 'protocol_violation';
        out.push({ type: 'misbehaviour', signer: e.signerId + 1, reason, detail: e.reason, ...(e.sessionId !== undefined ? { roastSession: e.sessionId } : {}) });
      } else {
        const who = e.signerId + 1;
        if (e.reason === DUPLICATE_NONCE) {
          // Neither copy of a duplicated nonce is used; both signers are asked for a fresh one (bounded).
          this.#readyNonce.delete(who);
          if (this.#mayReturn(who)) this.#responded.delete(who);
        }
        out.push({ type: 'ignored', signer: who, reason: e.reason });
      }
    }
    return out;
  }
}
