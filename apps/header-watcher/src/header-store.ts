// The watcher's HeaderStore in Postgres (schema header_watcher). One update = one transaction: header rows, the
// best-chain flags and the btc.header.* outbox rows, so the events exist exactly when the headers do.
import { bytesToHex, checkpointToJson, chainworkToHex, hashToHex, parseCheckpoint } from '@tapbridge/bitcoin';
import { HeaderStoreMismatchError, type ChainUpdate, type HeaderStore, type StoredChain } from '@tapbridge/light-client';
import { btcHeaderConnected, btcHeaderDisconnected, enqueueEventBatch, qualified, type OutboxBatch } from '@tapbridge/messaging';
import type { Pool, PoolClient } from 'pg';

export interface PostgresHeaderStoreOptions {
  pool: Pool;
  schema: string;
  network: string;
  /** Runs `fn` in one transaction (ServiceRuntime.transaction: also wakes the outbox relay after commit). */
  transaction<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T>;
}

const EVENT_DEFS = { 'btc.header.connected': btcHeaderConnected, 'btc.header.disconnected': btcHeaderDisconnected } as const;

/**
 * Raw SQL on the runtime's pool rather than Prisma, deliberately: apply() is the sync hot path (a generate_series
 * batch insert of up to SYNC_BATCH_SIZE headers, set-based flag flips and an ON CONFLICT root upsert, in one
 * transaction with the outbox rows) and load() bulk-reads the chain once at start-up. Benches and the store test
 * drive it with a bare pool.
 */
export class PostgresHeaderStore implements HeaderStore {
  private readonly header: string;
  private readonly root: string;

  constructor(private readonly o: PostgresHeaderStoreOptions) {
    this.header = qualified(o.schema, 'header');
    this.root = qualified(o.schema, 'chain_root');
  }

  async load(): Promise<StoredChain | undefined> {
    const { rows } = await this.o.pool.query<{ network: string; origin_height: number; origin_hash: string; checkpoint: unknown }>(
      `SELECT network, origin_height, origin_hash, checkpoint FROM ${this.root} WHERE id = 1`,
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.network !== this.o.network)
      throw new HeaderStoreMismatchError(`the database holds ${row.network} headers but BITCOIN_NETWORK is ${this.o.network}; use another database`);
    const root = parseCheckpoint(row.checkpoint);
    // Two index scans (header_best_height, header_side_height). The best chain is re-added first, so a restored
    // equal-work fork cannot displace the stored best tip.
    const [best, side] = await Promise.all(
      ['in_best', 'NOT in_best'].map(async (which) => {
        const r = await this.o.pool.query<{ raw: Buffer }>(
          `SELECT raw FROM ${this.header} WHERE ${which} AND height > $1 ORDER BY height`,
          [root.height],
        );
        return r.rows.map((h) => new Uint8Array(h.raw));
      }),
    );
    return { origin: { height: row.origin_height, hash: row.origin_hash }, root, best: best!, side: side! };
  }

  async apply(update: ChainUpdate): Promise<void> {
    // Serialise before opening the transaction: it holds locks only while writing.
    const events = outboxJson(update);
    const rows = headerRows(update);
    await this.o.transaction(async (tx) => {
      if (update.leftBest.length > 0)
        await tx.query(`UPDATE ${this.header} SET in_best = false WHERE hash = ANY($1::text[]) AND in_best`, [update.leftBest]);
      // Fixed-width fields travel as one hex string each, decoded once and cut by offset in SQL (substring on bytea
      // is O(1); on text in a UTF-8 database it walks the string): a text[] parameter costs an escape pass per
      // element in the driver and an array parse in Postgres.
      if (rows.count > 0)
        await tx.query(
          `INSERT INTO ${this.header} (hash, height, prev_hash, raw, chainwork, in_best)
           SELECT encode(substring(d.h FROM i * 32 + 1 FOR 32), 'hex'), ($2::int[])[i + 1], encode(substring(d.p FROM i * 32 + 1 FOR 32), 'hex'),
                  substring(d.r FROM i * 80 + 1 FOR 80), encode(substring(d.w FROM i * 32 + 1 FOR 32), 'hex'), get_byte(d.b, i) = 1
           FROM (SELECT decode($1, 'hex') AS h, decode($3, 'hex') AS p, decode($4, 'hex') AS r, decode($5, 'hex') AS w, decode($6, 'hex') AS b) d,
                generate_series(0, $7::int - 1) AS i
           ORDER BY i
           ON CONFLICT (hash) DO NOTHING`,
          [rows.hashes, rows.heights, rows.prevHashes, rows.raws, rows.chainworks, rows.inBest, rows.count],
        );
      if (update.joinedBest.length > 0)
        await tx.query(`UPDATE ${this.header} SET in_best = true WHERE hash = ANY($1::text[]) AND NOT in_best`, [update.joinedBest]);
      if (events.size > 0) await enqueueEventBatch(tx, this.o.schema, events);
      if (update.root) {
        const origin = update.origin ?? { height: update.root.height, hash: update.root.hash };
        // The origin is written once, by the first update; later ones only move the root.
        await tx.query(
          `INSERT INTO ${this.root} (id, network, origin_height, origin_hash, height, hash, checkpoint)
           VALUES (1, $1, $2, $3, $4, $5, $6::jsonb)
           ON CONFLICT (id) DO UPDATE SET height = EXCLUDED.height, hash = EXCLUDED.hash, checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
          [this.o.network, origin.height, origin.hash, update.root.height, update.root.hash, JSON.stringify(checkpointToJson(update.root))],
        );
      }
    });
  }
}

/**
 * The update's events as outbox rows, in order. Their payloads were built from validated chain entries by
 * @tapbridge/light-client's event constructors (typed against the catalog), so they are not re-validated with
 * the catalog's zod schema here: that check cost more CPU per header than the rest of the write. The id is still
 * recomputed with the catalog's rule, so a producer that disagrees with it fails loudly.
 */
function outboxJson(update: ChainUpdate): OutboxBatch {
  const rows = update.events.map((e) => {
    const def = EVENT_DEFS[e.subject];
    const id = def.id(e.payload as never);
    if (id !== e.id) throw new Error(`event id ${e.id} does not match the catalog's ${id}`);
    return { event_id: id, subject: def.subject, version: def.version, payload: e.payload };
  });
  return { json: JSON.stringify(rows), size: rows.length };
}

/** The inserted headers as concatenated fixed-width hex (see apply), parents before children. */
function headerRows(update: ChainUpdate) {
  const inserted = update.inserted;
  // A connected event already carries the hex a header row needs; compute it only for headers without one.
  const hexOf = new Map<string, { header: string; prevHash: string; chainwork: string }>();
  for (const e of update.events) if (e.subject === 'btc.header.connected') hexOf.set(e.payload.hash, e.payload);
  const hashes: string[] = [];
  const heights: number[] = [];
  const prevHashes: string[] = [];
  const raws: string[] = [];
  const chainworks: string[] = [];
  let inBest = '';
  for (const { entry, inBest: best } of inserted) {
    const hex = hexOf.get(entry.hash);
    hashes.push(entry.hash);
    heights.push(entry.height);
    prevHashes.push(hex?.prevHash ?? hashToHex(entry.header.prevHash));
    raws.push(hex?.header ?? bytesToHex(entry.raw));
    chainworks.push(hex?.chainwork ?? chainworkToHex(entry.chainwork));
    inBest += best ? '01' : '00';
  }
  return { count: inserted.length, hashes: hashes.join(''), heights, prevHashes: prevHashes.join(''), raws: raws.join(''), chainworks: chainworks.join(''), inBest };
}
