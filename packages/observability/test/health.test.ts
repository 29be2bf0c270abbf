import pg from 'pg';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateNatsServer, TcpProxy, waitFor } from '@tapbridge/testing';
import { natsCheck, postgresCheck, redisCheck, runChecks } from '../src/index.js';

let pgProxy: TcpProxy;
let nats: PrivateNatsServer;
let pool: pg.Pool;
let nc: NatsConnection;
let redis: Redis;

beforeAll(async () => {
  pgProxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
  nats = await PrivateNatsServer.start();
  pool = new pg.Pool({ connectionString: `postgresql://postgres@127.0.0.1:${pgProxy.port}/postgres`, connectionTimeoutMillis: 1_000 });
  pool.on('error', () => {}); // idle clients die when the proxy is cut; the pool replaces them
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await nc.close();
  await pool.end();
  redis.disconnect();
  await nats.stop();
  await pgProxy.close();
});

const checks = () => [postgresCheck(pool), natsCheck(() => nc), redisCheck(redis)];

describe('readiness', () => {
  it('is ready when Postgres, NATS and Redis answer', async () => {
    const report = await runChecks(checks());
    expect(report).toEqual({ ready: true, checks: { postgres: { ok: true }, nats: { ok: true }, redis: { ok: true } } });
  });

  it('turns false when Postgres goes away and true when it comes back', async () => {
    await pgProxy.cut();
    const down = await runChecks(checks());
    expect(down.ready).toBe(false);
    expect(down.checks.postgres?.ok).toBe(false);
    expect(down.checks.nats?.ok).toBe(true);
    await pgProxy.restore();
    await waitFor('ready again after Postgres returns', async () => (await runChecks(checks())).ready);
  });

  it('turns false when NATS goes away and true when it comes back', async () => {
    await nats.pause();
    await waitFor('NATS reported down', async () => {
      const r = await runChecks(checks());
      return !r.ready && r.checks.nats?.ok === false && r.checks.postgres?.ok === true;
    });
    await nats.resume();
    await waitFor('ready again after NATS returns', async () => (await runChecks(checks())).ready, 20_000);
  });
});
