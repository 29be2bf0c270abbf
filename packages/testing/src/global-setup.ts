/**
 * Vitest global setup: gives the run its token (every worker inherits TBTEST_RUN), and at the end removes what the
 * run's tests created on the shared servers and did not remove themselves: `tbtest_<run>_*` databases, JetStream
 * streams (and KV buckets) whose names carry the token, and Redis keys carrying it. What it had to sweep is printed
 * by name (databases, streams, and Redis keys as patterns), so a test that leaks is noticed and found rather than
 * hidden: the label of a uniquePrefix (`nestfd…`) names the test that chose it.
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
    const report = describeSwept(token, await sweepRun(token));
    if (report) console.warn(`[test-run ${token}] swept what tests left behind:\n${report}`);
    else console.log(`[test-run ${token}] nothing left behind on the shared servers`);
  };
}

/** What one run's sweep removed, by name. */
export interface Swept {
  databases: string[];
  streams: string[];
  redisKeys: string[];
}

/** Removes everything of one run from the shared Postgres, NATS and Redis; returns the names of what it removed. */
export async function sweepRun(token: string): Promise<Swept> {
  const [databases, streams, redisKeys] = await Promise.all([dropDatabases(token), deleteStreams(token), deleteRedisKeys(token)]);
  return { databases, streams, redisKeys };
}

/**
 * The sweep as lines a reader can act on, or '' when nothing was left: databases and streams by name, Redis keys
 * grouped into patterns (ids and counters become `*`) with how many keys each matched. The run token and the random
 * tail of a uniquePrefix become `<run>`, so the label in front of it (the test's choice) stands out.
 */
export function describeSwept(token: string, swept: Swept): string {
  const run = (name: string) => name.replace(new RegExp(`${token}[0-9a-f]{0,6}`, 'gi'), '<run>');
  const lines: string[] = [];
  const list = (what: string, names: string[]) => {
    if (names.length > 0) lines.push(`  ${names.length} ${what}: ${[...names].sort().map(run).join(', ')}`);
  };
  list('databases', swept.databases);
  list('streams', swept.streams);
  if (swept.redisKeys.length > 0) {
    const patterns = new Map<string, number>();
    for (const key of swept.redisKeys) {
      const pattern = redisKeyPattern(run(key));
      patterns.set(pattern, (patterns.get(pattern) ?? 0) + 1);
    }
    const shown = [...patterns].sort(([a], [b]) => a.localeCompare(b)).map(([p, n]) => (n > 1 ? `${p} (${n})` : p));
    lines.push(`  ${swept.redisKeys.length} redis keys: ${shown.join(', ')}`);
  }
  return lines.join('\n');
}

/** A key with its variable parts (numbers, hex ids and hashes, uuids) replaced by `*`, segment by segment. */
export function redisKeyPattern(key: string): string {
  return key
    .split(':')
    .map((part) => (/^(\d[\d.]*|[0-9a-f]{8,}|[0-9a-f-]{36})$/i.test(part) ? '*' : part))
    .join(':');
}

async function dropDatabases(token: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: postgresUrl() });
  try {
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`tbtest\\_${token}\\_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.map((r) => r.datname);
  } catch (err) {
    console.warn(`[test-run ${token}] could not sweep Postgres: ${(err as Error).message}`);
    return [];
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function deleteStreams(token: string): Promise<string[]> {
  let nc;
  try {
    nc = await connect({ servers: natsUrl(), timeout: 3_000 });
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.toLowerCase().includes(token)) names.push(name);
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
    return names;
  } catch (err) {
    console.warn(`[test-run ${token}] could not sweep NATS: ${(err as Error).message}`);
    return [];
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

async function deleteRedisKeys(token: string): Promise<string[]> {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const removed: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${token}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0 && (await redis.del(...keys)) > 0) removed.push(...keys);
    } while (cursor !== '0');
    return removed;
  } catch (err) {
    console.warn(`[test-run ${token}] could not sweep Redis: ${(err as Error).message}`);
    return [];
  } finally {
    redis.disconnect();
  }
}
