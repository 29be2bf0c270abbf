/**
 * Vitest global setup: gives the run its token (every worker inherits TBTEST_RUN), and at the end removes what the
 * run's tests created on the shared servers and did not remove themselves: `tbtest_<run>_*` databases, JetStream
 * streams (and KV buckets) whose names carry the token, and Redis keys carrying it. What it had to sweep is printed,
 * so a test that leaks is noticed rather than hidden.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { testRunToken } from './run-token.js';

const postgresUrl = () => process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const natsUrl = () => process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = () => process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function setup(): () => Promise<void> {
  const token = testRunToken();
  return async () => {
    const swept = await sweepRun(token);
    const leaks = Object.entries(swept).filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`);
    if (leaks.length > 0) console.warn(`[test-run ${token}] swept what tests left behind: ${leaks.join(', ')}`);
    else console.log(`[test-run ${token}] nothing left behind on the shared servers`);
  };
}

/** Removes everything of one run from the shared Postgres, NATS and Redis; returns how much of each it removed. */
export async function sweepRun(token: string): Promise<Record<string, number>> {
  const [databases, streams, redisKeys] = await Promise.all([dropDatabases(token), deleteStreams(token), deleteRedisKeys(token)]);
  return { databases, streams, 'redis keys': redisKeys };
}

async function dropDatabases(token: string): Promise<number> {
  const admin = new pg.Client({ connectionString: postgresUrl() });
  try {
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`tbtest\\_${token}\\_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.length;
  } catch (err) {
    console.warn(`[test-run ${token}] could not sweep Postgres: ${(err as Error).message}`);
    return 0;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function deleteStreams(token: string): Promise<number> {
  let nc;
  try {
    nc = await connect({ servers: natsUrl(), timeout: 3_000 });
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.toLowerCase().includes(token)) names.push(name);
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
    return names.length;
  } catch (err) {
    console.warn(`[test-run ${token}] could not sweep NATS: ${(err as Error).message}`);
    return 0;
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

async function deleteRedisKeys(token: string): Promise<number> {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${token}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== '0');
    return removed;
  } catch (err) {
    console.warn(`[test-run ${token}] could not sweep Redis: ${(err as Error).message}`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
