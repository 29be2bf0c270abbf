// A service runtime started under its NATS identity on a server running the rendered permissions: it connects,
// creates only the streams it may, and its health check passes; a signer creates none.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tapbridge/observability';
import { connectMessaging, renderNatsServerConfig, stackIdentities } from '@tapbridge/messaging';
import { createTestDatabase, PrivateNatsServer, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { ServiceRuntime } from '../src/index.js';

const prefix = uniquePrefix('ident');
const passwords = new Map(stackIdentities(2).concat('admin').map((id) => [id, randomBytes(18).toString('base64url')]));
let server: PrivateNatsServer;
let db: TestDatabase;
const runtimes: ServiceRuntime[] = [];

const start = async (service: string, password: string | undefined) => {
  const runtime = await ServiceRuntime.start({
    service, schema: 'ident_test', databaseUrl: db.url, natsUrl: server.url, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    streamPrefix: prefix, logger: createLogger('ident-test', { level: 'silent' }), ...(password ? { nats: { NATS_PASSWORD: password } } : {}),
  });
  runtimes.push(runtime);
  return runtime;
};

beforeAll(async () => {
  db = await createTestDatabase();
  server = await PrivateNatsServer.start({
    config: ({ storeDir }) => renderNatsServerConfig({ prefixes: [prefix], signerCount: 2, jetstreamStoreDir: storeDir, secret: (id) => ({ password: passwords.get(id)! }) }),
  });
}, 30_000);

afterAll(async () => {
  for (const r of runtimes) await r.close();
  await server?.stop();
  await db?.drop();
});

describe('service runtime under a NATS identity', () => {
  it('starts the header-watcher with only its stream, and a signer with none', async () => {
    const watcher = await start('header-watcher', passwords.get('header-watcher'));
    const signer = await start('signer-2', passwords.get('signer-2'));
    for (const r of [watcher, signer]) for (const c of r.checks()) expect(await c.check(), `${r.options.service} ${c.name}`).toBe(true);
    // Listing streams is beyond the watcher's rights; the admin identity can.
    await expect(watcher.messaging.jsm.streams.names().next()).rejects.toThrow(/permission/i);
    const admin = await connectMessaging({ url: server.url, prefix, user: 'admin', pass: passwords.get('admin')! });
    const names: string[] = [];
    for await (const n of admin.jsm.streams.names()) names.push(n);
    await admin.close();
    expect(names.sort()).toEqual([`${prefix.toUpperCase()}_BTC`]);
  }, 60_000);

  it('refuses to start without credentials or with another identity\'s password', async () => {
    await expect(start('header-watcher', undefined)).rejects.toThrow(/authoriz/i);
    await expect(start('signer-1', passwords.get('signer-2'))).rejects.toThrow(/authoriz/i);
  }, 60_000);
});
