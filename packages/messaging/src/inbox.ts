import { prismaExecutor, qualified, type SqlExecutor } from './sql.js';

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

/** The event was applied before (a redelivery): the transaction is rolled back and the message acked. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
}

/** What a serialised transaction needs of a generated PrismaClient's interactive-transaction client. */
export interface PrismaTransactionClient {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** A generated PrismaClient, by its interactive `$transaction`. */
export interface PrismaTransactions<Tx extends PrismaTransactionClient> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

export interface SerialisedTransactionOptions {
  /** The service's schema: holds the inbox, and scopes the lock. */
  schema: string;
  /** Names the advisory lock: transactions under one name in one schema run one at a time, across replicas too. */
  lock: string;
  /** When set, the transaction first records (consumer, eventId) in the inbox, or fails with DuplicateEventError. */
  claim?: { consumer: string; eventId: string } | undefined;
  /** After the commit (the app wakes the outbox relay, so events leave at once). */
  afterCommit?: (() => void) | undefined;
  /** Last step inside the transaction (a test throws here to see a failed commit leave nothing behind). */
  beforeCommit?: (() => void) | undefined;
}

/**
 * A step of a store may hold its transaction while a loaded machine is slow; Prisma's default interactive-transaction
 * timeout (5 s) would roll it back and retry it forever. Network calls belong outside, so this only bounds Postgres work.
 */
const SERIALISED_TRANSACTION_OPTIONS = { maxWait: 60_000, timeout: 600_000 } as const;

/**
 * A store's transaction: one advisory lock serialises every writer of the store (event intake, blocks, pipeline steps)
 * across replicas, the inbox claim applies an event exactly once, and outbox events written inside commit with the
 * state. Both are raw SQL: a transaction-scoped advisory lock, and an INSERT … ON CONFLICT DO NOTHING claim.
 */
export async function serialisedTransaction<Tx extends PrismaTransactionClient, T>(
  prisma: PrismaTransactions<Tx>,
  o: SerialisedTransactionOptions,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const result = await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`${o.lock}:${o.schema}`}))`;
    if (o.claim && !(await claimEvent(prismaExecutor(tx), o.schema, o.claim.consumer, o.claim.eventId)))
      throw new DuplicateEventError(`${o.claim.eventId} already applied`);
    const r = await fn(tx);
    o.beforeCommit?.();
    return r;
  }, SERIALISED_TRANSACTION_OPTIONS);
  o.afterCommit?.();
  return result;
}
