// NATS identities: a private nats-server runs the configuration rendered from packages/messaging/src/permissions.ts,
// and each service identity is shown refused outside its rights and served inside them.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '@tapbridge/observability';
import { PrivateNatsServer, repoRoot, uniquePrefix, waitFor } from '@tapbridge/testing';
import {
  btcHeaderConnected, connectMessaging, DurableConsumer, ensureStreams, EventPublisher, natsClientOptions, natsPermissions, renderNatsServerConfig,
  passwordEnvName, request, roleOf, SERVICE_ROLES, serveRequests, signerRole, stackIdentities, streamsOf, tapbridgeCatalog, type Messaging,
} from '../src/index.js';

const SIGNERS = 3;
const prefix = uniquePrefix('perm');
const passwords = new Map(stackIdentities(SIGNERS).concat('admin').map((id) => [id, randomBytes(18).toString('base64url')]));
let server: PrivateNatsServer;
const open: Messaging[] = [];

async function as(identity: string): Promise<Messaging & { errors: Error[] }> {
  const m = await connectMessaging({
    url: server.url, prefix, name: identity, maxReconnectAttempts: 0,
    ...natsClientOptions(identity, { NATS_PASSWORD: passwords.get(identity)! }),
  });
  const errors: Error[] = [];
  void (async () => {
    for await (const s of m.nc.status()) if (s.type === 'error') errors.push(s.error);
  })();
  open.push(m);
  return Object.assign(m, { errors });
}

/** Publishes and waits for the server's verdict: a permission violation comes back asynchronously, or nothing does. */
async function publishVerdict(m: Messaging & { errors: Error[] }, subject: string): Promise<'refused' | 'allowed'> {
  const before = m.errors.length;
  m.nc.publish(subject, new Uint8Array([1]));
  await m.nc.flush();
  await new Promise((r) => setTimeout(r, 100)); // the status iterator hands errors over asynchronously
  return m.errors.slice(before).some((e) => e.message.includes(subject)) ? 'refused' : 'allowed';
}

/** Subscribes and reports whether the server refused the subscription. */
async function subscribeVerdict(nc: NatsConnection, subject: string): Promise<'refused' | 'allowed'> {
  const sub = nc.subscribe(subject);
  await nc.flush();
  const closed = await Promise.race([sub.closed.then((e) => (e ? 'refused' : 'allowed')), new Promise<'allowed'>((r) => setTimeout(() => r('allowed'), 300))]);
  sub.unsubscribe();
  return closed;
}

beforeAll(async () => {
  server = await PrivateNatsServer.start({
    config: ({ storeDir }) =>
      renderNatsServerConfig({ prefixes: [prefix], signerCount: SIGNERS, jetstreamStoreDir: storeDir, secret: (id) => ({ password: passwords.get(id)! }) }),
  });
}, 30_000);

afterAll(async () => {
  for (const m of open) await m.close().catch(() => {});
  await server?.stop();
});

describe('the permission table', () => {
  it('gives every catalog event exactly one publishing service', () => {
    for (const event of tapbridgeCatalog.all()) {
      if (event.subject.startsWith('test.')) continue;
      const publishers = Object.entries(SERVICE_ROLES).filter(([, r]) => (r.publishes as readonly string[]).includes(event.subject)).map(([n]) => n);
      expect(publishers, event.subject).toHaveLength(1);
    }
  });

  it('lets only the coordinator send frost.signer.*, and each signer hear only its own subject', () => {
    for (const id of stackIdentities(SIGNERS)) {
      const p = natsPermissions(id, roleOf(id)!, ['tb']);
      expect(p.publish.includes('tb.frost.signer.*'), id).toBe(id === 'signing-coordinator');
      expect(p.publish.some((s) => s.startsWith('tb.btc.header')), id).toBe(id === 'header-watcher');
    }
    expect(natsPermissions('signer-2', signerRole(2), ['tb']).subscribe).toEqual(['_INBOX.signer-2.>', 'tb.frost.signer.2']);
    expect(streamsOf(signerRole(1))).toEqual([]);
  });

  it('is what infra/nats/nats.conf (compose, the devnet Kustomize overlay) holds: regenerate it with the command in infra/nats/README.md', () => {
    const rendered = renderNatsServerConfig({
      prefixes: ['tb'], signerCount: 5, host: '0.0.0.0', port: 4222, httpPort: 8222, serverName: 'tapbridge-nats',
      jetstreamStoreDir: '/data/jetstream', secret: (id) => ({ passwordEnv: passwordEnvName(id) }),
    });
    expect(readFileSync(`${repoRoot}/infra/nats/nats.conf`, 'utf8')).toBe(rendered);
  });
});

