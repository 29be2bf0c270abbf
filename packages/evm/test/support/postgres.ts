// A throwaway schema per test run, created from the checked-in migration and dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { evmMigrationSql } from '../../src/index.js';

export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export interface TestSchema {
  pool: pg.Pool;
  schema: string;
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const schema = `evm_test_${randomBytes(5).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const client = await pool.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`SET search_path TO "${schema}"`);
    for (const sql of evmMigrationSql()) await client.query(sql);
    await client.query('RESET search_path');
  } finally {
    client.release();
  }
  return {
    pool,
    schema,
    async drop() {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

/**
 * Wraps a pool so that the next `COMMIT` fails, as if the process died or the database went away at the
 * last moment of a block commit. Everything the transaction wrote must then be rolled back by Postgres.
 */
export function poolFailingNextCommit(pool: pg.Pool): { pool: pg.Pool; armed: () => boolean } {
  let armed = true;
  const wrapped = Object.create(pool) as pg.Pool;
  // Plain queries (reads) go straight to the real pool; only transactions take the connect() path below.
  wrapped.query = pool.query.bind(pool) as pg.Pool['query'];
  wrapped.connect = (async () => {
    const client = await pool.connect();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      if (armed && args[0] === 'COMMIT') {
        armed = false;
        throw new Error('simulated crash at COMMIT');
      }
      return query(...args);
    };
    return client;
  }) as pg.Pool['connect'];
  return { pool: wrapped, armed: () => armed };
}

/**
 * Wraps a pool so that the next `COMMIT` succeeds but its reply is lost: the caller sees an error although the
 * block is durable, as when the connection drops right after Postgres committed.
 */
export function poolLosingNextCommitAck(pool: pg.Pool): pg.Pool {
  let armed = true;
  const wrapped = Object.create(pool) as pg.Pool;
  wrapped.query = pool.query.bind(pool) as pg.Pool['query'];
  wrapped.connect = (async () => {
    const client = await pool.connect();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      const result = await query(...args);
      if (armed && args[0] === 'COMMIT') {
        armed = false;
        throw new Error('connection lost after COMMIT');
      }
      return result;
    };
    return client;
  }) as pg.Pool['connect'];
  return wrapped;
}
