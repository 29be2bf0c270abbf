// SweepStore over the service's Postgres schema. Every transaction takes one advisory lock, so event intake, block
// application and pipeline steps never interleave (across replicas too), and writes its events to the outbox in
// the same transaction as the state.
import type { PoolClient } from 'pg';
import { claimEvent, enqueueEvent, qualified, type EventDefinition, type EventPayload } from '@tapbridge/messaging';
import { custodyFeeOf, type ChainBlock, type DepositRecord, type DepositState, type HaltState, type OutpointRef, type SweepFamily, type SweepStore, type SweepStoreTx, type SweepVersion, type WithdrawalHistoryEntry, type WithdrawalRecord, type WithdrawalStatus } from '@tapbridge/sweeps';
import { fromJson, toJson } from './record-json.js';

/** The event was applied before (a redelivery): the transaction is rolled back and the message acked. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
}

export interface PostgresSweepStoreOptions {
  schema: string;
  /** Runs `fn` in one transaction (the runtime's, which wakes the outbox relay after commit). */
  transaction<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T>;
}

export class PostgresSweepStore implements SweepStore {
  constructor(
    private readonly o: PostgresSweepStoreOptions,
    private readonly claim?: { consumer: string; eventId: string },
  ) {}

  /** The same store, whose transactions apply the event `eventId` exactly once. */
  claiming(consumer: string, eventId: string): PostgresSweepStore {
    return new PostgresSweepStore(this.o, { consumer, eventId });
  }

