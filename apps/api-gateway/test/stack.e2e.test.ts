// The public API over the real services, as an integrator and an operator meet it. The sweep pipeline's stack
// (apps/sweep-coordinator/test/support/stack.ts: devnet chain, header-watcher, deposit-indexer, evm-gateway,
// signing-coordinator with 5 signers after a real DKG, sweep-coordinator) plus the api-gateway under test and, at the
// end, stake-accounting. A deposit is made, minted, withdrawn and paid, and everything about it is read only through
// :4000/v1 with @tapbridge/client: webhook deliveries (signed, recorded) and Server-Sent Events are asserted. The ops
// console is driven in Debian's chromium (playwright-core) at each step, with screenshots in
// packages/console/screenshots/ (gitignored).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTapbridgeClient, verifyWebhookSignature, type TapbridgeClient } from '@tapbridge/client';
import { createApiKey, migrateApiKeys } from '@tapbridge/runtime';
import { buildApps, createTestDatabase, freePort, repoRoot, waitFor, type TestDatabase } from '@tapbridge/testing';
import { App, buildStack, mineUntil, newUser, REDIS_URL, startStack, withdraw, type Stack, type User } from '../../sweep-coordinator/test/support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI installs Debian's chromium (.ci/run)`);
  console.warn(`[skip] ${CHROMIUM} is not installed: the ops console's browser checks are skipped (apt-get install chromium)`);
}
const SCREENSHOTS = path.join(repoRoot, 'packages', 'console', 'screenshots');

const NUMS = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';
const DEPOSIT_SATS = 2_000_000n;
const WITHDRAW_SATS = 500_000n;

interface Delivery {
  /** Which subscription: each posts to its own path. */
  path: string;
  id: string;
  event: string;
  signature: string;
  raw: string;
  body: { id: string; event: string; eventId: string; data: Record<string, unknown> };
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a text/event-stream with fetch, as any HTTP client can; collects every event until closed. */
function openSse(url: string): { events: SseEvent[]; close(): void } {
  const events: SseEvent[] = [];
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trimStart()).join('\n');
        if (field('data')) events.push({ event: field('event') || 'message', data: JSON.parse(field('data')) as Record<string, unknown> });
      }
    }
  })().catch(() => undefined);
  return { events, close: () => abort.abort() };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}, 180_000);

let stack: Stack;
let gateway: App;
let api: TapbridgeClient;
let user: User;
let browser: Browser | undefined;
let page: Page | undefined;
const deliveries: Delivery[] = [];
const secrets: Record<string, string> = {};
let webhookId = '';
let hookUrl = '';

