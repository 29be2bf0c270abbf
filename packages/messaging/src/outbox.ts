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
      for (const row of rows) {
        await publisher.publishRaw({
          id: row.event_id,
          subject: row.subject,
          version: row.version,
          payload: row.payload,
          ...(row.trace_id ? { traceId: row.trace_id } : {}),
        });
        await this.options.afterPublish?.(row.event_id);
        await tx.query(`UPDATE ${this.table} SET published_at = now(), attempts = attempts + 1 WHERE seq = $1`, [row.seq]);
      }
      const pending = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE published_at IS NULL`);
      pendingGauge.set({ schema }, Number(pending.rows[0]?.n ?? 0));
      return rows.length;
    });
  }
}
