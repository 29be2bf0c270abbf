// The client is generated from what the api-gateway serves: the checked-in openapi.json must equal the built
// gateway's /v1/openapi.json, and src/generated/schema.ts must be what openapi-typescript makes of it. Regenerate with
// `node packages/client/scripts/generate.mjs --from http://127.0.0.1:4000/v1/openapi.json` (a running gateway).
// Then the typed client is used against that gateway, with a responder playing the deposit-indexer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAddress } from 'viem';
import { z } from 'zod';
import { connectMessaging, deleteStreams, RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { buildApps, createTestDatabase, deleteRedisKeys, ServiceProcess, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { createTapbridgeClient, type Problem } from '../src/index.js';
import { renderSchema } from '../scripts/render.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

let gateway: ServiceProcess;
let messaging: Messaging;
let db: TestDatabase;
const TXID = '5a'.repeat(32);

beforeAll(async () => {
  buildApps('api-gateway');
  db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const prefix = uniquePrefix('cl');
  messaging = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix });
  cleanups.push(async () => {
    await deleteStreams(messaging.jsm, messaging.naming);
    await messaging.close();
    // The gateway's webhook queue and rate-limit keys (this prefix is the test's own); runs after the gateway stopped.
    await deleteRedisKeys(`${prefix}:*`);
  });
  const sub = serveRequests(messaging, 'deposits.deposit.get', z.object({ txid: z.string(), vout: z.number() }), async ({ txid, vout }) => {
    if (txid !== TXID) throw new RemoteError('not_found', `no deposit ${txid}:${vout}`);
    return {
      txid, vout, kind: 'op_return', status: 'confirmed', amountSats: '5000', recipient: '0x' + 'ab'.repeat(20), maxFeeSats: '1000', scriptPubKey: '5120' + '00'.repeat(32),
      confirmations: 3, registeredAt: '2026-12-03T00:00:00.000Z', updatedAt: '2026-12-03T00:00:00.000Z', history: [],
    };
  });
  cleanups.push(async () => sub.unsubscribe());
  gateway = await ServiceProcess.start({ app: 'api-gateway', env: { DATABASE_URL: db.url, STREAM_PREFIX: prefix } });
  cleanups.push(() => gateway.kill('SIGTERM'));
}, 300_000);

describe('@tapbridge/client', () => {
  it('is generated from the document the gateway serves', async () => {
    const served = await (await fetch(`${gateway.url}/v1/openapi.json`)).json();
    const checkedIn = JSON.parse(readFileSync(`${root}/openapi.json`, 'utf8')) as unknown;
    expect(checkedIn, 'openapi.json is stale: run scripts/generate.mjs --from <gateway>/v1/openapi.json').toEqual(served);
    expect(readFileSync(`${root}/src/generated/schema.ts`, 'utf8'), 'src/generated/schema.ts is stale: run scripts/generate.mjs').toBe(await renderSchema(served));
  });

  it('reads through the typed client: data on success, problem+json as the error', async () => {
    const client = createTapbridgeClient({ baseUrl: gateway.url });
    const found = await client.GET('/v1/deposits/{txid}/{vout}', { params: { path: { txid: TXID, vout: '0' } } });
    expect(found.data?.status).toBe('confirmed');
    // EIP-55, as viem computes it (the indexer answered lower case).
    expect(found.data?.recipient).toBe(getAddress('0x' + 'ab'.repeat(20)));
    expect(found.data?.recipient).not.toBe('0x' + 'ab'.repeat(20));
    const missing = await client.GET('/v1/deposits/{txid}/{vout}', { params: { path: { txid: 'ee'.repeat(32), vout: '0' } } });
    expect(missing.response.status).toBe(404);
    expect((missing.error as unknown as Problem).code).toBe('not_found');
    expect(missing.response.headers.get('content-type')).toContain('application/problem+json');
  });
});
