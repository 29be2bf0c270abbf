// Read side of the REST API: straight from the header table (the store is the truth, memory is a cache of it).
import { decodeHeader, hashToHex } from '@tapbridge/bitcoin';
import { qualified } from '@tapbridge/messaging';
import type { Pool } from 'pg';
import type { ForkTipDto, HeaderDto } from './header-dto.js';

interface HeaderRow {
  hash: string;
  height: number;
  raw: Buffer;
  chainwork: string;
  in_best: boolean;
}

const COLUMNS = 'hash, height, raw, chainwork, in_best';

export class HeaderQueries {
  private readonly header: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.header = qualified(schema, 'header');
  }

  private async tipHeight(): Promise<number> {
    const r = await this.pool.query<{ height: number }>(`SELECT height FROM ${this.header} WHERE in_best ORDER BY height DESC LIMIT 1`);
    return r.rows[0]?.height ?? -1;
  }

  private toDto(row: HeaderRow, tipHeight: number): HeaderDto {
    const raw = new Uint8Array(row.raw);
    const h = decodeHeader(raw);
    return {
      height: row.height,
      hash: row.hash,
      prevHash: hashToHex(h.prevHash),
      merkleRoot: hashToHex(h.merkleRoot),
      version: h.version,
      time: h.time,
      bits: (h.bits >>> 0).toString(16).padStart(8, '0'),
      nonce: h.nonce,
      chainwork: row.chainwork,
      header: Buffer.from(raw).toString('hex'),
      inBest: row.in_best,
      confirmations: row.in_best ? tipHeight - row.height + 1 : 0,
    };
  }

  async tip(): Promise<HeaderDto | undefined> {
    const r = await this.pool.query<HeaderRow>(`SELECT ${COLUMNS} FROM ${this.header} WHERE in_best ORDER BY height DESC LIMIT 1`);
    const row = r.rows[0];
    return row ? this.toDto(row, row.height) : undefined;
  }

  async byHeight(height: number): Promise<HeaderDto | undefined> {
    const r = await this.pool.query<HeaderRow>(`SELECT ${COLUMNS} FROM ${this.header} WHERE in_best AND height = $1`, [height]);
    const row = r.rows[0];
    return row ? this.toDto(row, await this.tipHeight()) : undefined;
  }

  async byHash(hash: string): Promise<HeaderDto | undefined> {
    const r = await this.pool.query<HeaderRow>(`SELECT ${COLUMNS} FROM ${this.header} WHERE hash = $1`, [hash.toLowerCase()]);
    const row = r.rows[0];
    return row ? this.toDto(row, await this.tipHeight()) : undefined;
  }

  async range(from: number, to: number): Promise<HeaderDto[]> {
    const [r, tip] = await Promise.all([
      this.pool.query<HeaderRow>(`SELECT ${COLUMNS} FROM ${this.header} WHERE in_best AND height BETWEEN $1 AND $2 ORDER BY height`, [from, to]),
      this.tipHeight(),
    ]);
    return r.rows.map((row) => this.toDto(row, tip));
  }

  /** Tips of stored branches off the best chain (the most recent `limit`), with where each leaves the best chain. */
  async forkTips(limit = 50): Promise<ForkTipDto[]> {
    const r = await this.pool.query<{ hash: string; height: number; chainwork: string; fork_height: number | null }>(
      `WITH RECURSIVE tips AS (
         SELECT h.hash, h.height, h.chainwork FROM ${this.header} h
         WHERE NOT h.in_best AND NOT EXISTS (SELECT 1 FROM ${this.header} c WHERE NOT c.in_best AND c.prev_hash = h.hash)
         ORDER BY h.height DESC LIMIT $1
       ), walk AS (
         SELECT t.hash AS tip, h.prev_hash, h.height, h.in_best FROM tips t JOIN ${this.header} h ON h.hash = t.hash
         UNION ALL
         SELECT w.tip, p.prev_hash, p.height, p.in_best FROM walk w JOIN ${this.header} p ON p.hash = w.prev_hash WHERE NOT w.in_best
       )
       SELECT t.hash, t.height, t.chainwork, (SELECT max(w.height) FROM walk w WHERE w.tip = t.hash AND w.in_best) AS fork_height
       FROM tips t ORDER BY t.height DESC, t.hash`,
      [limit],
    );
    return r.rows.map((row) => {
      const forkHeight = row.fork_height ?? row.height - 1;
      return { height: row.height, hash: row.hash, chainwork: row.chainwork, forkHeight, branchLength: row.height - forkHeight };
    });
  }
}
