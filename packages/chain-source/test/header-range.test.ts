// getHeaderRange: batched JSON-RPC against Core's batch semantics, Esplora's /blocks/:start_height pages, both
// against a running devnet-chain and against servers that answer wrongly (errors per call, partial or lying
// answers), which must fail with a typed error and never hand back a header the source did not vouch for.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeHeader, hashToHex, headerHashHex } from '@tapbridge/bitcoin';
import { startDevnetChain, type DevnetChainHandle } from '@tapbridge/devnet-chain';
import { BitcoinCoreRpcSource, ChainSourceError, EsploraSource, MultiSource, type RetryEnvironment } from '../src/index.js';

const noopLogger = (() => {
  const noop = (): void => undefined;
  const l = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => l, level: 'silent' };
  return l as unknown as NonNullable<Parameters<typeof startDevnetChain>[0]['logger']>;
})();
const noWait: RetryEnvironment = { sleep: async () => undefined, random: () => 0 };

async function failure(p: Promise<unknown>): Promise<ChainSourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof ChainSourceError)) throw new Error(`expected a ChainSourceError, got ${String(e)}`);
  return e;
}

describe('against a running devnet-chain', () => {
  let handle: DevnetChainHandle;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-source-range-'));
    handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, rpcUser: 'tap', rpcPassword: 'bridge', logger: noopLogger });
    handle.node.generateToAddress(57, handle.node.getNewAddress());
  });
  afterAll(async () => {
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const expected = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => bytesToHex(handle.node.getEntry(handle.node.getBlockHash(from + i)).block.headerBytes));

  it('Core: the same headers as one call per height, across several batches in flight', async () => {
    const core = new BitcoinCoreRpcSource({ url: handle.rpcUrl, auth: { user: 'tap', password: 'bridge' }, rpcBatchSize: 7, batchesInFlight: 3 });
    expect((await core.getHeaderRange(0, 58)).map(bytesToHex)).toEqual(expected(0, 58));
    expect((await core.getHeaderRange(50, 8)).map(bytesToHex)).toEqual(expected(50, 8));
    expect(await core.getHeaderRange(3, 0)).toEqual([]);
  });

  it('Core: a range past the tip is not-found, naming the missing height', async () => {
    const core = new BitcoinCoreRpcSource({ url: handle.rpcUrl, auth: { user: 'tap', password: 'bridge' }, retryEnvironment: noWait });
    const e = await failure(core.getHeaderRange(50, 20));
    expect(e.failure).toMatchObject({ kind: 'not-found', what: expect.stringContaining('block at height 58') });
  });

  it('Esplora: the same headers from /blocks/:start_height pages, ranges not aligned to 10', async () => {
    const esplora = new EsploraSource({ url: handle.esploraUrl, requestsInFlight: 3 });
    expect((await esplora.getHeaderRange(0, 58)).map(bytesToHex)).toEqual(expected(0, 58));
    expect((await esplora.getHeaderRange(13, 3)).map(bytesToHex)).toEqual(expected(13, 3));
    expect((await failure(esplora.getHeaderRange(55, 10))).failure.kind).toBe('not-found');
  });

  it('MultiSource: falls back to the next source when the first cannot serve the range', async () => {
    const down = new BitcoinCoreRpcSource({ url: 'http://127.0.0.1:1', auth: { user: 'x', password: 'y' }, retry: { retries: 0 } });
    const multi = new MultiSource([down, new EsploraSource({ url: handle.esploraUrl })]);
    expect((await multi.getHeaderRange(10, 12)).map(bytesToHex)).toEqual(expected(10, 12));
  });
});