  transaction<T>(fn: (tx: SweepStoreTx) => Promise<T>): Promise<T> {
    return this.o.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tapbridge-sweeps:${this.o.schema}`]);
      if (this.claim && !(await claimEvent(client, this.o.schema, this.claim.consumer, this.claim.eventId)))
        throw new DuplicateEventError(`${this.claim.eventId} already applied`);
      return fn(new PostgresTx(client, this.o.schema));
    });
  }
}

type Row = { data: unknown };

class PostgresTx implements SweepStoreTx {
  private readonly t: (table: string) => string;

  constructor(
    private readonly c: PoolClient,
    private readonly schema: string,
  ) {
    this.t = (table) => qualified(schema, table);
  }

  private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.c.query<Row>(sql, params)).rows.map((r) => fromJson<T>(r.data));
  }

  // ---- chain ----
  private block(r: { hash: string; height: number; prev_hash: string }): ChainBlock {
    return { hash: r.hash, height: r.height, prevHash: r.prev_hash };
  }
  async tip() {
    const r = await this.c.query<{ hash: string; height: number; prev_hash: string }>(`SELECT hash, height, prev_hash FROM ${this.t('chain_block')} WHERE is_tip`);
    return r.rows[0] && this.block(r.rows[0]);
  }
  async getBlock(hash: string) {
    const r = await this.c.query<{ hash: string; height: number; prev_hash: string }>(`SELECT hash, height, prev_hash FROM ${this.t('chain_block')} WHERE hash = $1`, [hash]);
    return r.rows[0] && this.block(r.rows[0]);
  }
  async putBlock(b: ChainBlock) {
    await this.c.query(`UPDATE ${this.t('chain_block')} SET is_tip = false WHERE is_tip`);
    await this.c.query(
      `INSERT INTO ${this.t('chain_block')} (hash, height, prev_hash, is_tip) VALUES ($1, $2, $3, true)
       ON CONFLICT (hash) DO UPDATE SET is_tip = true`,
      [b.hash, b.height, b.prevHash],
    );
  }
  async deleteBlock(hash: string) {
    const r = await this.c.query<{ prev_hash: string; is_tip: boolean }>(`DELETE FROM ${this.t('chain_block')} WHERE hash = $1 RETURNING prev_hash, is_tip`, [hash]);
    const gone = r.rows[0];
    if (gone?.is_tip) await this.c.query(`UPDATE ${this.t('chain_block')} SET is_tip = true WHERE hash = $1`, [gone.prev_hash]);
  }

  // ---- withdrawals ----
  async getWithdrawal(id: bigint) {
    return (await this.rows<WithdrawalRecord>(`SELECT data FROM ${this.t('withdrawal')} WHERE id = $1`, [id.toString()]))[0];
  }
  async putWithdrawal(w: WithdrawalRecord) {
    await this.c.query(
      `INSERT INTO ${this.t('withdrawal')} (id, sender, status, sweep_txid, data) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, sweep_txid = EXCLUDED.sweep_txid, data = EXCLUDED.data, updated_at = now()`,
      [w.id.toString(), w.sender, w.status, w.sweepTxid ?? null, toJson(w)],
    );
  }
  async withdrawalsByStatus(statuses: readonly WithdrawalStatus[]) {
    return this.rows<WithdrawalRecord>(`SELECT data FROM ${this.t('withdrawal')} WHERE status = ANY($1::text[]) ORDER BY id`, [statuses]);
  }
  async withdrawalsBySender(sender: string) {
    return this.rows<WithdrawalRecord>(`SELECT data FROM ${this.t('withdrawal')} WHERE sender = $1 ORDER BY id`, [sender.toLowerCase()]);
  }
  async appendHistory(e: WithdrawalHistoryEntry) {
    await this.c.query(`INSERT INTO ${this.t('withdrawal_history')} (withdrawal_id, status, detail, sweep_txid) VALUES ($1, $2, $3, $4)`, [
      e.withdrawalId.toString(), e.status, e.detail, e.sweepTxid ?? null,
    ]);
  }

  async historyOf(id: bigint) {
    const r = await this.c.query<{ status: WithdrawalStatus; detail: string; sweep_txid: string | null }>(
      `SELECT status, detail, sweep_txid FROM ${this.t('withdrawal_history')} WHERE withdrawal_id = $1 ORDER BY seq`,
      [id.toString()],
    );
    return r.rows.map((h) => ({ withdrawalId: id, status: h.status, detail: h.detail, ...(h.sweep_txid ? { sweepTxid: h.sweep_txid } : {}) }));
  }

  // ---- deposits ----
  async getDeposit(ref: OutpointRef) {
    return (await this.rows<DepositRecord>(`SELECT data FROM ${this.t('deposit')} WHERE txid = $1 AND vout = $2`, [ref.txid, ref.vout]))[0];
  }
  async putDeposit(d: DepositRecord) {
    await this.c.query(
      `INSERT INTO ${this.t('deposit')} (txid, vout, state, block_height, data) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (txid, vout) DO UPDATE SET state = EXCLUDED.state, block_height = EXCLUDED.block_height, data = EXCLUDED.data`,
      [d.txid, d.vout, d.state, d.blockHeight, toJson(d)],
    );
  }
  async depositsByState(states: readonly DepositState[]) {
    return this.rows<DepositRecord>(`SELECT data FROM ${this.t('deposit')} WHERE state = ANY($1::text[]) ORDER BY block_height, txid, vout`, [states]);
  }

  // ---- sweeps ----
  async nextFamilyId() {
    const r = await this.c.query<{ n: number }>(`SELECT coalesce(max(id), 0) + 1 AS n FROM ${this.t('sweep_family')}`);
    return Number(r.rows[0]!.n);
  }
  async putFamily(f: SweepFamily) {
    await this.c.query(
      `INSERT INTO ${this.t('sweep_family')} (id, status, data) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, data = EXCLUDED.data`,
      [f.id, f.status, toJson(f)],
    );
  }
  async getFamily(id: number) {
    return (await this.rows<SweepFamily>(`SELECT data FROM ${this.t('sweep_family')} WHERE id = $1`, [id]))[0];
  }
  async familiesByStatus(status: SweepFamily['status']) {
    return this.rows<SweepFamily>(`SELECT data FROM ${this.t('sweep_family')} WHERE status = $1 ORDER BY id DESC`, [status]);
  }
  async putVersion(v: SweepVersion) {
    await this.c.query(
      `INSERT INTO ${this.t('sweep_version')} (txid, family_id, version, status, signing_at, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       ON CONFLICT (txid) DO UPDATE SET status = EXCLUDED.status, signing_at = EXCLUDED.signing_at, data = EXCLUDED.data, updated_at = now()`,
      [v.txid, v.familyId, v.version, v.status, v.signingAt ?? null, toJson(v)],
    );
  }
  async getVersion(txid: string) {
    return (await this.rows<SweepVersion>(`SELECT data FROM ${this.t('sweep_version')} WHERE txid = $1`, [txid]))[0];
  }
  async versionsOf(familyId: number) {
    return this.rows<SweepVersion>(`SELECT data FROM ${this.t('sweep_version')} WHERE family_id = $1 ORDER BY version`, [familyId]);
  }

  async versionsSigningSince(since: Date) {
    return this.rows<SweepVersion>(`SELECT data FROM ${this.t('sweep_version')} WHERE signing_at >= $1 ORDER BY family_id, version`, [since]);
  }

  // ---- pipeline state ----
  async halt() {
    return (await this.rows<HaltState>(`SELECT data FROM ${this.t('halt')} WHERE id = 1`))[0];
  }
  async setHalt(h: HaltState) {
    await this.c.query(`INSERT INTO ${this.t('halt')} (id, data) VALUES (1, $1::jsonb) ON CONFLICT (id) DO NOTHING`, [toJson(h)]);
  }
  async feesPaidSats() {
    const confirmed = await this.rows<SweepVersion>(`SELECT data FROM ${this.t('sweep_version')} WHERE status = 'confirmed'`);
    return confirmed.reduce((sum, v) => sum + custodyFeeOf(v), 0n);
  }

  async emit<E extends EventDefinition>(event: E, payload: EventPayload<E>) {
    await enqueueEvent(this.c, this.schema, event, payload);
  }
}
