// The built gateway as a child process on real Postgres, Redis and NATS JetStream. The owning services are played
// by responders on their rpc.* subjects (serveRequests, the same envelope the apps answer with), so every read,
// error mapping, webhook and SSE path is checked here; stack.e2e.test.ts reads the real services.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectMessaging, deleteStreams, encodeEvent, RemoteError, SERVICE_ROLES, serveRequests, type Messaging } from '@tapbridge/messaging';
import { createApiKey, migrateApiKeys } from '@tapbridge/runtime';
import { buildApps, createTestDatabase, deleteRedisKeys, ServiceProcess, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { UPSTREAM_SUBJECTS } from '../src/reads.service.js';
import { verifyDelivery } from '../src/webhooks/signature.js';
import { deliveryId } from '../src/webhooks/webhooks.service.js';
// The owners' own request schemas for the paged reads, so the gateway is held to what they accept.
import { SessionsPageRequest } from '../../signing-coordinator/src/signing.rpc.js';
import { WithdrawalsByStatusRequest } from '../../sweep-coordinator/src/sweeps.rpc.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const TXID = 'ab'.repeat(32);
const BLOCK = 'cd'.repeat(32);
const RECIPIENT_LOWER = '0x8ba1f109551bd432803012645ac136ddd64dba72';
const RECIPIENT = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';

const depositAnswer = {
  txid: TXID, vout: 1, kind: 'taproot', status: 'seen', amountSats: '100000', recipient: RECIPIENT_LOWER, maxFeeSats: '2000', scriptPubKey: '5120' + '11'.repeat(32),
  confirmations: 0, registeredAt: '2026-12-03T12:00:00.000Z', updatedAt: '2026-12-03T12:00:00.000Z', history: [], depositScript: 'internal detail',
};
const confirmed = {
  txid: TXID, vout: 1, amountSats: '100000', recipient: RECIPIENT_LOWER, maxFeeSats: '2000', blockHash: BLOCK, blockHeight: 120, confirmations: 6, merkleProof: '00', kind: 'taproot' as const,
};

// Withdrawals by state and signing sessions as their owners page them (ids ascending; newest first; cursor = last id).
const withdrawalAnswer = (id: number, status: string) => ({
  id: String(id), sender: RECIPIENT_LOWER, scriptPubKey: '0014' + '22'.repeat(20), amountSats: '50000', maxFeeSats: '1000', status, confirmations: 0, waitingBlocks: id, stuck: id > 12,
});
const WITHDRAWALS = [3, 7, 20, 21, 40].map((id) => withdrawalAnswer(id, 'final'));
const sessionAnswer = (n: number) => ({
  id: `sweep:s${n}`, status: n % 2 ? 'signed' : 'pending', purpose: 'sweep', message: 'ab'.repeat(32), outputKey: 'cd'.repeat(32), signature: n % 2 ? 'ef'.repeat(64) : null,
  signers: n % 2 ? [1, 2] : null, attempt: 1, error: null, createdAt: `2026-12-03T12:00:0${n}.000Z`, completedAt: null, internal: 'not served',
});
const SESSIONS = [5, 4, 3, 2, 1].map(sessionAnswer);
function pageOf<T extends { id: string }>(all: T[], limit: number, cursor?: string) {
  const from = cursor === undefined ? 0 : all.findIndex((x) => x.id === cursor) + 1;
  const items = all.slice(from, from + limit);
  return { items, ...(from + limit < all.length ? { nextCursor: items[items.length - 1]!.id } : {}) };
}

let db: TestDatabase;
let prefix: string;
let messaging: Messaging;
let gateway: ServiceProcess;
let apiKey: string;
let otherKey: string;

beforeAll(async () => {
  buildApps('api-gateway');
  db = await createTestDatabase();
  cleanups.push(() => db.drop());
  await migrateApiKeys(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  apiKey = (await createApiKey(pool, { name: 'integrator', scopes: ['webhooks:manage'] })).key;
  otherKey = (await createApiKey(pool, { name: 'other', scopes: ['webhooks:manage'] })).key;
  await pool.end();
  prefix = uniquePrefix('gw');
  messaging = await connectMessaging({ url: NATS_URL, prefix });
  cleanups.push(async () => {
    await deleteStreams(messaging.jsm, messaging.naming);
    await messaging.close();
    // The gateway's webhook queue and rate-limit keys (this prefix is the test's own); runs after the gateway stopped.
    await deleteRedisKeys(`${prefix}:*`);
  });
  // The owners, as far as these tests need them.
  const subs = [
    serveRequests(messaging, 'deposits.deposit.get', z.object({ txid: z.string(), vout: z.number() }), async ({ txid, vout }) => {
      if (txid !== TXID || vout !== 1) throw new RemoteError('not_found', `no deposit ${txid}:${vout}`);
      return depositAnswer;
    }),
    serveRequests(messaging, 'btc.headers.tip', z.object({}).passthrough(), async () => ({ height: 120, hash: BLOCK, time: 1_796_300_000, extra: 1 })),
    serveRequests(messaging, 'btc.headers.sync', z.object({}).passthrough(), async () => ({ network: 'regtest', sources: [{ name: 'a', height: 120, lag: 0 }, { name: 'b', height: 118, lag: -2 }] })),
    serveRequests(messaging, 'evm.chain.get', z.object({}).passthrough(), async () => ({
      chainId: 29794, height: 50, headHash: '0x' + 'ef'.repeat(32), finalizedHeight: 40, finalityDepth: 10, bridgeAddress: '0x0000000000000000000000000000000000b71d6e',
    })),
    // Answers only for the output script of bcrt1q…kygt080 (P2WPKH 0014751e…), as the indexer would.
    serveRequests(messaging, 'deposits.deposit.list', z.object({ scriptPubKey: z.string(), limit: z.number().optional() }).strict(), async ({ scriptPubKey }) => ({
      items: scriptPubKey === '0014751e76e8199196d454941c45d1b3a323f1433bd6' ? [depositAnswer] : [],
    })),
    serveRequests(messaging, 'sweeps.withdrawal.by_status', WithdrawalsByStatusRequest.schema.strict(), async ({ status, limit, cursor }) =>
      pageOf(WITHDRAWALS.filter((w) => w.status === status), limit, cursor)),
    serveRequests(messaging, 'signing.sessions.list', SessionsPageRequest.schema.strict(), async ({ status, limit, cursor }) =>
      pageOf(SESSIONS.filter((x) => status === undefined || x.status === status), limit, cursor)),
    serveRequests(messaging, 'sweeps.withdrawal.get', z.object({ id: z.string() }), async ({ id }) => {
      throw new RemoteError('not_found', `no withdrawal ${id}`);
    }),
  ];
  cleanups.push(async () => subs.forEach((s) => s.unsubscribe()));
  gateway = await ServiceProcess.start({
    app: 'api-gateway',
    env: {
      DATABASE_URL: db.url, STREAM_PREFIX: prefix, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_BACKOFF_MS: '200', WEBHOOK_ATTEMPTS: '4', UPSTREAM_TIMEOUT_MS: '3000',
      RATE_LIMIT_WRITE: '20', RATE_LIMIT_READ: '200',
    },
  });
  cleanups.push(() => gateway.kill('SIGTERM'));
}, 300_000);

async function call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; type: string; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(gateway.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { 'x-api-key': key } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function publish(event: { id: string; subject: string; payload: unknown }, msgID = event.id) {
  const { data, headers } = encodeEvent({ ...event, version: 1 });
  return messaging.js.publish(messaging.naming.subject(event.subject), data, { headers, msgID });
}

describe('api-gateway', () => {
  it('serves OpenAPI 3.1 at /v1/openapi.json with an example for every operation', async () => {
    const { status, body } = await call('GET', '/v1/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const paths = body.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>>;
    const operations = Object.entries(paths).flatMap(([p, item]) => Object.entries(item).map(([m, op]) => ({ id: `${m.toUpperCase()} ${p}`, op })));
    expect(operations.map((o) => o.id).sort()).toEqual([
      'DELETE /v1/webhooks/{id}', 'GET /v1/chain', 'GET /v1/deposits', 'GET /v1/deposits/{txid}/{vout}', 'GET /v1/deposits/{txid}/{vout}/events', 'GET /v1/fees', 'GET /v1/pipeline',
      'GET /v1/reserves', 'GET /v1/signers', 'GET /v1/signing-sessions', 'GET /v1/webhooks', 'GET /v1/webhooks/{id}', 'GET /v1/webhooks/{id}/deliveries', 'GET /v1/withdrawals',
      'GET /v1/withdrawals/{id}', 'GET /v1/withdrawals/{id}/events', 'POST /v1/deposit-addresses', 'POST /v1/deposits', 'POST /v1/webhooks',
    ]);
    for (const { id, op } of operations) {
      const success = Object.entries(op.responses).find(([code]) => code.startsWith('2'));
      expect(success, id).toBeDefined();
      const examples = Object.values(success![1].content ?? {}).map((m) => m.example);
      expect(examples.length, id).toBeGreaterThan(0);
      expect(examples.every((e) => e !== undefined), id).toBe(true);
    }
  });

  it('reads a deposit from its owner over rpc, in the public shape with the recipient in EIP-55 form', async () => {
    const { status, body } = await call('GET', `/v1/deposits/${TXID.toUpperCase()}/1`);
    expect(status).toBe(200);
    expect(body.recipient).toBe(RECIPIENT);
    expect(body.status).toBe('seen');
    expect(body).not.toHaveProperty('depositScript');
  });

  it('lists deposits by Bitcoin address: the indexer is asked for its output script', async () => {
    const { status, body } = await call('GET', '/v1/deposits?address=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080&limit=5');
    expect(status).toBe(200);
    expect(body).toMatchObject({ deposits: [{ txid: TXID, recipient: RECIPIENT }], nextCursor: null });
    const neither = await call('GET', '/v1/deposits');
    expect(neither.status).toBe(400);
    expect(neither.type).toContain('application/problem+json');
  });

  it('combines the Bitcoin tip, the sources and the L2 head; the bridge address in EIP-55 form', async () => {
    const { status, body } = await call('GET', '/v1/chain');
    expect(status).toBe(200);
    expect(body).toEqual({
      bitcoin: { network: 'regtest', tipHeight: 120, tipHash: BLOCK, tipTime: 1_796_300_000, sources: [{ name: 'a', height: 120, lag: 0 }, { name: 'b', height: 118, lag: -2 }] },
      l2: { chainId: 29794, height: 50, headHash: '0x' + 'ef'.repeat(32), finalizedHeight: 40, finalityDepth: 10, bridgeAddress: '0x0000000000000000000000000000000000b71d6E' },
    });
  });

  it('pages withdrawals by state and signing sessions from their owners, every item once, in the public shape', async () => {
    const walk = async (path: string, key: 'withdrawals' | 'sessions') => {
      const seen: Array<Record<string, unknown>> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { status, body } = await call('GET', `${path}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        expect(status, JSON.stringify(body)).toBe(200);
        seen.push(...(body[key] as Array<Record<string, unknown>>));
        cursor = body.nextCursor as string | null;
        pages++;
      } while (cursor !== null && pages < 10);
      return { seen, pages };
    };
    const withdrawals = await walk('/v1/withdrawals?status=final&limit=2', 'withdrawals');
    expect(withdrawals.pages).toBe(3);
    expect(withdrawals.seen.map((w) => w.id)).toEqual(['3', '7', '20', '21', '40']);
    expect(withdrawals.seen.every((w) => w.sender === RECIPIENT)).toBe(true);
    expect(withdrawals.seen.filter((w) => w.stuck).map((w) => w.id)).toEqual(['20', '21', '40']);
    expect((await call('GET', '/v1/withdrawals?status=paid')).body).toEqual({ withdrawals: [], nextCursor: null });

    const sessions = await walk('/v1/signing-sessions?limit=2', 'sessions');
    expect(sessions.seen.map((x) => x.id)).toEqual(['sweep:s5', 'sweep:s4', 'sweep:s3', 'sweep:s2', 'sweep:s1']);
    expect(sessions.seen[0]).not.toHaveProperty('internal');
    expect(sessions.seen[1]).toMatchObject({ status: 'pending', signers: null, signature: null });
    const pending = await call('GET', '/v1/signing-sessions?status=pending');
    expect((pending.body.sessions as Array<{ id: string }>).map((x) => x.id)).toEqual(['sweep:s4', 'sweep:s2']);

    for (const bad of ['/v1/withdrawals', '/v1/withdrawals?status=final&sender=' + RECIPIENT, '/v1/withdrawals?status=lost', '/v1/withdrawals?status=final&limit=501', '/v1/withdrawals?status=final&cursor=x', '/v1/signing-sessions?status=lost']) {
      const r = await call('GET', bad);
      expect(r.status, bad).toBe(400);
      expect(r.type, bad).toContain('application/problem+json');
    }
  });

  it('is granted every rpc subject it reads (packages/messaging permissions)', () => {
    const granted: readonly string[] = SERVICE_ROLES['api-gateway'].requests;
    for (const subject of Object.values(UPSTREAM_SUBJECTS)) expect(granted, subject).toContain(`rpc.${subject}`);
  });

  it('answers every error as problem+json: the owner\u2019s not_found, no responder, bad input', async () => {
    const missing = await call('GET', '/v1/withdrawals/7');
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ type: 'urn:tapbridge:problem:not_found', status: 404, instance: '/v1/withdrawals/7', code: 'not_found' });

    const unserved = await call('GET', '/v1/reserves');
    expect(unserved.status).toBe(503);
    expect(unserved.type).toContain('application/problem+json');
    expect(unserved.body).toMatchObject({ code: 'unavailable', status: 503 });
    expect(String(unserved.body.detail)).toContain('rpc.sweeps.reserves.get');

    const bad = await call('GET', '/v1/withdrawals?sender=0x8BA1f109551bD432803012645Ac136ddd64DBA72');
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect(JSON.stringify(bad.body.errors)).toContain('EIP-55');

    const unknown = await call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
  });

  it('wants an API key with webhooks:manage for webhooks, and keeps each key\u2019s webhooks to itself', async () => {
    const none = await call('GET', '/v1/webhooks');
    expect(none.status).toBe(401);
    expect(none.type).toContain('application/problem+json');
    const wrong = await call('GET', '/v1/webhooks', undefined, 'tbk_0000000000000000_' + 'A'.repeat(43));
    expect(wrong.status).toBe(401);
    const created = await call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/none', events: ['withdrawal.paid'] }, apiKey);
    expect(created.status).toBe(201);
    expect((await call('GET', `/v1/webhooks/${String(created.body.id)}`, undefined, otherKey)).status).toBe(404);
    expect((await call('DELETE', `/v1/webhooks/${String(created.body.id)}`, undefined, apiKey)).body.revokedAt).toEqual(expect.any(String));
  });

  it('delivers a status change signed, retries a failing receiver with backoff, records every attempt, and never delivers an event twice', async () => {
    const received: Array<{ body: string; signature: string; delivery: string }> = [];
    const answers = [500, 503];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, signature: String(req.headers['x-tapbridge-signature']), delivery: String(req.headers['x-tapbridge-delivery']) });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => receiver.close(r)));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const created = await call('POST', '/v1/webhooks', { url, events: ['deposit.confirmed'], recipient: RECIPIENT_LOWER }, apiKey);
    expect(created.status).toBe(201);
    expect(created.body.recipient).toBe(RECIPIENT);
    const secret = String(created.body.secret);
    // Another recipient's deposit is not for this subscription.
    await publish({ id: `deposit.confirmed:${'ee'.repeat(32)}:0:${BLOCK}`, subject: 'deposit.confirmed', payload: { ...confirmed, txid: 'ee'.repeat(32), vout: 0, recipient: '0x' + '12'.repeat(20) } });
    const eventId = `deposit.confirmed:${TXID}:1:${BLOCK}`;
    await publish({ id: eventId, subject: 'deposit.confirmed', payload: confirmed });

    await waitFor('three attempts, the last one accepted', async () => received.length >= 3, 120_000, 100);
    const expectedId = deliveryId(eventId, String(created.body.id));
    expect(received.map((r) => r.delivery)).toEqual([expectedId, expectedId, expectedId]);
    for (const r of received) {
      expect(verifyDelivery(secret, r.body, r.signature, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verifyDelivery(secret, r.body + ' ', r.signature, Math.floor(Date.now() / 1000))).toBe(false);
      expect(JSON.parse(r.body)).toMatchObject({ id: expectedId, event: 'deposit.confirmed', eventId, data: { txid: TXID, vout: 1, recipient: RECIPIENT } });
    }

    // The same event again (as after a redelivery, past JetStream's de-duplication): no second delivery.
    await publish({ id: eventId, subject: 'deposit.confirmed', payload: confirmed }, `${eventId}:again`);
    const marker = `deposit.confirmed:${'ff'.repeat(32)}:1:${BLOCK}`;
    await publish({ id: marker, subject: 'deposit.confirmed', payload: { ...confirmed, txid: 'ff'.repeat(32) } });
    await waitFor('the marker event delivered', async () => received.some((r) => r.body.includes('ff'.repeat(32))), 60_000, 100);
    expect(received.filter((r) => r.delivery === expectedId)).toHaveLength(3);

    const list = await call('GET', `/v1/webhooks/${String(created.body.id)}/deliveries`, undefined, apiKey);
    expect(list.status).toBe(200);
    const deliveries = list.body.deliveries as Array<{ id: string; status: string; attempts: Array<{ attempt: number; statusCode: number | null; error: string | null }> }>;
    const first = deliveries.find((d) => d.id === expectedId)!;
    expect(first.status).toBe('delivered');
    expect(first.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([[1, 500, 'HTTP 500'], [2, 503, 'HTTP 503'], [3, 200, null]]);
    expect(deliveries).toHaveLength(2);
  }, 240_000);

  it('streams a deposit\u2019s live status as Server-Sent Events: the current status, then each change', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gateway.url}/v1/deposits/${TXID}/1/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until('"status":"seen"');
    expect(text).toMatch(/^event: status\n/m);
    const reorg = { txid: TXID, vout: 1, blockHash: BLOCK, blockHeight: 120, amountSats: '100000', recipient: RECIPIENT_LOWER };
    await publish({ id: `deposit.reorged:${TXID}:1:${BLOCK}`, subject: 'deposit.reorged', payload: reorg });
    await until('event: deposit.reorged');
    expect(text).toContain(`id: deposit.reorged:${TXID}:1:${BLOCK}`);
    expect(text).toContain(`"recipient":"${RECIPIENT}"`);
    controller.abort();
  }, 60_000);

  it('rate-limits writes per client with 429, Retry-After and problem+json', async () => {
    let last = await call('POST', '/v1/deposit-addresses', {});
    for (let i = 0; i < 25 && last.status !== 429; i++) last = await call('POST', '/v1/deposit-addresses', {});
    expect(last.status).toBe(429);
    expect(last.type).toContain('application/problem+json');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
