// The HTTP hardening every service gets from bootstrapService: API keys with scopes on state-changing routes,
// Redis-backed rate limits shared by replicas (429 + Retry-After), body limits (413), timeouts and CORS from config.
import { Body, Controller, Get, Module, Post, type DynamicModule, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tapbridge/observability';
import { deleteStreams } from '@tapbridge/messaging';
import { createTestDatabase, freePort, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { createApiKey, httpSettingsFrom, migrateApiKeys, revokeApiKey, ServiceRuntime, type HttpConfig } from '../src/index.js';
import { bootstrapService, RequireScope, RuntimeModule } from '../src/nest/index.js';

@Controller()
class ItemsController {
  @Get('items')
  list() {
    return { items: [] };
  }

  @Post('items')
  add(@Body() body: unknown) {
    return { received: body };
  }

  @Post('admin/sign')
  @RequireScope('signatures:create')
  sign() {
    return { ok: true };
  }
}

@Module({})
class TestModule {
  static forRoot(runtime: ServiceRuntime): DynamicModule {
    return { module: TestModule, imports: [RuntimeModule.forRoot(runtime)], controllers: [ItemsController] };
  }
}

let db: TestDatabase;
const prefix = uniquePrefix('http');
const instances: Array<{ runtime: ServiceRuntime; app: INestApplication; base: string }> = [];

async function startInstance(http: HttpConfig, service = 'http-security-test'): Promise<{ runtime: ServiceRuntime; app: INestApplication; base: string }> {
  const runtime = await ServiceRuntime.start({
    service, schema: 'http_security_test', databaseUrl: db.url,
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    streamPrefix: prefix, logger: createLogger('http-security-test', { level: 'silent' }), http: httpSettingsFrom(http),
  });
  const port = await freePort();
  const app = await bootstrapService({ module: TestModule.forRoot(runtime), runtime, port, host: '127.0.0.1', title: 'http security test' });
  const instance = { runtime, app, base: `http://127.0.0.1:${port}` };
  instances.push(instance);
  return instance;
}

const LIMITS: HttpConfig = { HTTP_BODY_LIMIT: 1024, RATE_LIMIT_WINDOW_MS: 60_000, RATE_LIMIT_READ: 1000, RATE_LIMIT_WRITE: 8, HTTP_REQUEST_TIMEOUT_MS: 7_000, HTTP_HEADERS_TIMEOUT_MS: 3_000, HTTP_KEEP_ALIVE_TIMEOUT_MS: 2_000 };
let a: Awaited<ReturnType<typeof startInstance>>;
let b: Awaited<ReturnType<typeof startInstance>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateApiKeys(db.url);
  // Two replicas of one service: same service name, stream prefix and Redis, so they share rate-limit counters.
  a = await startInstance(LIMITS);
  b = await startInstance(LIMITS);
}, 60_000);

afterAll(async () => {
  for (const i of instances) {
    await i.app.close();
    await i.runtime.redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${prefix}:throttle:*`);
    await deleteStreams(i.runtime.messaging.jsm, i.runtime.messaging.naming);
    await i.runtime.close();
  }
  await db?.drop();
});

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('API keys', () => {
  it('refuses a scoped route without a key, with an unknown or revoked key, or without the scope; accepts the right key', async () => {
    const signer = await createApiKey(a.runtime.pool, { name: 'test signer', scopes: ['signatures:create'] });
    const other = await createApiKey(a.runtime.pool, { name: 'test other', scopes: ['config:write'] });
    const all = await createApiKey(a.runtime.pool, { name: 'test admin', scopes: ['*'] });

    expect((await post(a.base, '/admin/sign', {})).status).toBe(401);
    const forged = signer.key.slice(0, -4) + (signer.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await post(a.base, '/admin/sign', {}, { 'x-api-key': forged })).status).toBe(401);
    expect((await post(a.base, '/admin/sign', {}, { 'x-api-key': 'tbk_not_a_key' })).status).toBe(401);
    expect((await post(a.base, '/admin/sign', {}, { 'x-api-key': other.key })).status).toBe(403);
    expect((await post(a.base, '/admin/sign', {}, { 'x-api-key': signer.key })).status).toBe(201);
    expect((await post(b.base, '/admin/sign', {}, { authorization: `Bearer ${all.key}` })).status).toBe(201);

    expect(await revokeApiKey(a.runtime.pool, signer.info.id)).toBe(true);
    expect((await post(a.base, '/admin/sign', {}, { 'x-api-key': signer.key })).status).toBe(401);
    // Only the hash is stored: the key itself appears nowhere in the table.
    const { rows } = await a.runtime.pool.query<{ t: string }>(`SELECT row_to_json(k)::text AS t FROM tapbridge_auth.api_key k`);
    // The secret is everything after tbk_<id>_ (base64url, so it may itself contain '_').
    for (const r of rows) for (const k of [signer.key, other.key, all.key]) expect(r.t).not.toContain(k.slice('tbk_'.length + 16 + 1));
  });

  it('shows the security scheme in /docs and on the scoped operation only', async () => {
    const doc = (await (await fetch(`${a.base}/docs-json`)).json()) as {
      components: { securitySchemes: Record<string, { type: string; in: string; name: string }> };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(doc.paths['/admin/sign']!.post!.security).toEqual([{ apiKey: ['signatures:create'] }]);
    expect(doc.paths['/items']!.post!.security).toBeUndefined();
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After once two replicas together pass the write limit, and keep reads separate', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await post(i % 2 === 0 ? a.base : b.base, '/items', { i })).status);
    // Limit 8 per window over both replicas: requests 1-8 pass whichever replica they hit, 9 and 10 are refused.
    expect(statuses).toEqual([...Array(8).fill(201), 429, 429]);
    const refused = await post(b.base, '/items', {});
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await fetch(`${a.base}/items`)).status).toBe(200);
    expect((await fetch(`${b.base}/health/live`)).status).toBe(200);
  });
});

describe('body limits, timeouts and CORS', () => {
  it('refuses a body over HTTP_BODY_LIMIT with 413 and takes one under it', async () => {
    const c = await startInstance(LIMITS, 'http-security-test-c');
    expect((await post(c.base, '/items', { pad: 'x'.repeat(600) })).status).toBe(201);
    const res = await post(c.base, '/items', { pad: 'x'.repeat(5_000) });
    expect(res.status).toBe(413);
    expect(await res.text()).not.toMatch(/at .*\.js:\d+/); // no stack trace in the answer
  });

  it('sets the server timeouts from config', () => {
    const server = a.app.getHttpServer() as Server;
    expect(server.requestTimeout).toBe(7_000);
    expect(server.headersTimeout).toBe(3_000);
    expect(server.keepAliveTimeout).toBe(2_000);
  });

  it('gives a cross-origin preflight no allow header by default, and one only to a configured origin', async () => {
    const preflight = (base: string, origin: string) =>
      fetch(`${base}/items`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const closed = await preflight(a.base, 'https://evil.example');
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();

    const open = await startInstance({ ...LIMITS, CORS_ORIGINS: ['https://app.example'] }, 'http-security-test-d');
    const allowed = await preflight(open.base, 'https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await preflight(open.base, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