describe('a nats-server with the rendered configuration', () => {
  it('refuses a connection without credentials or with a wrong password', async () => {
    await expect(connectMessaging({ url: server.url, prefix, maxReconnectAttempts: 0 })).rejects.toThrow(/authoriz/i);
    await expect(connectMessaging({ url: server.url, prefix, maxReconnectAttempts: 0, user: 'signer-1', pass: 'wrong' })).rejects.toThrow(/authoriz/i);
  });

  it('refuses a signer sending frost.signer.*, publishing btc.header.*, or listening on another signer or inbox', async () => {
    const signer = await as('signer-1');
    expect(await publishVerdict(signer, `${prefix}.frost.signer.2`)).toBe('refused');
    expect(await publishVerdict(signer, `${prefix}.btc.header.connected`)).toBe('refused');
    expect(await publishVerdict(signer, `${prefix}.deposit.confirmed`)).toBe('refused');
    expect(await publishVerdict(signer, `$JS.API.STREAM.DELETE.${prefix.toUpperCase()}_BTC`)).toBe('refused');
    expect(await subscribeVerdict(signer.nc, `${prefix}.frost.signer.2`)).toBe('refused');
    expect(await subscribeVerdict(signer.nc, '_INBOX.>')).toBe('refused');
    expect(await subscribeVerdict(signer.nc, '_INBOX.signing-coordinator.>')).toBe('refused');
    // Inside its rights: its own subject and its announcement.
    expect(await subscribeVerdict(signer.nc, `${prefix}.frost.signer.1`)).toBe('allowed');
    expect(await publishVerdict(signer, `${prefix}.frost.announce`)).toBe('allowed');
  });

  it('lets the coordinator ask a signer and the signer answer it, and nobody else ask', async () => {
    const coordinator = await as('signing-coordinator');
    const signer = await as('signer-2');
    const indexer = await as('deposit-indexer');
    signer.nc.subscribe(`${prefix}.frost.signer.2`, { callback: (err, msg) => void (err ? undefined : msg.respond(new TextEncoder().encode('nonce'))) });
    await signer.nc.flush();
    const reply = await coordinator.nc.request(`${prefix}.frost.signer.2`, new Uint8Array(), { timeout: 5_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('nonce');
    await expect(indexer.nc.request(`${prefix}.frost.signer.2`, new Uint8Array(), { timeout: 2_000 })).rejects.toThrow(/permission/i);
    // A signer cannot use its reply right to publish anywhere it likes.
    expect(await publishVerdict(signer, '_INBOX.signing-coordinator.x.y')).toBe('refused');
  });

  it('carries btc.header.connected from the watcher through JetStream to the indexer, and refuses it from anyone else', async () => {
    const watcher = await as('header-watcher');
    const indexer = await as('deposit-indexer');
    const signer = await as('signer-3');
    await ensureStreams(watcher.jsm, watcher.naming, {}, streamsOf(roleOf('header-watcher')!));
    const payload = {
      height: 1, hash: 'aa'.repeat(32), prevHash: '00'.repeat(32), header: '00'.repeat(80), chainwork: '00'.repeat(31) + '02', network: 'regtest',
    };
    await new EventPublisher(watcher.js, watcher.naming).publish(btcHeaderConnected, payload);
    await expect(new EventPublisher(signer.js, signer.naming).publish(btcHeaderConnected, { ...payload, hash: 'bb'.repeat(32) }, undefined)).rejects.toThrow();
    await expect(new EventPublisher(indexer.js, indexer.naming).publish(btcHeaderConnected, { ...payload, hash: 'cc'.repeat(32) })).rejects.toThrow();

    const seen: string[] = [];
    await ensureStreams(indexer.jsm, indexer.naming, {}, streamsOf(roleOf('deposit-indexer')!));
    const consumer = new DurableConsumer({
      messaging: indexer, catalog: tapbridgeCatalog, logger: createLogger('perm-test', { level: 'silent' }),
      durable: 'deposit-indexer-blocks', stream: 'BTC', subject: 'btc.header.>',
      handle: async (e) => void seen.push((e.payload as { hash: string }).hash),
    });
    await consumer.start();
    await waitFor('the watcher\'s header reaches the indexer', () => seen.length === 1, 20_000);
    expect(seen).toEqual(['aa'.repeat(32)]);
    await consumer.stop();
    // The indexer may not create consumers on streams it does not read.
    await expect(indexer.jsm.consumers.add(`${prefix.toUpperCase()}_SIGNING`, { durable_name: 'snoop' })).rejects.toThrow();
  }, 60_000);

  it('serves the watcher\'s rpc.btc.headers.* to the indexer and refuses rpc.signing.* to it', async () => {
    const watcher = await as('header-watcher');
    const indexer = await as('deposit-indexer');
    serveRequests(watcher, 'btc.headers.tip', z.object({}), async () => ({ height: 7 }));
    await watcher.nc.flush();
    expect(await request(indexer, 'btc.headers.tip', {}, { response: z.object({ height: z.number() }), timeoutMs: 5_000 })).toEqual({ height: 7 });
    await expect(request(indexer, 'signing.signatures.create', {}, { response: z.unknown(), timeoutMs: 2_000 })).rejects.toThrow();
  });
});
