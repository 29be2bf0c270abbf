// PrismaModule.forRoot(PrismaClient): the app's generated client, built on the runtime's pool and schema, provided by
// DI under its own class, connected before onApplicationBootstrap and detached only after every
// beforeApplicationShutdown, leaving the pool to the runtime.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tapbridge/observability';
import { deleteStreams } from '@tapbridge/messaging';
import { createTestDatabase, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { ServiceRuntime } from '../src/index.js';
import { PrismaModule, RUNTIME } from '../src/nest/index.js';
import { PrismaClient } from './fixtures/generated/prisma/client.js';

const events: string[] = [];

/** The fixture's generated client, recording when the lifecycle connects and detaches it. */
class RecordingClient extends PrismaClient {
  override async $connect(): Promise<void> {
    events.push('connect');
    await super.$connect();
  }
  override async $disconnect(): Promise<void> {
    events.push('disconnect');
    await super.$disconnect();
  }
}

@Injectable()
class CreditLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(RecordingClient) readonly prisma: RecordingClient) {}
  async onApplicationBootstrap() {
    await this.prisma.credit.create({ data: { id: 'boot', amountSat: 1n } });
    events.push('bootstrap');
  }
  async beforeApplicationShutdown() {
    events.push(`drain sees ${await this.prisma.credit.count()}`);
  }
}

@Module({ providers: [CreditLoop] })
class CreditModule {}

@Global()
@Module({})
class TestRuntimeModule {
  static forRoot(runtime: ServiceRuntime): DynamicModule {
    return { module: TestRuntimeModule, providers: [{ provide: RUNTIME, useValue: runtime }], exports: [RUNTIME] };
  }
}

let db: TestDatabase;
let runtime: ServiceRuntime;

beforeAll(async () => {
  db = await createTestDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-prisma-module-'));
  await mkdir(path.join(dir, '0001_credit'));
  await writeFile(path.join(dir, '0001_credit', 'migration.sql'), 'CREATE TABLE credit (id text PRIMARY KEY, amount_sat bigint NOT NULL);');
  runtime = await ServiceRuntime.start({
    service: 'prisma-module-test', schema: 'ledger_fixture', databaseUrl: db.url,
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    streamPrefix: uniquePrefix('prismamod'), logger: createLogger('prisma-module-test', { level: 'silent' }), migrationsDir: dir,
  });
}, 120_000);

afterAll(async () => {
  if (runtime) {
    await deleteStreams(runtime.messaging.jsm, runtime.messaging.naming);
    await runtime.close();
  }
  await db?.drop();
});

describe('PrismaModule', () => {
  it('provides the generated client by its class, on the runtime pool and schema, around the app lifecycle', async () => {
    const app = await NestFactory.createApplicationContext(
      { module: class App {}, imports: [TestRuntimeModule.forRoot(runtime), PrismaModule.forRoot(RecordingClient), CreditModule] },
      { logger: false },
    );
    // The token is the class itself: what a provider injects is what app.get returns (a Prisma client is a proxy,
    // not an instanceof its class, and chai cannot print one, hence the plain boolean).
    expect(app.get(CreditLoop).prisma === app.get(RecordingClient)).toBe(true);
    // Written through Prisma, read through the runtime's pool: same database, the app's schema.
    expect((await runtime.pool.query('SELECT id, amount_sat::text AS sat FROM ledger_fixture.credit')).rows).toEqual([{ id: 'boot', sat: '1' }]);
    await app.close();
    expect(events).toEqual(['connect', 'bootstrap', 'drain sees 1', 'disconnect']);
    // Detaching the client did not end the runtime's pool.
    expect((await runtime.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
