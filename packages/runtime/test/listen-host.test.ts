// HTTP_HOST decides the interface a service listens on (the devnet stack script sets 127.0.0.1 unless
// DEVNET_BIND says otherwise); containers keep the 0.0.0.0 default.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonServiceShape, loadConfig, z } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { deleteStreams } from '@tapbridge/messaging';
import { createTestDatabase, freePort, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { httpSettingsFrom, ServiceRuntime } from '../src/index.js';
import { bootstrapService, RuntimeModule } from '../src/nest/index.js';

@Module({})
class EmptyModule {
  static forRoot(runtime: ServiceRuntime): DynamicModule {
    return { module: EmptyModule, imports: [RuntimeModule.forRoot(runtime)] };
  }
}

const prefix = uniquePrefix('listen');
let db: TestDatabase;
let runtime: ServiceRuntime;

beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  if (runtime) {
    await deleteStreams(runtime.messaging.jsm, runtime.messaging.naming);
    await runtime.close();
  }
  await db?.drop();
});

describe('HTTP_HOST', () => {
  it('defaults to 0.0.0.0 and is read from the environment', () => {
    const schema = z.object(commonServiceShape);
    expect(loadConfig(schema, {}).HTTP_HOST).toBe('0.0.0.0');
    expect(httpSettingsFrom(loadConfig(schema, { HTTP_HOST: '127.0.0.1' })).host).toBe('127.0.0.1');
  });

  it('is the address bootstrapService listens on', async () => {
    runtime = await ServiceRuntime.start({
      service: 'listen-host-test', schema: 'listen_host_test', databaseUrl: db.url,
      natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      streamPrefix: prefix, logger: createLogger('listen-host-test', { level: 'silent' }), http: httpSettingsFrom({ HTTP_HOST: '127.0.0.1' }),
    });
    const app = await bootstrapService({ module: EmptyModule.forRoot(runtime), runtime, port: await freePort(), title: 'listen host test' });
    try {
      expect(((app.getHttpServer() as Server).address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      await app.close();
    }
  });
});
