import type { Pool } from 'pg';
import { gauge } from '@tapbridge/observability';
import type { Logger } from '@tapbridge/observability';
import { validatePayload, type EventDefinition, type EventPayload } from './catalog.js';
import type { EventPublisher } from './publisher.js';
import { qualified, withTransaction, type SqlExecutor } from './sql.js';

const pendingGauge = gauge('tapbridge_outbox_pending', 'Outbox events not yet published', ['schema']);

/**
 * Writes an event into the service's outbox inside the caller's transaction, so the event exists exactly when the
 * state change does. The same event id twice is stored once. Returns false for a duplicate.
 */
export async function enqueueEvent<E extends EventDefinition>(
  tx: SqlExecutor,
  schema: string,
  event: E,
  payload: EventPayload<E>,
  traceId?: string,
): Promise<boolean> {
  const valid = validatePayload(event, payload);
  const res = await tx.query(
    `INSERT INTO ${qualified(schema, 'outbox')} (event_id, subject, version, payload, trace_id)
     VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
    [event.id(valid), event.subject, event.version, JSON.stringify(valid), traceId ?? null],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Events validated and serialised for `enqueueEventBatch`; prepare them before opening the transaction. */
export interface OutboxBatch {
  readonly json: string;
  readonly size: number;
}

/**
 * Validates a batch of events against the catalog (as `enqueueEvent` does, one by one) and serialises them. An
 * `expectedId` that differs from the catalog's id is an error: producers that precompute ids must agree with it.
 */
export function prepareOutboxBatch(
  events: ReadonlyArray<{ event: EventDefinition; payload: unknown; expectedId?: string }>,
): OutboxBatch {
  const rows = events.map(({ event, payload, expectedId }) => {
    const valid = validatePayload(event, payload);
    const id = event.id(valid);
    if (expectedId !== undefined && expectedId !== id) throw new Error(`event id ${expectedId} does not match the catalog's ${id}`);
    return { event_id: id, subject: event.subject, version: event.version, payload: valid };
  });
  return { json: JSON.stringify(rows), size: rows.length };
}

/**
 * `enqueueEvent` for a whole batch in one INSERT: same columns, same ON CONFLICT (event_id) DO NOTHING, rows in
 * array order (so seq, and publication, follow it). One statement instead of a round trip per event is what lets
 * a catch-up store tens of thousands of events a second.
 */
export async function enqueueEventBatch(tx: SqlExecutor, schema: string, batch: OutboxBatch): Promise<void> {
  if (batch.size === 0) return;
  await tx.query(
    `INSERT INTO ${qualified(schema, 'outbox')} (event_id, subject, version, payload)
     SELECT r->>'event_id', r->>'subject', (r->>'version')::int, r->'payload'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, ord)
     ORDER BY ord
     ON CONFLICT (event_id) DO NOTHING`,
    [batch.json],
  );
}

export interface OutboxRelayOptions {
  pool: Pool;
  schema: string;
  publisher: EventPublisher;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Test hook: runs after an event is accepted by JetStream and before it is marked sent. */
  afterPublish?: (eventId: string) => void | Promise<void>;
}

/**
 * Publishes outbox rows to JetStream in commit order, with Nats-Msg-Id = event id, and marks them sent.
 * One relay per schema works at a time (a transaction-scoped advisory lock), so replicas never reorder events.
 * A crash after publish and before mark-sent republishes the same id: JetStream drops it within its duplicate
 * window and consumers' inboxes drop it after that.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wakeRequested = false;
  private readonly table: string;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = qualified(options.schema, 'outbox');
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Ask for a pass now (after a local commit) instead of waiting for the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wakeRequested = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.loop().finally(() => (this.running = undefined));
    }, ms);
  }

  private async loop(): Promise<void> {
    let delay = this.options.pollIntervalMs ?? 200;
    try {
      let n: number;
      do {
        this.wakeRequested = false;
        n = await this.publishBatch();
      } while (!this.stopped && (n === (this.options.batchSize ?? 100) || this.wakeRequested));
    } catch (err) {
      this.options.logger.warn({ err, schema: this.options.schema }, 'outbox relay pass failed; will retry');
      delay = Math.max(delay, 1_000);
    }
    if (!this.stopped) this.schedule(delay);
  }

  /** One pass: returns how many events were published. */
  async publishBatch(): Promise<number> {
    const { pool, schema, publisher } = this.options;
    return withTransaction(pool, async (tx) => {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [
        `tapbridge-outbox:${schema}`,
      ]);
      if (!lock.rows[0]?.ok) return 0;
      const { rows } = await tx.query<{ seq: string; event_id: string; subject: string; version: number; payload: unknown; trace_id: string | null }>(
        `SELECT seq, event_id, subject, version, payload, trace_id FROM ${this.table}
         WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [this.options.batchSize ?? 100],
      );
      // One at a time, each acknowledged before the next is sent: a failed publish then never has a later event
      // stored ahead of it (commit order is the stream order consumers rely on).
      for (const row of rows) {
        await publisher.publishRaw({
          id: row.event_id,
          subject: row.subject,
          version: row.version,
          payload: row.payload,
          ...(row.trace_id ? { traceId: row.trace_id } : {}),
        });
        await this.options.afterPublish?.(row.event_id);
      }
      // Marked sent in one statement of the same transaction (per-row UPDATEs were a round trip per event and
      // committed no earlier): a crash before COMMIT republishes the batch, deduplicated by event id, as before.
      if (rows.length > 0) {
        await tx.query(`UPDATE ${this.table} SET published_at = now(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
      }
      const pending = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE published_at IS NULL`);
      pendingGauge.set({ schema }, Number(pending.rows[0]?.n ?? 0));
      return rows.length;
    });
  }
}
