import type { Pool, PoolClient } from 'pg';

/** The smallest surface the outbox and inbox need: a pg client inside a transaction, or an adapter over Prisma's. */
export interface SqlExecutor {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** Runs `fn` in one Postgres transaction on a pooled client; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Adapts a Prisma interactive transaction so the outbox/inbox write in the same transaction as the service. */
export function prismaExecutor(tx: {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}): SqlExecutor {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      const rows = await tx.$queryRawUnsafe<R[]>(sql, ...params);
      return { rows, rowCount: rows.length };
    },
  };
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
export function qualified(schema: string, table: string): string {
  if (!IDENT.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return `"${schema}"."${table}"`;
}
