// The Nest foundation every app is built on (NEST.md): config by DI, zod DTOs validating REST and RPC input and
// producing the OpenAPI schema, problem+json errors, rpc.* served with @MessagePattern on the wire format
// packages/messaging's request() speaks (real NATS, and a server enforcing the per-service permissions), and
// lifecycle hooks around start and shutdown.
import { randomBytes } from 'node:crypto';
import {
  Body, Controller, Get, Inject, Injectable, Module, Param, Post,
  type DynamicModule, type INestApplication, type OnApplicationBootstrap, type OnApplicationShutdown,
} from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectMessaging, deleteStreams, natsClientOptions, NoRespondersError, renderNatsServerConfig, request, stackIdentities, type Messaging } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { createTestDatabase, freePort, PrivateNatsServer, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { httpSettingsFrom, ServiceRuntime } from '../src/index.js';
import {
  bootstrapService, ConfigModule, createZodDto, DomainError, InjectConfig, RuntimeModule, ZodResponse,
} from '../src/nest/index.js';

const testConfig = z.object({ GREETING: z.string() });
type TestConfig = z.infer<typeof testConfig>;

const Thing = z.object({ id: z.string().regex(/^[a-z]+$/).describe('Lowercase letters'), size: z.number().int().min(1) });
class ThingDto extends createZodDto(Thing) {}
class CreateThingDto extends createZodDto(Thing.extend({ note: z.string().max(5).optional() })) {}
class GetThingRequest extends createZodDto(z.object({ id: z.string().min(1) })) {}
class GreetingDto extends createZodDto(z.object({ greeting: z.string(), things: z.number() })) {}

const events: string[] = [];

@Injectable()
class ThingStore implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly things = new Map<string, z.infer<typeof Thing>>();
  constructor(@InjectConfig() readonly config: TestConfig) {}
  onApplicationBootstrap() {
    events.push('loop started');
  }
  onApplicationShutdown() {
    events.push('loop drained');
  }
  get(id: string) {
    const thing = this.things.get(id);
    if (!thing) throw new DomainError('not_found', `no thing ${id}`);
    return thing;
  }
}

@Controller('things')
class ThingsController {
  constructor(@Inject(ThingStore) private readonly store: ThingStore) {}

  @Post()
  @ZodResponse({ status: 201, type: ThingDto })
  create(@Body() body: CreateThingDto) {
    const thing = { id: body.id, size: body.size };
    this.store.things.set(thing.id, thing);
    return thing;
  }

  @Get('greeting')
  @ZodResponse({ status: 200, type: GreetingDto })
  greeting() {
    return { greeting: this.store.config.GREETING, things: this.store.things.size };
  }

  @Get(':id')
  @ZodResponse({ status: 200, type: ThingDto })
  one(@Param('id') id: string) {
    return this.store.get(id);
  }

  @MessagePattern('test.things.get')
  rpcGet(@Payload() req: GetThingRequest) {
    return this.store.get(req.id);
  }

  @MessagePattern('test.things.boom')
  rpcBoom(): never {
    throw new Error('the disk is on fire');
  }
}

@Module({ controllers: [ThingsController], providers: [ThingStore] })
class ThingsModule {}

@Module({})
class TestAppModule {
  static forRoot(config: TestConfig, runtime: ServiceRuntime): DynamicModule {
    return { module: TestAppModule, imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(testConfig, config), ThingsModule] };
  }
}

const prefix = uniquePrefix('nestfd');
let db: TestDatabase;
let runtime: ServiceRuntime;
let app: INestApplication;
let base: string;
let client: Messaging;

