/**
 * The secret nonce (BIP445 "secnonce"): k1 ‖ k2. Reusing it for two different sessions reveals the
 * secret share, so this object is single-use: signing zeroises it, a second use throws, and it has
 * no serialisation (JSON, inspection and structured cloning all refuse or redact).
 */
import { NonceReuseError, FrostInputError } from '../errors.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class SecNonce {
  #bytes: Uint8Array;
  #used = false;
  /** k1·G ‖ k2·G when known, so signing need not recompute it for its self-check. */
  readonly pubnonce: Uint8Array | null;

  private constructor(bytes: Uint8Array, pubnonce: Uint8Array | null) {
    this.#bytes = bytes;
    this.pubnonce = pubnonce;
  }

  /** Wraps freshly generated k1 ‖ k2 (64 bytes) and its pubnonce. The caller must drop its own copy. */
  static fromFreshBytes(bytes: Uint8Array, pubnonce: Uint8Array | null = null): SecNonce {
    if (bytes.length !== 64) throw new FrostInputError('A secret nonce is 64 bytes.');
    if (pubnonce !== null && pubnonce.length !== 66) throw new FrostInputError('A pubnonce is 66 bytes.');
    return new SecNonce(Uint8Array.from(bytes), pubnonce === null ? null : Uint8Array.from(pubnonce));
  }

  /**
   * Imports k1 ‖ k2 from elsewhere (test vectors, a hardware signer). Dangerous: importing the
   * same bytes twice defeats the single-use guarantee; never persist secret nonces.
   */
  static import(bytes: Uint8Array): SecNonce {
    return SecNonce.fromFreshBytes(bytes, null);
  }

  /** True once the nonce has been consumed by a signing attempt. */
  get used(): boolean {
    return this.#used;
  }

  /**
   * Hands k1 ‖ k2 to the signer exactly once and zeroises the stored copy before returning, so
   * even a signing attempt that fails afterwards cannot be retried with the same nonce.
   */
  consume(): Uint8Array {
    if (this.#used) throw new NonceReuseError('This secret nonce has already been used; generate a fresh one.');
    this.#used = true;
    const copy = Uint8Array.from(this.#bytes);
    this.#bytes.fill(0);
    return copy;
  }

  toJSON(): never {
    throw new FrostInputError('Secret nonces cannot be serialised.');
  }

  toString(): string {
    return 'SecNonce(<redacted>)';
  }

  [INSPECT](): string {
    return this.toString();
  }
}
