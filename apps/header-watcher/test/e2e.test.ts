// The built watcher end to end: real Postgres, NATS JetStream and an in-process devnet chain served over Core
// JSON-RPC and Esplora. What reached the JetStream stream is read back and checked event by event.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGTEST, checkProofOfWork, decodeHeader, encodeHeader, hashToHex, headerHash, hexToBytes, bytesToHex } from '@tapbridge/bitcoin';
import { deleteStreams, request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import { createTestDatabase, deleteRedisKeys, waitFor, type TestDatabase } from '@tapbridge/testing';
import { Watcher, buildApp, connectStream, readStream, startChain, type StreamEvent } from './support/harness.js';

type Chain = Awaited<ReturnType<typeof startChain>>;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function resources(): Promise<{ db: TestDatabase; prefix: string; messaging: Messaging; pool: pg.Pool }> {
  const db = await createTestDatabase();
  const { prefix, messaging } = await connectStream();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // Run in reverse, after the watchers started on them are killed: the pool, then the streams, the watcher's Redis keys
  // (its rate-limit counters) and the connection, then the database.
  cleanups.push(() => db.drop(), async () => {
    await deleteStreams(messaging.jsm, messaging.naming);
    await deleteRedisKeys(`${prefix}:*`);
    await messaging.close();
  }, () => pool.end());
  return { db, prefix, messaging, pool };
}

const coreSource = (chain: Chain) => `core+${chain.rpcUrl}#cookie=${chain.cookieFile}`;
const bestHashes = (chain: Chain) => Array.from({ length: chain.node.tip.height + 1 }, (_, h) => chain.node.getBlockHash(h));

/**
 * An Esplora server that answers from the devnet's Esplora except where `override` returns a body (text, or JSON
 * for /block/<hash>) or null (404). Returns its URL.
 */
async function fakeEsplora(chain: Chain, override: (url: string) => string | null | undefined | Promise<string | null | undefined>): Promise<string> {
  const server = http.createServer(async (req, res) => {
    const url = req.url ?? '/';
    const forced = await override(url);
    if (forced === null) return res.writeHead(404).end('Block not found');
    if (forced !== undefined) return res.writeHead(200, { 'content-type': forced.startsWith('{') ? 'application/json' : 'text/plain' }).end(forced);
    try {
      const upstream = await fetch(chain.esploraUrl + url);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' }).end(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      // The devnet is closing at the end of the run: answer rather than leave a rejected handler behind.
      res.writeHead(502).end((err as Error).message);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startWatcher(env: Record<string, string>): Promise<Watcher> {
  const w = await Watcher.start(env);
  cleanups.push(() => w.kill('SIGKILL'));
  return w;
}

/** Waits until the stream holds `count` messages (cheap: stream info), then reads them all once. */
async function streamOf(messaging: Messaging, count: number): Promise<StreamEvent[]> {
  await waitFor(`${count} events on the stream`, async () => (await messaging.jsm.streams.info(messaging.naming.stream('BTC'))).state.messages >= count, 60_000, 100);
  return readStream(messaging);
}

// Building the app and what it imports took 8 minutes once on the shared 2-core machine (load 20+).
beforeAll(() => buildApp(), 900_000);

// One chain and one watcher for three cases, in order: the first two read the chain as mined (300 blocks), the
// third reorgs it, so it comes last. Each waits for the sync it reads itself.
describe.sequential('header-watcher end to end', () => {
  let chain: Chain;
  let watcher: Watcher;
  let messaging: Messaging;

  beforeAll(async () => {
    chain = await startChain(300);
    cleanups.push(() => chain.close());
    const r = await resources();
    messaging = r.messaging;
    watcher = await startWatcher({ DATABASE_URL: r.db.url, STREAM_PREFIX: r.prefix, BTC_SOURCES: coreSource(chain), SYNC_BATCH_SIZE: '64' });
  });

  it('syncs a devnet chain from genesis and publishes one connected event per block, in chain order', async () => {
    const expected = bestHashes(chain);
    await watcher.waitForTip(expected[300]!);
    const events = await streamOf(messaging, 301);
    expect(events).toHaveLength(301);
    expect(events.map((e) => e.subject)).toEqual(Array(301).fill('btc.header.connected'));
    expect(events.map((e) => e.payload.height)).toEqual([...Array(301).keys()]);
    expect(events.map((e) => e.payload.hash)).toEqual(expected);
    expect(events.map((e) => e.id)).toEqual(expected.map((h) => `btc.header.connected:${h}:initial`));
    expect(events.every((e) => e.payload.network === 'regtest')).toBe(true);
  });

  it('answers the REST and NATS APIs: tip, by height, by hash, ranges, sync status, errors', async () => {
    const expected = bestHashes(chain);
    await watcher.waitForTip(expected[300]!);
    const tip = await watcher.get<Record<string, unknown>>('/headers/tip');
    expect(tip.status).toBe(200);
    expect(tip.body).toMatchObject({ height: 300, hash: expected[300], prevHash: expected[299], inBest: true, confirmations: 1, bits: '207fffff' });
    expect(hashToHex(headerHash(hexToBytes(tip.body.header as string)))).toBe(expected[300]);

    expect((await watcher.get('/headers/120')).body).toMatchObject({ height: 120, hash: expected[120], confirmations: 181 });
    expect((await watcher.get(`/headers/${expected[7]!.toUpperCase()}`)).body).toMatchObject({ height: 7, hash: expected[7] });
    const range = await watcher.get<{ headers: Array<{ height: number; hash: string }> }>('/headers?from=10&to=19');
    expect(range.body.headers.map((h) => h.hash)).toEqual(expected.slice(10, 20));
    expect((await watcher.get<{ headers: unknown[] }>('/headers?from=295&to=400')).body.headers).toHaveLength(6);

    for (const bad of ['/headers?from=20&to=10', '/headers?from=0&to=5000', '/headers?from=-1&to=3', '/headers?from=1', '/headers?from=a&to=b', '/headers/xyz', '/headers/12ab']) {
      const r = await watcher.get<{ message: string }>(bad);
      expect(r.status, bad).toBe(400);
      expect(r.body.message, bad).toMatch(/height|from|to|at most/);
    }
    expect((await watcher.get('/headers/301')).status).toBe(404);
    expect((await watcher.get(`/headers/${'ab'.repeat(32)}`)).status).toBe(404);

    const sync = await watcher.get<{ bestHeight: number; sources: Array<Record<string, unknown>> }>('/sync');
    expect(sync.body.bestHeight).toBe(300);
    expect(sync.body.sources).toEqual([expect.objectContaining({ name: expect.stringMatching(/^core@127\.0\.0\.1:\d+$/), height: 300, lag: 0, strikes: 0 })]);
    const metrics = await watcher.get<string>('/metrics');
    expect(metrics.body).toMatch(/^tapbridge_btc_best_height 300$/m);
    expect(metrics.body).toMatch(/^tapbridge_btc_headers_validated_total 300$/m);
    // The same API over NATS request/reply.
    const header = z.object({ height: z.number(), hash: z.string() }).passthrough();
    expect(await request(messaging, 'btc.headers.tip', {}, { response: header })).toMatchObject({ height: 300, hash: expected[300] });
    expect(await request(messaging, 'btc.headers.get', { heightOrHash: 42 }, { response: header })).toMatchObject({ hash: expected[42] });
    const natsRange = await request(messaging, 'btc.headers.range', { from: 3, to: 5 }, { response: z.object({ headers: z.array(header) }) });
    expect(natsRange.headers.map((h) => h.hash)).toEqual(expected.slice(3, 6));
    await expect(request(messaging, 'btc.headers.range', { from: 9, to: 2 }, { response: header })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(request(messaging, 'btc.headers.get', { heightOrHash: 999 }, { response: header })).rejects.toMatchObject({ code: 'not_found' });

    await expect(request(messaging, 'btc.headers.get', { heightOrHash: true }, { response: header })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^heightOrHash: /) });
    const problem = await fetch(`${watcher.url}/headers/xyz`);
    expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await problem.json()).toMatchObject({ type: 'urn:tapbridge:problem:bad_request', status: 400, instance: '/headers/xyz', code: 'bad_request' });

    // The OpenAPI document carries the zod schemas the responses are serialised with.
    type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> }>>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    const docs = await watcher.get<Doc>('/docs-json');
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/headers/tip', '/headers/{heightOrHash}', '/headers', '/forks', '/sync']));
    const tipRef = docs.body.paths['/headers/tip']!.get!.responses['200']!.content['application/json']!.schema.$ref.split('/').pop()!;
    expect(Object.keys(docs.body.components.schemas[tipRef]!.properties)).toEqual(expect.arrayContaining(['height', 'hash', 'chainwork', 'confirmations']));
  });

  it('follows a reorg onto a longer branch: disconnects tip first, then connects, each event once', async () => {
    const before = bestHashes(chain);
    const seen = (await readStream(messaging)).length;
    chain.node.invalidateBlock(before[291]!); // the chain falls back to 290
    const branch = chain.node.generateToAddress(15, chain.node.getNewAddress('bech32', 'branch')); // 291…305
    expect(chain.node.tip.height).toBe(305);
    await watcher.waitForTip(branch.at(-1)!);

    const events = (await streamOf(messaging, seen + 25)).slice(seen);
    expect(events.map((e) => `${e.subject.slice(11)}@${e.payload.height}`)).toEqual([
      ...[300, 299, 298, 297, 296, 295, 294, 293, 292, 291].map((h) => `disconnected@${h}`),
      ...Array.from({ length: 15 }, (_, i) => `connected@${291 + i}`),
    ]);
    expect(events.slice(0, 10).map((e) => e.payload.hash)).toEqual(before.slice(291).reverse());
    expect(events.slice(10).map((e) => e.payload.hash)).toEqual(branch);
    const reorgIds = new Set(events.filter((e) => e.payload.reorgId).map((e) => e.payload.reorgId));
    expect(reorgIds.size).toBe(1);
    expect([...reorgIds][0]).toMatch(new RegExp(`^${before[300]}-`));
    const all = await readStream(messaging);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);

    const forks = await watcher.get<Array<Record<string, unknown>>>('/forks');
    expect(forks.body).toEqual([{ height: 300, hash: before[300], chainwork: expect.any(String), forkHeight: 290, branchLength: 10 }]);
    expect((await watcher.get('/headers/300')).body).toMatchObject({ hash: chain.node.getBlockHash(300) });
    expect((await watcher.get(`/headers/${before[300]}`)).body).toMatchObject({ inBest: false, confirmations: 0 });
    const metrics = (await watcher.get<string>('/metrics')).body;
    expect(metrics).toMatch(/^tapbridge_btc_reorgs_total 1$/m);
    expect(metrics).toMatch(/^tapbridge_btc_reorg_depth_bucket\{le="10"\} 1$/m);
  });
});

describe('header-watcher crash and bad data', () => {
  it('continues after SIGKILL mid-sync with no gap or duplicate in the table or the stream', async () => {
    const chain = await startChain(1_000);
    cleanups.push(() => chain.close());
    const { db, prefix, messaging, pool } = await resources();
    const env = { DATABASE_URL: db.url, STREAM_PREFIX: prefix, BTC_SOURCES: coreSource(chain), SYNC_BATCH_SIZE: '100', SYNC_CONCURRENCY: '16' };
    const first = await startWatcher(env);
    await waitFor('a partial sync', async () => (await first.tipHeight()) >= 200, 30_000, 20);
    expect(await first.kill('SIGKILL')).toBeNull();
    const stoppedAt = (await pool.query<{ h: number }>(`SELECT max(height) AS h FROM header_watcher.header WHERE in_best`)).rows[0]!.h;
    expect(stoppedAt).toBeLessThan(1_000);

    const second = await startWatcher(env);
    const expected = bestHashes(chain);
    await second.waitForTip(expected[1_000]!, 60_000);
    const rows = await pool.query<{ height: number; hash: string }>(`SELECT height, hash FROM header_watcher.header WHERE in_best ORDER BY height`);
    expect(rows.rows.map((r) => r.height)).toEqual([...Array(1_001).keys()]);
    expect(rows.rows.map((r) => r.hash)).toEqual(expected);
    expect((await pool.query(`SELECT count(*)::int AS n FROM header_watcher.header`)).rows[0].n).toBe(1_001);

    const events = await streamOf(messaging, 1_001);
    expect(events.map((e) => e.payload.height)).toEqual([...Array(1_001).keys()]);
    expect(new Set(events.map((e) => e.id)).size).toBe(1_001);
    await second.kill('SIGTERM');
  });

  it('rejects tampered headers from lying sources, stores nothing of them, and still follows the honest one', async () => {
    const chain = await startChain(200);
    cleanups.push(() => chain.close());
    const H = 120;
    // A consistent liar: its block 120 is the real one with a nonce that misses the target, and it names that
    // header's hash at height 120 and as its tip, so only our own proof-of-work check can catch it.
    const real = hexToBytes(await (await fetch(`${chain.esploraUrl}/block/${chain.node.getBlockHash(H)}/header`)).text());
    const fields = decodeHeader(real);
    let tampered = real;
    for (let nonce = fields.nonce + 1; checkProofOfWork(headerHash(tampered), fields.bits, REGTEST); nonce++) tampered = encodeHeader({ ...fields, nonce });
    const fakeHash = hashToHex(headerHash(tampered));
    /** The devnet's /blocks/:start page with `edit` applied to each block summary. */
    const editedPage = async (url: string, edit: (block: Record<string, unknown>) => Record<string, unknown>) =>
      JSON.stringify(((await (await fetch(chain.esploraUrl + url)).json()) as Array<Record<string, unknown>>).map(edit));
    const liarUrl = await fakeEsplora(chain, (url) => {
      if (url === '/blocks/tip/hash') return fakeHash;
      // Catch-up reads /blocks/:start pages: the same lie there, in the fields a header is rebuilt from.
      const page = /^\/blocks\/(\d+)$/.exec(url);
      if (page) return Number(page[1]) > H ? null : editedPage(url, (b) => (b.height === H ? { ...b, id: fakeHash, nonce: decodeHeader(tampered).nonce } : b));
      if (url === `/block/${fakeHash}`) return JSON.stringify({ id: fakeHash, height: H });
      if (url === `/block-height/${H}`) return fakeHash;
      if (url === `/block/${fakeHash}/header`) return bytesToHex(tampered);
      const m = /^\/block-height\/(\d+)$/.exec(url);
      if (m && Number(m[1]) > H) return null;
      return undefined;
    });
    // A careless liar: names the real block at each height, but serves block 121's header for block 150. Listed
    // first with the same tip as the honest source, so it is asked first; its client refuses the mismatch.
    const swapped = chain.node.getBlockHash(150);
    const h121 = decodeHeader(chain.node.getEntry(chain.node.getBlockHash(121)).block.headerBytes);
    const swapperUrl = await fakeEsplora(chain, (url) => {
      if (url === `/block/${swapped}/header`) return bytesToHex(chain.node.getEntry(chain.node.getBlockHash(121)).block.headerBytes);
      // On /blocks pages: block 150's id over block 121's fields.
      if (/^\/blocks\/\d+$/.test(url))
        return editedPage(url, (b) =>
          b.id === swapped
            ? { ...b, version: h121.version, timestamp: h121.time, merkle_root: hashToHex(h121.merkleRoot), previousblockhash: hashToHex(h121.prevHash), nonce: h121.nonce, bits: h121.bits }
            : b,
        );
      return undefined;
    });

    const { db, prefix, messaging, pool } = await resources();
    const watcher = await startWatcher({
      DATABASE_URL: db.url,
      STREAM_PREFIX: prefix,
      BTC_SOURCES: `esplora+${swapperUrl},esplora+${liarUrl},${coreSource(chain)}`,
    });
    const expected = bestHashes(chain);
    await watcher.waitForTip(expected[200]!);
    await waitFor('the liar to be caught', async () => watcher.logLines().some((l) => l.msg === 'header rejected'), 15_000);

    const rejection = watcher.logLines().find((l) => l.msg === 'header rejected')!;
    expect(rejection).toMatchObject({ source: expect.stringMatching(/^esplora@/), rule: 'high-hash', height: H, hash: fakeHash });
    const stored = await pool.query(`SELECT count(*)::int AS n FROM header_watcher.header WHERE hash = $1`, [fakeHash]);
    expect(stored.rows[0].n).toBe(0);
    expect((await pool.query(`SELECT count(*)::int AS n FROM header_watcher.header`)).rows[0].n).toBe(201);

    const sync = await watcher.get<{ sources: Array<{ name: string; lastError?: string; strikes: number }> }>('/sync');
    const [swapperStatus, liarStatus, honestStatus] = sync.body.sources;
    expect(liarStatus!.lastError).toMatch(/high-hash at height 120/);
    expect(liarStatus!.strikes).toBeGreaterThanOrEqual(1);
    expect(swapperStatus!.lastError).toMatch(new RegExp(`header hashes to .* not the requested ${swapped}|fields of block 150 do not hash to its id ${swapped}`));
    expect(honestStatus).toMatchObject({ height: 200, lag: 0, strikes: 0 });
    expect((await watcher.get<string>('/metrics')).body).toMatch(/^tapbridge_btc_headers_rejected_total\{rule="high-hash"\} [1-9]/m);

    const events = await streamOf(messaging, 201);
    expect(events.map((e) => e.payload.hash)).toEqual(expected);
  });
});
