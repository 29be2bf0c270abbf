// A client checked out of the service pool (mid-transaction) whose Postgres link dies must not crash the process:
// the query rejects, the error is reported, and the pool hands out a working client once the link is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TcpProxy, waitFor, type TestDatabase } from '@tapbridge/testing';
import { createServicePool } from '../src/index.js';

let db: TestDatabase;
let proxy: TcpProxy;

beforeAll(async () => {
  db = await createTestDatabase();
  const url = new URL(db.url);
  proxy = await TcpProxy.start({ host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) });
});
afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

describe('service pool', () => {
  it('survives the link dying under a checked-out client, reports it, and serves again after', async () => {
    const url = new URL(db.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const errors: Array<{ where: string; message: string }> = [];
    const pool = createServicePool({ connectionString: url.toString(), max: 2 }, (err, where) => errors.push({ where, message: err.message }));
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      const stuck = client.query('SELECT pg_sleep(30)');
      await proxy.cut();
      await expect(stuck).rejects.toThrow();
      await waitFor('the in-use client error reported', async () => errors.some((e) => e.where === 'in-use'));
      client.release(true);
      await proxy.restore();
      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
