import type { Pool } from 'pg';
import { counter, gauge } from '@tapbridge/observability';
import type { Logger } from '@tapbridge/observability';
import { STREAMS, validatePayload, type EventDefinition, type EventPayload } from './catalog.js';
import type { EventPublisher } from './publisher.js';
import { qualified, withTransaction, type SqlExecutor } from './sql.js';

const pendingGauge = gauge('tapbridge_outbox_pending', 'Outbox events not yet published', ['schema']);
const chainRestarts = counter(
  'tapbridge_outbox_chain_restarts_total',
  'Relay passes whose chain of publishes into a stream broke (a publish lost or refused, or another publisher in between) and restarted at the first row not stored',
  ['schema', 'stream'],
);

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
  /** Rows read (and marked sent) per pass. */
  batchSize?: number;
  /** Publishes awaiting their JetStream ack at once; 1 publishes one at a time, each acked before the next. */
  maxInFlight?: number;
  pollIntervalMs?: number;
  /** Test hook: runs after an event is accepted by JetStream and before it is marked sent. */
  afterPublish?: (eventId: string) => void | Promise<void>;
}

// A Bitcoin block's deposits (up to ~2,000) go out in one pass: the gap between passes (mark sent, commit, next read)
// can outlast a batching consumer's quiet period and split the block over two L2 blocks.
const DEFAULT_BATCH_SIZE = 2_000;
const DEFAULT_MAX_IN_FLIGHT = 256;

type OutboxRow = { seq: string; event_id: string; subject: string; version: number; payload: unknown; trace_id: string | null };

/** The stream an outbox subject goes to (by its first token, as STREAMS declares them); unknown roots are their own. */
function streamKey(subject: string): string {
  const root = subject.split('.')[0] ?? subject;
  for (const [name, subjects] of Object.entries(STREAMS)) if (subjects.some((s) => s.split('.')[0] === root)) return name;
  return root;
}

/** JetStream refused a publish because the stream's last message was not the one it was chained to. */
function isChainBreak(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 10070 || (typeof e.message === 'string' && /wrong last msg id/i.test(e.message));
}

/**
 * Publishes outbox rows to JetStream in commit order, with Nats-Msg-Id = event id, and marks them sent.
 * One relay per schema works at a time (a transaction-scoped advisory lock), so replicas never reorder events.
 * A crash after publish and before mark-sent republishes the same id: JetStream drops it within its duplicate
 * window and consumers' inboxes drop it after that.
 *
 * Publishes are pipelined (up to maxInFlight awaiting their acks). Order per stream is kept by chaining: each
 * publish carries Nats-Expected-Last-Msg-Id = the id of the row before it in the same stream and pass, so JetStream
 * stores a row only directly after its predecessor. If one is lost or refused (a dropped connection, a retry, another
 * publisher's message in between), every later row of that stream fails its expectation instead of landing ahead of
 * it; the acked rows are marked sent and the next pass starts again at the first row not stored. A republished row
 * is acked as a duplicate before its expectation is checked, so a pass after a crash chains through the rows that
 * had already landed.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wakeRequested = false;
  /** The last pass stopped a stream's chain early: rows are left that the next pass should take at once. */
  private unfinished = false;
  private readonly table: string;
  private readonly batchSize: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = qualified(options.schema, 'outbox');
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
    if (!Number.isSafeInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
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
      } while (!this.stopped && (n === this.batchSize || this.wakeRequested || this.unfinished));
    } catch (err) {
      this.options.logger.warn({ err, schema: this.options.schema }, 'outbox relay pass failed; will retry');
      delay = Math.max(delay, 1_000);
    }
    if (!this.stopped) this.schedule(delay);
  }

  /**
   * One pass: returns how many events were published (acked by JetStream and marked sent). A publish that failed
   * for another reason than its chain is rethrown after the acked rows are marked.
   */
  async publishBatch(): Promise<number> {
    const { pool, schema } = this.options;
    this.unfinished = false;
    const outcome = await withTransaction(pool, async (tx) => {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [
        `tapbridge-outbox:${schema}`,
      ]);
      if (!lock.rows[0]?.ok) return { published: 0, error: undefined };
      const { rows } = await tx.query<OutboxRow>(
        `SELECT seq, event_id, subject, version, payload, trace_id FROM ${this.table}
         WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [this.batchSize],
      );
      const { acked, error, broken } = await this.publishRows(rows);
      // Marked sent in one statement of the same transaction: a crash before COMMIT republishes the batch,
      // deduplicated by event id, as before.
      if (acked.length > 0) {
        await tx.query(`UPDATE ${this.table} SET published_at = now(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])`, [acked]);
      }
      const pending = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE published_at IS NULL`);
      pendingGauge.set({ schema }, Number(pending.rows[0]?.n ?? 0));
      this.unfinished = broken && error === undefined && acked.length > 0;
      return { published: acked.length, error };
    });
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.published;
  }

  /** Publishes rows in order, chained per stream, up to maxInFlight at once; returns the seqs JetStream acked. */
  private async publishRows(rows: readonly OutboxRow[]): Promise<{ acked: string[]; error: unknown; broken: boolean }> {
    const { publisher, afterPublish } = this.options;
    const acked: string[] = [];
    let error: unknown;
    let broken = false;
    const lastIdOf = new Map<string, string>();
    /** Streams whose chain failed in this pass: their later rows are not sent (they could only fail). */
    const stopped = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    for (const row of rows) {
      if (error !== undefined) break;
      const stream = streamKey(row.subject);
      if (stopped.has(stream)) continue;
      const expectLastMsgId = lastIdOf.get(stream);
      lastIdOf.set(stream, row.event_id);
      const sent = publisher
        .publishRaw(
          { id: row.event_id, subject: row.subject, version: row.version, payload: row.payload, ...(row.trace_id ? { traceId: row.trace_id } : {}) },
          expectLastMsgId === undefined ? {} : { expectLastMsgId },
        )
        .then(
          async () => {
            await afterPublish?.(row.event_id);
            acked.push(row.seq);
          },
          (err: unknown) => {
            if (!stopped.has(stream)) {
              chainRestarts.inc({ schema: this.options.schema, stream });
              this.options.logger.debug({ schema: this.options.schema, stream, eventId: row.event_id, err: (err as Error).message }, 'outbox chain broke; the next pass resumes at the first row not stored');
            }
            stopped.add(stream);
            broken = true;
            if (!isChainBreak(err)) error ??= err;
          },
        );
      const tracked: Promise<void> = sent.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= this.maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return { acked, error, broken };
  }
}
