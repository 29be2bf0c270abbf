import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from './url.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one test run, so parallel runs and files never see each other's rows. `drop()` removes it
 * (terminating leftover connections). Names are `tbtest_<run>_…`, where <run> is the vitest run's token (TBTEST_RUN,
 * packages/testing/src/run-token.ts), so the run's global teardown drops whatever a killed or failed test left behind.
 */
export async function createTestDatabase(
  baseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
): Promise<TestDatabase> {
  const run = process.env.TBTEST_RUN ?? 'adhoc';
  const name = `tbtest_${run}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(baseUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
