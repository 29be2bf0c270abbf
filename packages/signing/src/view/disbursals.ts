// The signer's own record of emergency disbursals (issue 11): the ones it approved signing, and, once a sweep showed
// it every signature, the fully signed transactions of the custody output that sweep creates. A sweep is signed only
// after its output's disbursal is stored here signed. Memory implementation below; a signer that restarts asks for
// the signatures again with the next sweep request (the sweep carries them), so nothing it needs is lost.
import type { DisbursalTerms } from '../policy/disbursal-context.js';

export interface StoredDisbursal {
  /** The custody output disbursed: `txid:vout`. */
  custody: string;
  terms: DisbursalTerms;
  /** Unsigned txids, intermediate first. */
  txids: string[];
  /** Signed raw transactions (intermediate first), once every signature was verified. */
  signedHex?: string[];
  at: Date;
}

export interface DisbursalStore {
  /** Idempotent per (custody, txids): a second record of the same disbursal keeps the first, signed wins. */
  record(d: StoredDisbursal): Promise<void>;
  /** The signed disbursal of a custody output, if stored. */
  signed(custody: string): Promise<StoredDisbursal | undefined>;
  /** The newest signed disbursal. */
  latestSigned(): Promise<StoredDisbursal | undefined>;
}

export class MemoryDisbursalStore implements DisbursalStore {
  readonly #rows: StoredDisbursal[] = [];

  async record(d: StoredDisbursal): Promise<void> {
    const same = this.#rows.findIndex((r) => r.custody === d.custody && r.txids.join() === d.txids.join());
    if (same === -1) this.#rows.push(d);
    else if (!this.#rows[same]!.signedHex && d.signedHex) this.#rows[same] = d;
  }

  async signed(custody: string): Promise<StoredDisbursal | undefined> {
    return this.#rows.findLast((r) => r.custody === custody && r.signedHex !== undefined);
  }

  async latestSigned(): Promise<StoredDisbursal | undefined> {
    return this.#rows.findLast((r) => r.signedHex !== undefined);
  }
}
