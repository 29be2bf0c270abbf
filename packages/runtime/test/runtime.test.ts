import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '@tapbridge/db';
import { createLogger } from '@tapbridge/observability';
import { defineEvent, deleteStreams, EventCatalog, enqueueEvent, OUTBOX_INBOX_SQL_PATH, prismaExecutor, satsAmount } from '@tapbridge/messaging';
import { createTestDatabase, repoRoot, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { mkdtemp, mkdir, copyFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ServiceRuntime } from '../src/index.js';
import { PrismaClient } from './fixtures/generated/prisma/client.js';

const SCHEMA = 'ledger_fixture';
const credited = defineEvent({
  subject: 'test.credit.recorded',
  version: 1,
  stream: 'TEST',
  schema: z.object({ creditId: z.string(), amountSats: satsAmount }),
  id: (p) => `test.credit.recorded:${p.creditId}`,
});
const catalog = new EventCatalog([credited]);

let db: TestDatabase;
let runtime: ServiceRuntime;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-rt-'));
  await mkdir(path.join(dir, '0001_init'));
  await copyFile(OUTBOX_INBOX_SQL_PATH, path.join(dir, '0001_init', 'migration.sql'));
  await mkdir(path.join(dir, '0002_credit'));
  await writeFile(path.join(dir, '0002_credit', 'migration.sql'), 'CREATE TABLE credit (id text PRIMARY KEY, amount_sat bigint NOT NULL CHECK (amount_sat > 0));');
  runtime = await ServiceRuntime.start({
    service: 'runtime-test', schema: SCHEMA, databaseUrl: db.url, natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', streamPrefix: uniquePrefix(), catalog,
    logger: createLogger('runtime-test', { level: 'silent' }), migrationsDir: dir,
  });
  prisma = createPrismaClient(PrismaClient, { databaseUrl: db.url, schema: SCHEMA });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await deleteStreams(runtime.messaging.jsm, runtime.messaging.naming);
  await runtime?.close();
  await db?.drop();
});

describe('service runtime', () => {
  it('commits a Prisma write and its outbox event together, and the relay delivers the event', async () => {
    await prisma.$transaction(async (tx) => {
      await tx.credit.create({ data: { id: 'c1', amountSat: 2_100_000_000_000_000n } });
      await enqueueEvent(prismaExecutor(tx), SCHEMA, credited, { creditId: 'c1', amountSats: '2100000000000000' });
    });
    runtime.relay.wake();
    const seen: unknown[] = [];
    await runtime.consume({ durable: 'credit-reader', stream: 'TEST', subject: 'test.credit.>', handle: async (e) => void seen.push(e.payload) });
    await waitFor('credit event delivered', () => seen.length === 1);
    expect(seen[0]).toEqual({ creditId: 'c1', amountSats: '2100000000000000' });
    expect((await prisma.credit.findUnique({ where: { id: 'c1' } }))?.amountSat).toBe(2_100_000_000_000_000n);
  });

  it('rolls back the event with the state change: a failed write leaves no outbox row', async () => {
    await expect(
      prisma.$transaction(async (tx) => {
        await enqueueEvent(prismaExecutor(tx), SCHEMA, credited, { creditId: 'c2', amountSats: '0' });
        await tx.credit.create({ data: { id: 'c2', amountSat: 0n } }); // violates CHECK (amount_sat > 0)
      }),
    ).rejects.toThrow();
    const rows = await runtime.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE event_id = 'test.credit.recorded:c2'`);
    expect(rows.rows[0].n).toBe(0);
  });

  it('reports ready through its health checks', async () => {
    const results = await Promise.all(runtime.checks().map(async (c) => [c.name, await c.check()]));
    expect(Object.fromEntries(results)).toEqual({ postgres: true, nats: true, redis: true });
  });
});

describe('start-up configuration', () => {
  const fixture = fileURLToPath(new URL('./fixtures/config-fail.ts', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', fixture], {
      cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8',
    });

  it('starts with defaults', () => {
    const r = run({});
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('configuration ok');
  });

  it('fails start-up naming each malformed variable', () => {
    const r = run({ DATABASE_URL: 'mysql://nope', HTTP_PORT: 'eighty', STREAM_PREFIX: 'Bad-Prefix' });
    expect(r.status).toBe(1);
    const line = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(line.level).toBe('fatal');
    expect(line.err).toMatch(/DATABASE_URL: must be a URL with scheme postgres or postgresql/);
    expect(line.err).toMatch(/HTTP_PORT: must be a TCP port/);
    expect(line.err).toMatch(/STREAM_PREFIX: must be lowercase/);
  });
});
