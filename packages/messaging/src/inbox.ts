import { qualified, type SqlExecutor } from './sql.js';

/**
 * Records that `consumer` has applied `eventId`, inside the caller's transaction. Returns false when it was already
 * recorded: the caller must then skip its effect (the message is a redelivery) and ack.
 */
export async function claimEvent(tx: SqlExecutor, schema: string, consumer: string, eventId: string): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO ${qualified(schema, 'inbox')} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, eventId],
  );
  return (res.rowCount ?? 0) > 0;
}
