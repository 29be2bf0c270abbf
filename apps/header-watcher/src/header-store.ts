// The watcher's HeaderStore in Postgres (schema header_watcher). One update = one transaction: header rows, the
// best-chain flags and the btc.header.* outbox rows, so the events exist exactly when the headers do.
import { bytesToHex, checkpointToJson, chainworkToHex, hashToHex, parseCheckpoint } from '@tapbridge/bitcoin';
import { HeaderStoreMismatchError, type ChainUpdate, type HeaderStore, type StoredChain } from '@tapbridge/light-client';
import { btcHeaderConnected, btcHeaderDisconnected, enqueueEventBatch, prepareOutboxBatch, qualified } from '@tapbridge/messaging';
import type { Pool, PoolClient } from 'pg';

export interface PostgresHeaderStoreOptions {
  pool: Pool;
  schema: string;
  network: string;
  /** Runs `fn` in one transaction (ServiceRuntime.transaction: also wakes the outbox relay after commit). */
  transaction<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T>;
}

const EVENT_DEFS = { 'btc.header.connected': btcHeaderConnected, 'btc.header.disconnected': btcHeaderDisconnected } as const;

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
    // Validate and serialise before opening the transaction: it holds locks only while writing.
    const events = prepareOutboxBatch(update.events.map((e) => ({ event: EVENT_DEFS[e.subject], payload: e.payload, expectedId: e.id })));
    const inserted = update.inserted;
    // A connected event already carries the hex a header row needs; compute it only for headers without one.
    const hexOf = new Map<string, { header: string; prevHash: string; chainwork: string }>();
    for (const e of update.events) if (e.subject === 'btc.header.connected') hexOf.set(e.payload.hash, e.payload);
    const rowHex = inserted.map(({ entry }) => hexOf.get(entry.hash) ?? {
      header: bytesToHex(entry.raw),
      prevHash: hashToHex(entry.header.prevHash),
      chainwork: chainworkToHex(entry.chainwork),
    });
    await this.o.transaction(async (tx) => {
      if (update.leftBest.length > 0)
        await tx.query(`UPDATE ${this.header} SET in_best = false WHERE hash = ANY($1::text[]) AND in_best`, [update.leftBest]);
      if (inserted.length > 0)
        await tx.query(
          `INSERT INTO ${this.header} (hash, height, prev_hash, raw, chainwork, in_best)
           SELECT h, ht, p, decode(r, 'hex'), cw, b FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bool[]) AS t(h, ht, p, r, cw, b)
           ON CONFLICT (hash) DO NOTHING`,
          [
            inserted.map((i) => i.entry.hash),
            inserted.map((i) => i.entry.height),
            rowHex.map((h) => h.prevHash),
            rowHex.map((h) => h.header),
            rowHex.map((h) => h.chainwork),
            inserted.map((i) => i.inBest),
          ],
        );
      if (update.joinedBest.length > 0)
        await tx.query(`UPDATE ${this.header} SET in_best = true WHERE hash = ANY($1::text[]) AND NOT in_best`, [update.joinedBest]);
      await enqueueEventBatch(tx, this.o.schema, events);
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
