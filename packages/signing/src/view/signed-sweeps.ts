// The signer's own record of the sweeps it approved: written before it returns its nonce, so a restart cannot
// forget a transaction it may have helped sign. The sweep policy reads it to refuse paying a withdrawal twice and
// to bound the outflow per 24 h. Postgres implementation: apps/signer (signed_sweep table); memory: below.

export interface SignedSweep {
  /** Display hex. */
  txid: string;
  /**
   * Input 0's outpoint `txid:vout`: the custody input (or, in a sweep without one, its first deposit). Every RBF
   * version of a sweep spends it, so the sweeps that share it form one conflict family: at most one can confirm.
   */
  spends: string;
  /** Every input outpoint `txid:vout`, input order. */
  inputs: string[];
  /** Withdrawal ids paid, payout order. */
  withdrawalIds: bigint[];
  /** Sum of the payout outputs. */
  payoutSats: bigint;
  /** Output 0 (the new custody UTXO) value. */
  custodyValue: bigint;
  signedAt: Date;
}

export interface SignedSweepStore {
  /** Durable and idempotent per txid (a second record of the same txid keeps the first). */
  record(sweep: SignedSweep): Promise<void>;
  /** Every recorded sweep paying any of these ids. */
  payingAny(ids: readonly bigint[]): Promise<SignedSweep[]>;
  /** Every recorded sweep spending any of these outpoints (`txid:vout`) as any input. */
  spendingAny(outpoints: readonly string[]): Promise<SignedSweep[]>;
  /** Every recorded sweep with the same input 0 outpoint: one conflict family. */
  family(spends: string): Promise<SignedSweep[]>;
  /** Sweeps recorded at or after `since` (the outflow window). */
  signedSince(since: Date): Promise<SignedSweep[]>;
}

export const outpointKey = (txid: string, vout: number): string => `${txid.toLowerCase()}:${vout}`;

/** In memory: tests, benchmarks, tools. */
export class MemorySignedSweepStore implements SignedSweepStore {
  readonly #byTxid = new Map<string, SignedSweep>();

  async record(sweep: SignedSweep): Promise<void> {
    if (!this.#byTxid.has(sweep.txid)) this.#byTxid.set(sweep.txid, { ...sweep, inputs: [...sweep.inputs], withdrawalIds: [...sweep.withdrawalIds] });
  }

  async payingAny(ids: readonly bigint[]): Promise<SignedSweep[]> {
    const wanted = new Set(ids);
    return [...this.#byTxid.values()].filter((s) => s.withdrawalIds.some((id) => wanted.has(id)));
  }

  async spendingAny(outpoints: readonly string[]): Promise<SignedSweep[]> {
    const wanted = new Set(outpoints);
    return [...this.#byTxid.values()].filter((s) => s.inputs.some((o) => wanted.has(o)));
  }

  async family(spends: string): Promise<SignedSweep[]> {
    return [...this.#byTxid.values()].filter((s) => s.spends === spends);
  }

  async signedSince(since: Date): Promise<SignedSweep[]> {
    return [...this.#byTxid.values()].filter((s) => s.signedAt.getTime() >= since.getTime());
  }

  get size(): number {
    return this.#byTxid.size;
  }
}
