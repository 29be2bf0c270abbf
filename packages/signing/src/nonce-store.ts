/**
 * The signer's secret nonces, in memory only: keyed by session and pubnonce, taken at most once, erased (zeroised
 * through SecNonce.consume) when taken, discarded or expired. Nothing here is ever written to disk, so a restarted
 * signer has no nonces and commits to fresh ones.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { SecNonce } from '@tapbridge/frost';

interface Entry {
  sessionId: string;
  secnonce: SecNonce;
  expiresAt: number;
}

export class SecretNonceStore {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  put(sessionId: string, pubnonce: Uint8Array, secnonce: SecNonce): void {
    this.sweep();
    this.#entries.set(`${sessionId}|${bytesToHex(pubnonce)}`, { sessionId, secnonce, expiresAt: this.now() + this.ttlMs });
  }

  /** Removes and returns the secret nonce for a pubnonce we committed to in this session, if we still hold it. */
  take(sessionId: string, pubnonce: Uint8Array | string): SecNonce | undefined {
    const key = `${sessionId}|${typeof pubnonce === 'string' ? pubnonce : bytesToHex(pubnonce)}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    return entry.secnonce.used ? undefined : entry.secnonce;
  }

  /** Erases every nonce of a session (it finished, or the coordinator moved on to a new attempt). */
  discardSession(sessionId: string): number {
    let erased = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.sessionId !== sessionId) continue;
      erase(entry.secnonce);
      this.#entries.delete(key);
      erased++;
    }
    return erased;
  }

  /** Erases expired nonces. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) continue;
      erase(entry.secnonce);
      this.#entries.delete(key);
    }
  }

  clear(): void {
    for (const entry of this.#entries.values()) erase(entry.secnonce);
    this.#entries.clear();
  }
}

function erase(secnonce: SecNonce): void {
  if (!secnonce.used) secnonce.consume().fill(0);
}