describe('against servers that answer wrongly', () => {
  type Handler = (body: string, res: http.ServerResponse, url: string) => void;
  let server: http.Server;
  let baseUrl: string;
  let handler: Handler;
  let posts = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts++;
        handler(Buffer.concat(chunks).toString('utf8'), res, req.url ?? '/');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // Three headers (no proof of work: the source does not judge that), the first with a null parent as a genesis.
  const raws = [0, 1, 2].map((i) => Uint8Array.from({ length: 80 }, (_, j) => (i === 0 && j >= 4 && j < 36 ? 0 : (i * 7 + j) & 0xff)));
  const hashes = raws.map(headerHashHex);
  type Call = { id: number; method: string; params: unknown[] };
  /** Answers a batch as Core would, through `edit` to make it lie. */
  const coreBatch = (edit: (replies: Array<Record<string, unknown>>, calls: Call[]) => unknown = (r) => r): Handler => (body, res) => {
    const calls = JSON.parse(body) as Call[];
    const replies = calls.map((c) => {
      if (c.method === 'getblockhash') {
        const h = c.params[0] as number;
        return h < raws.length ? { result: hashes[h], error: null, id: c.id } : { result: null, error: { code: -8, message: 'Block height out of range' }, id: c.id };
      }
      const i = hashes.indexOf(c.params[0] as string);
      return i < 0 ? { result: null, error: { code: -5, message: 'Block not found' }, id: c.id } : { result: bytesToHex(raws[i]!), error: null, id: c.id };
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(edit(replies, calls)));
  };
  const core = (o: Partial<ConstructorParameters<typeof BitcoinCoreRpcSource>[0]> = {}) =>
    new BitcoinCoreRpcSource({ url: baseUrl, auth: { user: 'u', password: 'p' }, retryEnvironment: noWait, retry: { retries: 1 }, ...o });

  it('sends one POST per batch and matches replies by id, in any order', async () => {
    handler = coreBatch((r) => [...r].reverse());
    posts = 0;
    expect((await core().getHeaderRange(0, 3)).map(bytesToHex)).toEqual(raws.map(bytesToHex));
    expect(posts).toBe(2);
  });

  it('fails the batch with the error of the call that failed (partial failure)', async () => {
    handler = coreBatch((r) => r.map((x, i) => (i === 1 && typeof x.result === 'string' && x.result.length === 160 ? { result: null, error: { code: -1, message: 'boom' }, id: x.id } : x)));
    expect((await failure(core().getHeaderRange(0, 3))).failure).toEqual({ kind: 'rpc', code: -1, rpcMessage: 'boom' });
  });

  it('refuses a batch answer with a reply missing, repeated, or for an id it did not send', async () => {
    handler = coreBatch((r) => r.slice(1));
    expect((await failure(core().getHeaderRange(0, 3))).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('3 calls answered with 2') });
    handler = coreBatch((r) => [r[0], r[0], r[2]]);
    expect((await failure(core().getHeaderRange(0, 3))).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('repeated') });
    handler = coreBatch((r) => r.map((x) => ({ ...x, id: (x.id as number) + 1000 })));
    expect((await failure(core().getHeaderRange(0, 3))).failure.kind).toBe('malformed');
  });

  it('refuses a lying answer: a header that does not hash to the hash given for its height', async () => {
    // Replies swapped between two calls keep their ids but carry each other's header.
    handler = coreBatch((r, calls) =>
      calls[0]!.method === 'getblockheader' ? r.map((x, i) => ({ ...x, result: r[(i + 1) % r.length]!.result })) : r);
    const e = await failure(core().getHeaderRange(0, 3));
    expect(e.failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('not the requested') });
    handler = coreBatch((r) => r.map((x) => ({ ...x, result: typeof x.result === 'string' && x.result.length === 160 ? x.result.slice(2) : x.result })));
    expect((await failure(core().getHeaderRange(0, 3))).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('not 80 bytes') });
  });

  it('reads a server without batch support (one error object, HTTP 500) as that RPC error, and a non-array as malformed', async () => {
    handler = (_b, res) => void res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ result: null, error: { code: -32600, message: 'Invalid Request object' }, id: null }));
    expect((await failure(core().getHeaderRange(0, 2))).failure).toEqual({ kind: 'rpc', code: -32600, rpcMessage: 'Invalid Request object' });
    handler = (_b, res) => void res.writeHead(200).end('{"result": []}');
    expect((await failure(core().getHeaderRange(0, 2))).failure.kind).toBe('malformed');
  });

  it('retries a batch after a transient failure', async () => {
    let first = true;
    const ok = coreBatch();
    handler = (body, res, url) => {
      if (first) {
        first = false;
        res.writeHead(503).end('busy');
        return;
      }
      ok(body, res, url);
    };
    expect(await core().getHeaderRange(0, 3)).toHaveLength(3);
  });

  /** An Esplora /blocks/:start page over `raws` (heights 0…2), through `edit`. */
  const page = (start: number, perPage = 10) => {
    const out: Array<Record<string, unknown>> = [];
    for (let h = start; h >= 0 && out.length < perPage; h--) {
      const d = decodeHeader(raws[h]!);
      out.push({
        id: hashes[h], height: h, version: d.version, timestamp: d.time, tx_count: 1, size: 200, weight: 800,
        merkle_root: hashToHex(d.merkleRoot), previousblockhash: h === 0 ? null : hashToHex(d.prevHash), mediantime: d.time, nonce: d.nonce, bits: d.bits, difficulty: 1,
      });
    }
    return out;
  };
  const esploraPages = (edit: (p: Array<Record<string, unknown>>) => unknown = (p) => p, perPage = 10): Handler => (_b, res, url) => {
    const m = /^\/blocks\/(\d+)$/.exec(url);
    if (!m || Number(m[1]) > 2) return void res.writeHead(404).end('Block not found');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(edit(page(Number(m[1]), perPage))));
  };
  const esplora = () => new EsploraSource({ url: baseUrl, retryEnvironment: noWait, retry: { retries: 0 } });

  it('Esplora: rebuilds headers from the page fields, and asks again when a server lists fewer per page', async () => {
    handler = esploraPages();
    expect((await esplora().getHeaderRange(0, 3)).map(bytesToHex)).toEqual(raws.map(bytesToHex));
    handler = esploraPages(undefined, 1);
    expect((await esplora().getHeaderRange(0, 3)).map(bytesToHex)).toEqual(raws.map(bytesToHex));
  });

  it('Esplora: refuses fields that do not hash to the id, heights out of order, and empty pages', async () => {
    handler = esploraPages((p) => p.map((b) => ({ ...b, nonce: (b.nonce as number) + 1 })));
    expect((await failure(esplora().getHeaderRange(0, 3))).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('do not hash to its id') });
    handler = esploraPages((p) => p.map((b, i) => ({ ...b, height: i })));
    expect((await failure(esplora().getHeaderRange(0, 3))).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('lists height') });
    handler = esploraPages(() => []);
    expect((await failure(esplora().getHeaderRange(0, 3))).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('no blocks') });
    handler = esploraPages((p) => p.map((b) => ({ ...b, bits: 'x' })));
    expect((await failure(esplora().getHeaderRange(0, 3))).failure.kind).toBe('malformed');
  });
});