beforeAll(async () => {
  buildStack();
  buildApps('api-gateway', 'stake-accounting');
  stack = await startStack();
  cleanups.push(() => stack.close());
  cleanups.push(async () => {
    // The gateway's and stake-accounting's BullMQ keys (`<prefix>:jobs:*`) and the rate limiter's: the stack's own
    // teardown knows only the sweep-coordinator's.
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${stack.prefix}:*`).catch(() => [] as string[]);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  });
  const db: TestDatabase = await createTestDatabase();
  cleanups.push(() => db.drop());
  await migrateApiKeys(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  const apiKey = (await createApiKey(pool, { name: 'integrator', scopes: ['webhooks:manage'] })).key;
  await pool.end();

  // The integrator's webhook endpoint: records every delivery, answers 200.
  const receiver = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      deliveries.push({
        path: req.url ?? '', id: String(req.headers['x-tapbridge-delivery']), event: String(req.headers['x-tapbridge-event']), signature: String(req.headers['x-tapbridge-signature']),
        raw, body: JSON.parse(raw) as Delivery['body'],
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => receiver.close(resolve)));

  gateway = new App('api-gateway', {
    STREAM_PREFIX: stack.prefix, DATABASE_URL: db.url, BITCOIN_NETWORK: 'regtest', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_BACKOFF_MS: '500', UPSTREAM_TIMEOUT_MS: '15000',
  }, await freePort());
  await gateway.start();
  cleanups.push(() => gateway.stop());
  const base = `http://127.0.0.1:${gateway.port}`;
  api = createTapbridgeClient({ baseUrl: base, apiKey });
  user = newUser(stack);

  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // Deposits crediting this user, and this user's burns (withdrawal.requested names the sender; withdrawal.paid does
  // not, so it is followed by withdrawal id once the burn has one).
  const hook = await api.POST('/v1/webhooks', { body: { url: `${hookUrl}/recipient`, events: ['deposit.confirmed'], recipient: user.wallet.address } });
  expect(hook.error, JSON.stringify(hook.error)).toBeUndefined();
  secrets['/recipient'] = hook.data!.secret;
  webhookId = hook.data!.id;
  const hook2 = await api.POST('/v1/webhooks', { body: { url: `${hookUrl}/sender`, events: ['withdrawal.requested'], sender: user.wallet.address } });
  expect(hook2.error, JSON.stringify(hook2.error)).toBeUndefined();
  secrets['/sender'] = hook2.data!.secret;
  expect(secrets['/sender']).not.toBe(secrets['/recipient']);

  if (haveChromium) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    cleanups.push(() => browser!.close());
    page = await browser.newPage({ viewport: { width: 1500, height: 1300 } });
    await page.goto(`${base}/console/?refresh=1000`);
  }
}, 1_800_000); // Builds wait their turn on the shared build lock, and the DKG alone can take minutes on a loaded machine.

/** The console's text in one panel once `check` holds (the page refreshes every second). */
async function consoleShows(panel: string, check: (text: string) => boolean, what: string): Promise<string> {
  return waitFor(`the console's ${panel} panel to show ${what}`, async () => {
    const text = await page!.getByTestId(`panel-${panel}`).innerText();
    return check(text) ? text : undefined;
  }, 120_000, 500);
}

async function screenshot(name: string): Promise<void> {
  await page!.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// Each step mines and waits on real services: minutes, not the default 60 s.
describe('the public API and the ops console over the real services', { timeout: 900_000 }, () => {
  let depositStream: ReturnType<typeof openSse>;
  let withdrawalId: string;

  it('shows the chain, the signer set and the reserves through /v1', async () => {
    const chain = await waitFor('the gateway to read the chain', async () => (await api.GET('/v1/chain')).data, 60_000, 500);
    expect(chain.bitcoin.network).toBe('regtest');
    expect(chain.bitcoin.tipHeight).toBeGreaterThanOrEqual(110);
    expect(chain.l2.chainId).toBe(29794);
    expect(chain.l2.bridgeAddress).toBe('0x0000000000000000000000000000000000b71d6E');
    const signers = await waitFor('5 live signers', async () => {
      const s = (await api.GET('/v1/signers')).data;
      return s && s.live === 5 ? s : undefined;
    }, 120_000, 1_000);
    expect(signers.groupKey).toBe(stack.custody.groupKey);
    expect(signers.custodyAddress).toBe(stack.custody.address);
    // No stake-accounting yet: the stake part is absent, not an error.
    expect(signers.stake).toBeNull();
    expect((await api.GET('/v1/fees')).data?.capacity).toBeNull();
    if (page) {
      await consoleShows('signers', (t) => t.includes('5 of 5 live'), '5 live signers');
      await consoleShows('chain', (t) => t.includes(`${chain.l2.chainId}`) || t.includes('finalized'), 'the L2 head');
      await screenshot('01-stack-up');
    }
  });

  it('makes a deposit address, registers the payment and follows it to confirmed and minted', async () => {
    const addr = await api.POST('/v1/deposit-addresses', { body: { recipient: user.wallet.address, maxFeeSats: '20000', reclaimKey: NUMS, lockBlocks: 500 } });
    expect(addr.error, JSON.stringify(addr.error)).toBeUndefined();
    expect(addr.data!.groupKey).toBe(stack.custody.groupKey);
    const txid = stack.chain.node.sendToAddress(addr.data!.address, DEPOSIT_SATS);
    const tx = stack.chain.node.lookupTransaction(txid)!.tx;
    const vout = tx.outs.findIndex((o) => Buffer.from(o.script).toString('hex') === addr.data!.scriptPubKey);
    expect(vout).toBeGreaterThanOrEqual(0);
    depositStream = openSse(`http://127.0.0.1:${gateway.port}/v1/deposits/${txid}/${vout}/events`);
    cleanups.push(async () => depositStream.close());

    const registered = await api.POST('/v1/deposits', { body: { txid, vout, depositScript: addr.data!.register.depositScript, reclaimScript: addr.data!.register.reclaimScript } });
    expect(registered.error, JSON.stringify(registered.error)).toBeUndefined();
    expect(['registered', 'seen']).toContain(registered.data!.status);
    expect(registered.data!.recipient).toBe(user.wallet.address);
    const byAddress = await api.GET('/v1/deposits', { params: { query: { address: addr.data!.address } } });
    expect(byAddress.data?.deposits.map((d) => `${d.txid}:${d.vout}`)).toEqual([`${txid}:${vout}`]);

    if (page) {
      await page.getByTestId('watch-input').fill(`${txid}:${vout}`);
      await page.getByTestId('watch-go').click();
      await consoleShows('deposits', (t) => /(registered|seen)\s+1\b/.test(t), 'the deposit registered or seen');
      await screenshot('02-deposit-registered');
    }

    const confirmed = await mineUntil(stack, 'the deposit confirmed through /v1', async () => {
      const d = (await api.GET('/v1/deposits/{txid}/{vout}', { params: { path: { txid, vout: String(vout) } } })).data;
      return d && ['confirmed', 'minted', 'swept'].includes(d.status) ? d : undefined;
    });
    expect(confirmed.amountSats).toBe(DEPOSIT_SATS.toString());
    expect(confirmed.history?.map((h) => h.status)).toContain('confirmed');

    // Minted: the L2 supply the gateway reports (rpc.evm.supply.get) holds the deposit.
    await waitFor('the mint in /v1/fees l2SupplySats', async () => {
      const f = (await api.GET('/v1/fees')).data;
      return f && BigInt(f.l2SupplySats) >= DEPOSIT_SATS ? f : undefined;
    }, 180_000, 1_000);

    // SSE: the status first, then deposit.confirmed with the recipient in EIP-55 form.
    await waitFor('deposit.confirmed on the SSE stream', async () => depositStream.events.some((e) => e.event === 'deposit.confirmed'), 60_000, 250);
    expect(depositStream.events[0]!.event).toBe('status');
    const sseConfirmed = depositStream.events.find((e) => e.event === 'deposit.confirmed')!;
    expect(sseConfirmed.data).toMatchObject({ txid, vout, recipient: user.wallet.address, amountSats: DEPOSIT_SATS.toString() });

    // Webhook: signed with the subscription's secret, idempotent id, listed with its attempt.
    const hook = await waitFor('the deposit.confirmed webhook', async () => deliveries.find((d) => d.event === 'deposit.confirmed'), 60_000, 250);
    expect(hook.path).toBe('/recipient');
    expect(await verifyWebhookSignature(secrets['/recipient']!, hook.raw, hook.signature)).toBe(true);
    expect(await verifyWebhookSignature(secrets['/recipient']!, hook.raw.replace(DEPOSIT_SATS.toString(), '1'), hook.signature)).toBe(false);
    expect(hook.body.data).toMatchObject({ txid, vout, recipient: user.wallet.address });
    const listed = await waitFor('the delivery recorded as delivered', async () => {
      const l = (await api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: webhookId } } })).data;
      return l?.deliveries.find((d) => d.id === hook.id && d.status === 'delivered');
    }, 30_000, 250);
    expect(listed.attempts[0]).toMatchObject({ attempt: 1, statusCode: 200, error: null });

    if (page) {
      await consoleShows('deposits', (t) => /confirmed\s+1\b/.test(t) || /swept\s+1\b/.test(t), 'the deposit confirmed');
      await consoleShows('watch', (t) => t.includes('deposit.confirmed'), 'the SSE event');
      await consoleShows('reserves', (t) => t.includes('0.02000000') || t.includes('0.02'), 'the L2 supply');
      await screenshot('03-deposit-confirmed-minted');
    }
  });

  it('burns on the L2 and follows the withdrawal to paid, by id, by sender, over SSE and webhooks', async () => {
    await waitFor('the minted balance on the user\u2019s L2 account', async () => (await stack.provider.getBalance(user.wallet.address)) > 0n, 120_000, 500);
    withdrawalId = await withdraw(user, WITHDRAW_SATS);
    const byId = await api.POST('/v1/webhooks', { body: { url: `${hookUrl}/withdrawal`, events: ['withdrawal.paid'], withdrawalId } });
    expect(byId.error, JSON.stringify(byId.error)).toBeUndefined();
    secrets['/withdrawal'] = byId.data!.secret;
    const stream = openSse(`http://127.0.0.1:${gateway.port}/v1/withdrawals/${withdrawalId}/events`);
    cleanups.push(async () => stream.close());
    if (page) {
      await page.getByTestId('watch-input').fill(withdrawalId);
      await page.getByTestId('watch-go').click();
    }
    const paid = await mineUntil(stack, 'the withdrawal paid through /v1', async () => {
      const w = (await api.GET('/v1/withdrawals/{id}', { params: { path: { id: withdrawalId } } })).data;
      return w?.status === 'paid' ? w : undefined;
    }, 480_000, 2_000);
    expect(paid.sender).toBe(user.wallet.address);
    expect(paid.scriptPubKey).toBe(user.btcScript);
    expect(paid.amountSats).toBe(WITHDRAW_SATS.toString());
    expect(BigInt(paid.amountReceivedSats!) + BigInt(paid.feeSats!)).toBe(WITHDRAW_SATS);
    expect(paid.txid).toMatch(/^[0-9a-f]{64}$/);
    const bySender = await api.GET('/v1/withdrawals', { params: { query: { sender: user.wallet.address } } });
    expect(bySender.data?.withdrawals.map((w) => [w.id, w.status])).toEqual([[withdrawalId, 'paid']]);
    // The paged reads on the real owners (Nest's NATS transport and zod pipe): the withdrawal by its state, and the
    // sweep's signing session among the signed ones, with the signers that made the signature.
    const byState = await api.GET('/v1/withdrawals', { params: { query: { status: 'paid', limit: 500 } } });
    expect(byState.error, JSON.stringify(byState.error)).toBeUndefined();
    expect(byState.data!.withdrawals.find((w) => w.id === withdrawalId)).toMatchObject({ status: 'paid', txid: paid.txid });
    const sessions = await api.GET('/v1/signing-sessions', { params: { query: { status: 'signed', limit: 500 } } });
    expect(sessions.error, JSON.stringify(sessions.error)).toBeUndefined();
    expect(sessions.data!.sessions.some((x) => x.purpose === 'sweep' && (x.signers?.length ?? 0) > 0)).toBe(true);

    await waitFor('withdrawal.paid on the SSE stream', async () => stream.events.some((e) => e.event === 'withdrawal.paid'), 60_000, 250);
    const ssePaid = stream.events.find((e) => e.event === 'withdrawal.paid')!;
    expect(ssePaid.data).toMatchObject({ withdrawalId, txid: paid.txid });

    const hooks = await waitFor('withdrawal.requested and withdrawal.paid webhooks', async () => {
      const mine = deliveries.filter((d) => d.event.startsWith('withdrawal.') && d.body.data.withdrawalId === withdrawalId);
      return mine.some((d) => d.event === 'withdrawal.requested') && mine.some((d) => d.event === 'withdrawal.paid') ? mine : undefined;
    }, 60_000, 250);
    // Each to the subscription that asked for it, once, signed with that subscription's secret.
    expect(hooks.map((d) => `${d.path} ${d.event}`).sort()).toEqual(['/sender withdrawal.requested', '/withdrawal withdrawal.paid']);
    for (const d of hooks) expect(await verifyWebhookSignature(secrets[d.path]!, d.raw, d.signature), d.path).toBe(true);
    expect(hooks.find((d) => d.event === 'withdrawal.requested')!.body.data).toMatchObject({ sender: user.wallet.address, amountSats: WITHDRAW_SATS.toString() });
    expect(hooks.find((d) => d.event === 'withdrawal.paid')!.body.data).toMatchObject({ withdrawalId, txid: paid.txid, amountReceivedSats: paid.amountReceivedSats });

    const reserves = await waitFor('reserves checked after the payout', async () => {
      const r = (await api.GET('/v1/reserves')).data;
      return r && r.custodyUtxos >= 1 ? r : undefined;
    }, 60_000, 1_000);
    expect(BigInt(reserves.custodySats)).toBeGreaterThan(0n);

    if (page) {
      await consoleShows('watch', (t) => /status\s+paid/.test(t), 'the withdrawal paid');
      await consoleShows('withdrawals', (t) => t.includes('stuck') && t.includes('none'), 'no stuck withdrawal');
      await screenshot('04-withdrawal-paid');
    }
  });

  it('shows stake-accounting\u2019s capacity in /v1/fees and bonded stake in /v1/signers once it runs', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const stake = new App('stake-accounting', {
      STREAM_PREFIX: stack.prefix, DATABASE_URL: db.url, DEVNET: 'true', PRICE_SOURCES: 'devnet', EVM_RPC_URL: stack.rpcUrl, CAPACITY_INTERVAL_MS: '1000', INDEX_POLL_MS: '500',
    }, await freePort());
    await stake.start();
    cleanups.push(() => stake.stop());
    const own = await waitFor('stake-accounting\u2019s capacity', async () => {
      const r = await stake.get<{ status: string; capacitySats: string; obligationsSats: string; collateralRatioBps: number }>('/capacity');
      return r.status === 200 ? r.body : undefined;
    }, 60_000, 500);
    const fees = await waitFor('/v1/fees with capacity', async () => {
      const f = (await api.GET('/v1/fees')).data;
      return f?.capacity ? f : undefined;
    }, 60_000, 500);
    const capacity = fees.capacity!;
    expect({ status: capacity.status, collateralRatioBps: capacity.collateralRatioBps }).toEqual({ status: own.status, collateralRatioBps: own.collateralRatioBps });
    // What the bridge owes is the L2 supply: the deposit less the final burn.
    expect(capacity.obligationsSats).toBe(fees.l2SupplySats);
    expect(BigInt(capacity.obligationsSats)).toBe(DEPOSIT_SATS - WITHDRAW_SATS);
    const signers = (await api.GET('/v1/signers')).data!;
    expect(signers.stake).not.toBeNull();
    expect(Array.isArray(signers.stake!.signers)).toBe(true);
    if (page) {
      await consoleShows('reserves', (t) => t.includes('capacity') && !t.includes('stake-accounting does not answer'), 'capacity');
      await consoleShows('alerts', (t) => t.length > 0, 'its alerts');
      await screenshot('05-capacity');
    }
  });

  it.skipIf(!haveChromium)('serves the console as a page whose assets load and whose every panel rendered (needs chromium)', async () => {
    const errors: string[] = [];
    const fresh = await browser!.newPage();
    fresh.on('pageerror', (e) => errors.push(e.message));
    const res = await fresh.goto(`http://127.0.0.1:${gateway.port}/console`);
    expect(res?.status()).toBe(200);
    for (const panel of ['alerts', 'chain', 'deposits', 'withdrawals', 'reserves', 'signers', 'sessions', 'watch']) await fresh.getByTestId(`panel-${panel}`).waitFor({ timeout: 60_000 });
    expect(errors).toEqual([]);
    const missing = await fetch(`http://127.0.0.1:${gateway.port}/console/assets/nope.js`);
    expect(missing.status).toBe(404);
    const climbing = await fetch(`http://127.0.0.1:${gateway.port}/console/assets/..%2f..%2fpackage.json`);
    expect([403, 404]).toContain(climbing.status);
    await fresh.close();
  });
});
