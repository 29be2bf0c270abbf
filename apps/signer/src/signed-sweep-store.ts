// The signer's record of approved sweeps in its own Postgres schema (signed_sweep). The sweep policy writes a sweep
// here before the signer returns a nonce for it, so a restart cannot forget what it may have helped sign.
import { qualified } from '@tapbridge/messaging';
import type { SignedSweep, SignedSweepStore } from '@tapbridge/signing';
import type { Pool } from 'pg';

interface Row {
  txid: string;
  spends: string;
  inputs: string[];
  withdrawal_ids: string[];
  payout_sats: string;
  custody_value: string;
  signed_at: Date;
}

const fromRow = (r: Row): SignedSweep => ({
  txid: r.txid,
  spends: r.spends,
  inputs: r.inputs,
  withdrawalIds: r.withdrawal_ids.map((id) => BigInt(id)),
  payoutSats: BigInt(r.payout_sats),
  custodyValue: BigInt(r.custody_value),
  signedAt: r.signed_at,
});

export class PostgresSignedSweepStore implements SignedSweepStore {
  readonly #table: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.#table = qualified(schema, 'signed_sweep');
  }

  async record(s: SignedSweep): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.#table} (txid, spends, inputs, withdrawal_ids, payout_sats, custody_value, signed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (txid) DO NOTHING`,
      [s.txid, s.spends, s.inputs, s.withdrawalIds.map(String), s.payoutSats.toString(), s.custodyValue.toString(), s.signedAt],
    );
  }

  async payingAny(ids: readonly bigint[]): Promise<SignedSweep[]> {
    if (ids.length === 0) return [];
    return this.#select('withdrawal_ids && $1::text[]', [ids.map(String)]);
  }

  async spendingAny(outpoints: readonly string[]): Promise<SignedSweep[]> {
    if (outpoints.length === 0) return [];
    return this.#select('inputs && $1::text[]', [[...outpoints]]);
  }

  async family(spends: string): Promise<SignedSweep[]> {
    return this.#select('spends = $1', [spends]);
  }

  async signedSince(since: Date): Promise<SignedSweep[]> {
    return this.#select('signed_at >= $1', [since]);
  }

  async #select(where: string, params: unknown[]): Promise<SignedSweep[]> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM ${this.#table} WHERE ${where} ORDER BY signed_at, txid`, params);
    return rows.map(fromRow);
  }
}
