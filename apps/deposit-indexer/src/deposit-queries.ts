// Read side of the REST API: plain SQL over the service's own schema.
import type { Pool } from 'pg';
import type { DepositStatus } from '@tapbridge/deposits';
import { qualified } from '@tapbridge/messaging';

export interface DepositView {
  txid: string;
  vout: number;
  kind: 'taproot' | 'op_return';
  status: DepositStatus;
  amountSats: string;
  recipient: string;
  maxFeeSats: string;
  scriptPubKey: string;
  depositScript?: string;
  reclaimScript?: string;
  lockBlocks?: number;
  blockHash?: string;
  blockHeight?: number;
  confirmations: number;
  merkleProof?: string;
  registeredAt: string;
  updatedAt: string;
}

export interface HistoryView {
  status: DepositStatus;
  blockHash?: string;
  blockHeight?: number;
  detail: string;
  at: string;
}

export interface CustodyUtxoView {
  txid: string;
  vout: number;
  amountSats: string;
  blockHash: string;
  blockHeight: number;
  confirmations: number;
}

interface Row {
  txid: string;
  vout: number;
  kind: 'taproot' | 'op_return';
  status: DepositStatus;
  amount_sats: string;
  recipient: string;
  max_fee_sats: string;
  script_pub_key: string;
  deposit_script: string | null;
  reclaim_script: string | null;
  lock_blocks: number | null;
  created_at: Date;
  updated_at: Date;
  block_hash: string | null;
  block_height: number | null;
  merkle_proof: string | null;
  tip_height: number | null;
  cursor_at: string;
}

export class DepositQueries {
  private readonly t: (table: string) => string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.t = (table) => qualified(schema, table);
  }

  /** Deposits with their current best-chain output (if any), newest first, after an opaque cursor. */
  private select(where: string): string {
    // cursor_at keeps Postgres' microseconds, which a JS Date would drop (and with them rows from the next page).
    return `SELECT d.*, s.block_hash, s.block_height, s.merkle_proof, (SELECT max(height) FROM ${this.t('chain_block')}) AS tip_height,
        to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
      FROM ${this.t('deposit')} d
      LEFT JOIN ${this.t('sighting')} s ON s.txid = d.txid AND s.vout = d.vout AND s.kind = 'output'
      ${where}`;
  }

  private view(r: Row): DepositView {
    return {
      txid: r.txid,
      vout: r.vout,
      kind: r.kind,
      status: r.status,
      amountSats: r.amount_sats,
      recipient: r.recipient,
      maxFeeSats: r.max_fee_sats,
      scriptPubKey: r.script_pub_key,
      ...(r.deposit_script !== null ? { depositScript: r.deposit_script, reclaimScript: r.reclaim_script!, lockBlocks: r.lock_blocks! } : {}),
      ...(r.block_hash !== null ? { blockHash: r.block_hash, blockHeight: r.block_height!, merkleProof: r.merkle_proof! } : {}),
      confirmations: r.block_height !== null && r.tip_height !== null ? r.tip_height - r.block_height + 1 : 0,
      registeredAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    };
  }

  async one(txid: string, vout: number): Promise<(DepositView & { history: HistoryView[] }) | undefined> {
    const r = await this.pool.query<Row>(this.select('WHERE d.txid = $1 AND d.vout = $2'), [txid, vout]);
    if (!r.rows[0]) return undefined;
    const h = await this.pool.query<{ status: DepositStatus; block_hash: string | null; block_height: number | null; detail: string; at: Date }>(
      `SELECT status, block_hash, block_height, detail, at FROM ${this.t('deposit_history')} WHERE txid = $1 AND vout = $2 ORDER BY seq`,
      [txid, vout],
    );
    return {
      ...this.view(r.rows[0]),
      history: h.rows.map((e) => ({
        status: e.status,
        ...(e.block_hash !== null ? { blockHash: e.block_hash, blockHeight: e.block_height! } : {}),
        detail: e.detail,
        at: e.at.toISOString(),
      })),
    };
  }

  /** A page of deposits, newest first; `cursor` is the last item's `registeredAt|txid|vout` from the previous page. */
  async list(filter: { recipient?: string; status?: DepositStatus; limit: number; cursor?: { at: string; txid: string; vout: number } }): Promise<{ items: DepositView[]; nextCursor?: string }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.recipient) {
      params.push(filter.recipient.toLowerCase());
      where.push(`d.recipient = $${params.length}`);
    }
    if (filter.status) {
      params.push(filter.status);
      where.push(`d.status = $${params.length}`);
    }
    if (filter.cursor) {
      params.push(filter.cursor.at, filter.cursor.txid, filter.cursor.vout);
      where.push(`(d.created_at, d.txid, d.vout) < ($${params.length - 2}::timestamptz, $${params.length - 1}, $${params.length})`);
    }
    params.push(filter.limit + 1);
    const sql = this.select(where.length ? `WHERE ${where.join(' AND ')}` : '') + ` ORDER BY d.created_at DESC, d.txid DESC, d.vout DESC LIMIT $${params.length}`;
    const r = await this.pool.query<Row>(sql, params);
    const rows = r.rows.slice(0, filter.limit);
    const last = rows[rows.length - 1];
    return {
      items: rows.map((row) => this.view(row)),
      ...(r.rows.length > filter.limit && last ? { nextCursor: `${last.cursor_at}|${last.txid}|${last.vout}` } : {}),
    };
  }

  async custodyUtxos(): Promise<{ tipHeight?: number; totalSats: string; utxos: CustodyUtxoView[] }> {
    const r = await this.pool.query<{ txid: string; vout: number; amount_sats: string; block_hash: string; block_height: number; tip_height: number }>(
      `SELECT u.txid, u.vout, u.amount_sats, u.block_hash, u.block_height, (SELECT max(height) FROM ${this.t('chain_block')}) AS tip_height
       FROM ${this.t('custody_utxo')} u WHERE u.spent_block_hash IS NULL ORDER BY u.block_height, u.txid, u.vout`,
    );
    const tip = await this.tipHeight();
    return {
      ...(tip !== undefined ? { tipHeight: tip } : {}),
      totalSats: r.rows.reduce((sum, u) => sum + BigInt(u.amount_sats), 0n).toString(),
      utxos: r.rows.map((u) => ({ txid: u.txid, vout: u.vout, amountSats: u.amount_sats, blockHash: u.block_hash, blockHeight: u.block_height, confirmations: u.tip_height - u.block_height + 1 })),
    };
  }

  async tipHeight(): Promise<number | undefined> {
    const r = await this.pool.query<{ h: number | null }>(`SELECT max(height) AS h FROM ${this.t('chain_block')}`);
    return r.rows[0]?.h ?? undefined;
  }

  async tipHash(): Promise<string | undefined> {
    const r = await this.pool.query<{ hash: string }>(`SELECT hash FROM ${this.t('chain_block')} ORDER BY height DESC LIMIT 1`);
    return r.rows[0]?.hash;
  }

  async exists(txid: string, vout: number): Promise<boolean> {
    const r = await this.pool.query(`SELECT 1 FROM ${this.t('deposit')} WHERE txid = $1 AND vout = $2`, [txid, vout]);
    return (r.rowCount ?? 0) > 0;
  }
}
