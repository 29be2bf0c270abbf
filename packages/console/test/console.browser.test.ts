// The console in Debian's chromium (playwright-core) against a scripted public API: what each panel draws from the
// answers, the alerts it raises, a failed read shown where it belongs, and the live watch following a deposit over
// SSE. apps/api-gateway/test/stack.e2e.test.ts drives the same page against the real services.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI installs Debian's chromium (.ci/run)`);
  console.warn(`[skip] ${CHROMIUM} is not installed: the console's browser test is skipped (apt-get install chromium)`);
}
const root = fileURLToPath(new URL('..', import.meta.url));
// Built into a directory of its own: no race with a turbo build writing dist/ at the same time.
const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-console-'));
const TXID = 'c3'.repeat(32);
const now = () => new Date().toISOString();

/** The public API as the console reads it: fixed answers, /v1/pipeline failing, one deposit that confirms on cue. */
function fakeGateway(): http.Server {
  let confirmed = false;
  const answers: Record<string, () => unknown> = {
    '/v1/chain': () => ({
      bitcoin: { network: 'regtest', tipHeight: 120, tipHash: 'ab'.repeat(32), tipTime: Math.floor(Date.now() / 1000) - 30, sources: [{ name: 'core@a', height: 120, lag: 0 }, { name: 'esplora@b', height: 119, lag: -1 }] },
      l2: { chainId: 29794, height: 50, headHash: '0x' + 'ef'.repeat(32), finalizedHeight: 47, finalityDepth: 3, bridgeAddress: '0x0000000000000000000000000000000000b71d6E' },
    }),
    '/v1/reserves': () => ({ custodySats: '150000000', custodyUtxos: 2, l2SupplySats: '149000000', pendingWithdrawalsSats: null, feesPaidSats: '1000', discrepancySats: '-999000', invariantHolds: false, invariant: 'custody = supply + pending - fees', checkedAt: now() }),
    '/v1/signers': () => ({
      groupKey: 'aa', custodyAddress: 'bcrt1pcustody', signers: 2, live: 1, ready: 1,
      members: [{ index: 1, live: true, ready: true, lastSeen: now(), misbehaviourCount: 0, lastMisbehaviour: null }, { index: 2, live: false, ready: false, lastSeen: null, misbehaviourCount: 1, lastMisbehaviour: now() }],
      stake: { epoch: { epoch: 2, startHeight: 100, threshold: 2, totalStake: '3000000000000000000000', members: ['h1'] }, signers: [{ address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72', hostPubkey: 'h1', selfBond: '1', delegated: '0', stake: '2000000000000000000000', unbonding: '0', status: 'active', jailedUntilEpoch: 0 }] },
    }),
    '/v1/fees': () => ({
      feeRateSatPerVb: 2, pipeline: 'idle', waitingWithdrawals: 1, stuckWithdrawals: ['7'], outflow: { limitBps: 2000, windowHours: 24, heldBack: [] }, l2SupplySats: '149000000',
      capacity: { status: 'open', capacitySats: '5000', stakeUnits: '3000000000000000000000', stakeValueSats: '238400000', obligationsSats: '149000000', collateralRatioBps: 15000, ratioBps: '16000', priceSatsPerToken: '79466', reason: null, at: now() },
    }),
    [`/v1/deposits/${TXID}/1`]: () => ({
      txid: TXID, vout: 1, kind: 'taproot', status: confirmed ? 'confirmed' : 'seen', amountSats: '100000', recipient: '0x8ba1f109551bD432803012645Ac136ddd64DBA72', maxFeeSats: '2000', scriptPubKey: '5120',
      confirmations: confirmed ? 1 : 0, registeredAt: now(), updatedAt: now(), history: [{ status: 'registered', detail: '', at: now() }, { status: 'seen', detail: '', at: now() }, ...(confirmed ? [{ status: 'confirmed', detail: '', at: now() }] : [])],
    }),
  };
  return http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://gateway');
    if (url.pathname === '/v1/pipeline') {
      res.writeHead(503, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'urn:tapbridge:problem:unavailable', title: 'Service Unavailable', status: 503, detail: 'no service answers rpc.deposits.deposit.list right now', code: 'unavailable' }));
      return;
    }
    if (url.pathname === `/v1/deposits/${TXID}/1/events`) {
      // As the gateway's SSE: the status now, then a change event (its body is the event payload, no status field).
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: status\ndata: ${JSON.stringify(answers[`/v1/deposits/${TXID}/1`]!())}\n\n`);
      setTimeout(() => {
        confirmed = true;
        res.write(`event: deposit.confirmed\nid: deposit.confirmed:${TXID}:1:${'dd'.repeat(32)}\ndata: ${JSON.stringify({ txid: TXID, vout: 1, blockHeight: 121 })}\n\n`);
      }, 1_500);
      return;
    }
    if (url.pathname === '/v1/withdrawals') {
      // By state as the gateway pages them: two signing (one stuck), one final, the rest empty; a page of 50 at most.
      const w = (id: string, status: string, waitingBlocks: number, stuck: boolean) => ({ id, sender: '0x8ba1f109551bD432803012645Ac136ddd64DBA72', scriptPubKey: '0014', amountSats: '5000', maxFeeSats: '100', status, confirmations: 0, waitingBlocks, stuck });
      const byState: Record<string, unknown[]> = { signing: [w('7', 'signing', 30, true), w('8', 'signing', 2, false)], final: [w('9', 'final', 1, false)] };
      expect(url.searchParams.get('limit')).toBe('50');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ withdrawals: byState[url.searchParams.get('status') ?? ''] ?? [], nextCursor: url.searchParams.get('status') === 'final' ? '9' : null }));
      return;
    }
    if (url.pathname === '/v1/signing-sessions') {
      const session = (id: string, status: string, attempt: number, signers: number[] | null, error: string | null) => ({ id, status, purpose: 'sweep', message: 'ab', outputKey: 'cd', signature: null, signers, attempt, error, createdAt: now(), completedAt: null });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        sessions: [session('sweep:new', 'pending', 3, null, null), session('sweep:old', 'signed', 1, [1, 3], null), session('sweep:bad', 'failed', 2, null, 'too many refusals')], nextCursor: 'sweep:bad',
      }));
      return;
    }
    const answer = answers[url.pathname];
    if (answer) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer()));
      return;
    }
    const rel = url.pathname.startsWith('/console/assets/') ? url.pathname.slice('/console/'.length) : 'index.html';
    const file = path.join(dist, rel);
    if (!file.startsWith(dist) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
    res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  });
}

describe.skipIf(!haveChromium)('ops console in chromium against a scripted API (needs chromium)', () => {
  let server: http.Server;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The bundle the gateway serves, built as `pnpm build` builds it.
    const r = spawnSync('pnpm', ['exec', 'vite', 'build', '--logLevel', 'error', '--outDir', dist], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
    server = fakeGateway();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1500, height: 1200 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/console/?refresh=500`);
    await page.getByTestId('panel-alerts').waitFor({ timeout: 60_000 });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(dist, { recursive: true, force: true });
  });

  const panel = (id: string) => page.getByTestId(`panel-${id}`).innerText();

  it('draws every panel from the API\u2019s answers', async () => {
    expect(await page.getByTestId('btc-tip').innerText()).toMatch(/^120 \(regtest/);
    expect(await page.getByTestId('l2-head').innerText()).toBe('50, finalized 47 (depth 3)');
    expect(await page.getByTestId('custody').innerText()).toBe('1.50000000 BTC in 2 UTXO(s)');
    expect(await page.getByTestId('l2-supply').innerText()).toBe('1.49000000 BTC');
    expect(await page.getByTestId('invariant').innerText()).toContain('BROKEN');
    expect(await page.getByTestId('capacity').innerText()).toBe('open: 0.00005000 BTC');
    expect(await page.getByTestId('collateral-ratio').innerText()).toBe('160.0% (required 150.0%)');
    expect(await page.getByTestId('withdrawals-stuck').innerText()).toBe('7');
    expect(await page.getByTestId('withdrawals-waiting').innerText()).toBe('1');
    const signers = await panel('signers');
    expect(signers).toContain('Signers: 1 of 2 live, 1 ready');
    expect(signers).toMatch(/epoch 2, threshold 2/);
    expect(signers).toMatch(/active\s+2000 staked\s+0 unbonding\s+in set/);
    expect(await page.getByTestId('signer-2').getAttribute('class')).toBe('bad');
  });

  it('lists withdrawals by state (stuck ones highlighted, a full page as +) and the signing sessions', async () => {
    const signing = page.getByTestId('withdrawals-state-signing');
    expect(await signing.innerText()).toMatch(/signing\s+2\s+30 blocks\s+7/);
    expect(await signing.getAttribute('class')).toBe('bad');
    expect(await page.getByTestId('withdrawals-state-final').innerText()).toMatch(/final\s+1\+\s+1 blocks/);
    expect(await page.getByTestId('withdrawals-state-final').getAttribute('class')).toBeNull();
    expect(await page.getByTestId('withdrawals-state-queued').innerText()).toMatch(/queued\s+0\s+—/);
    const sessions = page.getByTestId('session');
    expect(await sessions.count()).toBe(3);
    expect(await sessions.nth(0).innerText()).toMatch(/sweep:new\s+sweep\s+pending\s+3\s+—/);
    expect(await sessions.nth(0).getAttribute('class')).toBe('warn');
    expect(await sessions.nth(1).innerText()).toMatch(/signed\s+1\s+1, 3/);
    expect(await sessions.nth(2).innerText()).toContain('failed: too many refusals');
    expect(await sessions.nth(2).getAttribute('class')).toBe('bad');
  });

  it('raises the alerts, and shows a failed read in its own panel only', async () => {
    const alerts = await panel('alerts');
    for (const text of ['reserves do not match supply', 'stuck withdrawals: 7', 'collateral ratio 160.0% near its limit 150.0%', 'signer 2 is down', 'signer 2 misbehaved 1', 'esplora@b claims height 119', 'pipeline: 503 no service answers rpc.deposits.deposit.list'])
      expect(alerts).toContain(text);
    expect(await page.getByTestId('alert-reserves').getAttribute('class')).toBe('page');
    expect(await panel('deposits')).toContain('503 no service answers rpc.deposits.deposit.list right now');
    expect(await panel('chain')).not.toContain('503');
  });

  it('follows one deposit live: the SSE status, then the change event and a fresh read', async () => {
    await page.getByTestId('watch-input').fill(`${TXID}:1`);
    await page.getByTestId('watch-go').click();
    await page.getByText('deposit.confirmed').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('watch-status').innerText(), { timeout: 30_000 }).toBe('confirmed');
    expect(await page.getByTestId('watch-history').innerText()).toBe('registered → seen → confirmed');
    expect(await page.getByTestId('watch-events').innerText()).toMatch(/^status seen, deposit\.confirmed/);
    fs.mkdirSync(path.join(root, 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'screenshots', 'scripted-api.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