beforeAll(async () => {
  db = await createTestDatabase();
  runtime = await ServiceRuntime.start({
    service: 'nest-foundation-test', schema: 'nest_foundation_test', databaseUrl: db.url,
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    streamPrefix: prefix, logger: createLogger('nest-foundation-test', { level: 'silent' }),
    http: httpSettingsFrom({ RATE_LIMIT_WRITE: 6, RATE_LIMIT_WINDOW_MS: 60_000 }),
  });
  const port = await freePort();
  app = await bootstrapService({ module: TestAppModule.forRoot({ GREETING: 'hello' }, runtime), runtime, port, host: '127.0.0.1', title: 'nest foundation test' });
  base = `http://127.0.0.1:${port}`;
  client = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await app?.close();
  if (runtime) {
    await runtime.redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${prefix}:throttle:*`);
    await deleteStreams(runtime.messaging.jsm, runtime.messaging.naming);
    await runtime.close();
  }
  await db?.drop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('config and lifecycle', () => {
  it('injects the config given to ConfigModule.forRoot and ran OnApplicationBootstrap before serving', async () => {
    expect(await (await fetch(`${base}/things/greeting`)).json()).toEqual({ greeting: 'hello', things: 0 });
    expect(events).toEqual(['loop started']);
  });
});

describe('REST: zod DTOs and problem+json', () => {
  it('validates a body with its zod schema and strips what the response schema does not declare', async () => {
    const res = await post('/things', { id: 'abc', size: 3, note: 'hi' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 'abc', size: 3 });
  });

  it('answers an invalid body with 400 problem+json listing every issue, with the request id', async () => {
    const res = await post('/things', { id: 'ABC', size: 0 }, { 'x-request-id': 'req-123' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'urn:tapbridge:problem:invalid_request', title: 'Bad Request', status: 400, instance: '/things', requestId: 'req-123', code: 'invalid_request' });
    expect((body.errors as Array<{ path: string }>).map((e) => e.path).sort()).toEqual(['id', 'size']);
    expect(body.detail).toMatch(/^id: .*; size: /);
    expect(body.message).toBe(body.detail);
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await post('/things', '{"id": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 400, instance: '/things' });
  });

  it('maps a DomainError and an unknown route to 404 problem+json', async () => {
    const missing = await fetch(`${base}/things/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'urn:tapbridge:problem:not_found', status: 404, detail: 'no thing nope', instance: '/things/nope' });
    const route = await fetch(`${base}/no/such/route`);
    expect(route.status).toBe(404);
    expect(route.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await route.json()).toMatchObject({ status: 404, title: 'Not Found', instance: '/no/such/route', code: 'not_found' });
  });

  it('publishes the zod schemas as the OpenAPI request and response schemas', async () => {
    const doc = (await (await fetch(`${base}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> }; responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>>;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }> };
    };
    const create = doc.paths['/things']!.post!;
    const reqRef = create.requestBody!.content['application/json']!.schema.$ref.split('/').pop()!;
    const resRef = create.responses['201']!.content!['application/json']!.schema.$ref.split('/').pop()!;
    expect(doc.components.schemas[reqRef]!.properties.note).toMatchObject({ type: 'string', maxLength: 5 });
    expect(doc.components.schemas[resRef]!.properties.id).toMatchObject({ type: 'string', pattern: '^[a-z]+$', description: 'Lowercase letters' });
    expect(doc.components.schemas[resRef]!.required?.sort()).toEqual(['id', 'size']);
  });

  it('answers 429 problem+json with Retry-After past the write limit', async () => {
    let res: Response | undefined;
    for (let i = 0; i < 8 && res?.status !== 429; i++) res = await post('/things', { id: 'lim', size: 1 });
    expect(res!.status).toBe(429);
    expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res!.json()).toMatchObject({ status: 429, title: 'Too Many Requests', code: 'too_many_requests' });
  });
});

describe('RPC: @MessagePattern on the rpc.* wire format', () => {
  const thing = z.object({ id: z.string(), size: z.number() });

  it('answers packages/messaging request() with the envelope data', async () => {
    // The thing 'abc' was created over REST above.
    expect(await request(client, 'test.things.get', { id: 'abc' }, { response: thing })).toEqual({ id: 'abc', size: 3 });
  });

  it('answers errors with their code: invalid_request (zod pipe), not_found (DomainError), internal', async () => {
    await expect(request(client, 'test.things.get', { id: '' }, { response: thing })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^id: /) });
    await expect(request(client, 'test.things.get', { id: 'zzz' }, { response: thing })).rejects.toMatchObject({ code: 'not_found', message: 'no thing zzz' });
    await expect(request(client, 'test.things.boom', {}, { response: thing })).rejects.toMatchObject({ code: 'internal', message: 'the disk is on fire' });
  });

  it('replies to a request that is not JSON with invalid_request, in the raw envelope', async () => {
    const msg = await client.nc.request(`${prefix}.rpc.test.things.get`, new TextEncoder().encode('{nope'), { timeout: 10_000 });
    expect(JSON.parse(new TextDecoder().decode(msg.data))).toEqual({ ok: false, error: { code: 'invalid_request', message: 'request is not JSON' } });
  });

  it('serves under the run prefix only, in a queue group named after the subject', async () => {
    const other = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix: `${prefix}x` });
    try {
      await expect(request(other, 'test.things.get', { id: 'abc' }, { response: thing, timeoutMs: 3_000 })).rejects.toBeInstanceOf(NoRespondersError);
    } finally {
      await other.close();
    }
  });
});

describe('RPC under the per-service NATS permissions', () => {
  @Controller()
  class HeadersRpc {
    @MessagePattern('btc.headers.tip')
    tip() {
      return { height: 7 };
    }
  }
  @Module({})
  class WatcherModule {
    static forRoot(rt: ServiceRuntime): DynamicModule {
      return { module: WatcherModule, imports: [RuntimeModule.forRoot(rt)], controllers: [HeadersRpc] };
    }
  }

  it('serves rpc.btc.headers.* as the header-watcher identity, answering the deposit-indexer identity', async () => {
    const identityPrefix = uniquePrefix('nestperm');
    const passwords = new Map(stackIdentities(1).concat('admin').map((id) => [id, randomBytes(18).toString('base64url')]));
    const server = await PrivateNatsServer.start({
      config: ({ storeDir }) => renderNatsServerConfig({ prefixes: [identityPrefix], signerCount: 1, jetstreamStoreDir: storeDir, secret: (id) => ({ password: passwords.get(id)! }) }),
    });
    let watcher: ServiceRuntime | undefined;
    let watcherApp: INestApplication | undefined;
    let asker: Messaging | undefined;
    try {
      watcher = await ServiceRuntime.start({
        service: 'header-watcher', schema: 'nest_perm_test', databaseUrl: db.url, natsUrl: server.url, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        streamPrefix: identityPrefix, logger: createLogger('nest-perm-test', { level: 'silent' }), nats: { NATS_PASSWORD: passwords.get('header-watcher')! },
      });
      watcherApp = await bootstrapService({ module: WatcherModule.forRoot(watcher), runtime: watcher, port: await freePort(), host: '127.0.0.1', title: 'perm test' });
      asker = await connectMessaging({ url: server.url, prefix: identityPrefix, ...natsClientOptions('deposit-indexer', { NATS_PASSWORD: passwords.get('deposit-indexer')! }) });
      expect(await request(asker, 'btc.headers.tip', {}, { response: z.object({ height: z.number() }), timeoutMs: 10_000 })).toEqual({ height: 7 });
    } finally {
      await asker?.close();
      await watcherApp?.close();
      await watcher?.close();
      await server.stop();
    }
  }, 120_000);
});

describe('shutdown', () => {
  it('runs OnApplicationShutdown on app.close() and stops answering rpc.*', async () => {
    await app.close();
    expect(events).toEqual(['loop started', 'loop drained']);
    await expect(request(client, 'test.things.get', { id: 'abc' }, { response: z.unknown(), timeoutMs: 3_000 })).rejects.toBeInstanceOf(NoRespondersError);
  });
});
