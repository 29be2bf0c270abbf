import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, headerHashHex } from '@tapbridge/bitcoin';
import { BitcoinCoreRpcSource, ChainSourceError, EsploraSource, type RetryEnvironment } from '../src/index.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let requests = 0;
const hanging = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      handler(req, Buffer.concat(chunks).toString('utf8'), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  requests = 0;
  for (const res of hanging) res.destroy();
  hanging.clear();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Records backoff delays instead of waiting them out. */
function recordingEnv(): RetryEnvironment & { delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms), random: () => 0.5 };
}

const header = Uint8Array.from({ length: 80 }, (_, i) => i);
const headerHash = headerHashHex(header);
const otherHash = 'ab'.repeat(32);

const rpcReply = (result: unknown, error: { code: number; message: string } | null = null, status = 200): Handler => (_req, body, res) => {
  const id = (JSON.parse(body) as { id: number }).id;
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ result, error, id }));
};
const text = (body: string, status = 200): Handler => (_req, _body, res) => void res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);

const rpc = (env = recordingEnv(), timeoutMs = 2_000) =>
  new BitcoinCoreRpcSource({ url: baseUrl, auth: { user: 'u', password: 'p' }, retryEnvironment: env, timeoutMs, retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000 } });
const esplora = (env = recordingEnv(), timeoutMs = 2_000) => new EsploraSource({ url: baseUrl, retryEnvironment: env, timeoutMs, retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000 } });

async function failure(p: Promise<unknown>): Promise<ChainSourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof ChainSourceError)) throw new Error(`expected a ChainSourceError, got ${String(e)}`);
  return e;
}

describe('validation at the edge', () => {
  it('accepts a header that hashes to the requested hash', async () => {
    handler = rpcReply(bytesToHex(header));
    expect(await rpc().getHeader(headerHash)).toEqual(header);
    handler = text(bytesToHex(header));
    expect(await esplora().getHeader(headerHash)).toEqual(header);
  });

  it('refuses garbage hex', async () => {
    handler = text('zz'.repeat(80));
    expect((await failure(esplora().getHeader(headerHash))).failure.kind).toBe('malformed');
    handler = rpcReply('not hex at all');
    expect((await failure(rpc().getHeader(headerHash))).failure.kind).toBe('malformed');
  });

  it('refuses a header of the wrong length', async () => {
    handler = rpcReply(bytesToHex(header.subarray(0, 79)));
    const e = await failure(rpc().getHeader(headerHash));
    expect(e.failure).toEqual({ kind: 'malformed', what: 'header is 79 bytes, not 80' });
  });

  it('refuses a header that hashes to another block', async () => {
    handler = text(bytesToHex(header));
    const e = await failure(esplora().getHeader(otherHash));
    expect(e.failure).toEqual({ kind: 'malformed', what: `header hashes to ${headerHash}, not the requested ${otherHash}` });
  });

  it('refuses a block whose header does not match, and a transaction with another txid', async () => {
    handler = (_req, _body, res) => void res.writeHead(200).end(Buffer.concat([Buffer.from(header), Buffer.from([0])]));
    expect((await failure(esplora().getRawBlock(otherHash))).failure.kind).toBe('malformed');
    // A minimal valid transaction (one input, one output), served for a txid it does not have.
    const tx = '01000000' + '01' + '11'.repeat(32) + '00000000' + '00' + 'ffffffff' + '01' + 'e803000000000000' + '00' + '00000000';
    handler = rpcReply(tx);
    const e = await failure(rpc().getRawTransaction(otherHash));
    expect(e.failure.kind).toBe('malformed');
    expect(e.message).toMatch(/not the requested/);
  });

  it('refuses a negative height and a non-hash tip', async () => {
    handler = rpcReply({ blocks: -1, bestblockhash: headerHash });
    expect((await failure(rpc().getTip())).failure.kind).toBe('malformed');
    handler = rpcReply({ blocks: 5, bestblockhash: 'abc' });
    expect((await failure(rpc().getTip())).failure.kind).toBe('malformed');
  });

  it('refuses a merkle proof that does not rebuild its root', async () => {
    // Header, one transaction, one hash that is not the header's merkle root, flag bits 1.
    handler = text(bytesToHex(header) + '01000000' + '01' + '22'.repeat(32) + '01' + '01');
    const e = await failure(esplora().getTxMerkleProof('22'.repeat(32)));
    expect(e.failure.kind).toBe('malformed');
    expect(e.message).toMatch(/merkle proof/);
  });

  it('refuses fee estimates that are not positive numbers', async () => {
    handler = text(JSON.stringify({ '1': -3, '6': 2 }));
    expect((await failure(esplora().getFeeEstimates())).failure.kind).toBe('malformed');
  });
});

describe('retries and errors', () => {
  it('retries HTTP 500 with jittered exponential backoff, then succeeds', async () => {
    let calls = 0;
    handler = (req, body, res) => {
      calls++;
      if (calls <= 2) return void res.writeHead(500).end('busy');
      text(bytesToHex(header))(req, body, res);
    };
    const env = recordingEnv();
    expect(await esplora(env).getHeader(headerHash)).toEqual(header);
    expect(requests).toBe(3);
    // Full jitter with random() = 0.5: half of 100·2^attempt.
    expect(env.delays).toEqual([50, 100]);
  });

  it('retries 429, gives up after the configured retries', async () => {
    handler = text('slow down', 429);
    const env = recordingEnv();
    const e = await failure(esplora(env).getBlockHash(3));
    expect(e.failure).toEqual({ kind: 'http', status: 429, body: 'slow down' });
    expect(requests).toBe(4);
    expect(env.delays).toEqual([50, 100, 200]);
  });

  it('does not retry a 400 or an RPC error', async () => {
    handler = text('bad request', 400);
    expect((await failure(esplora().getBlockHash(3))).failure).toMatchObject({ kind: 'http', status: 400 });
    expect(requests).toBe(1);
    handler = rpcReply(null, { code: -1, message: 'boom' }, 500);
    expect((await failure(rpc().getTip())).failure).toEqual({ kind: 'rpc', code: -1, rpcMessage: 'boom' });
    expect(requests).toBe(2);
  });

  it('maps 404 and Core\'s -5 to not-found', async () => {
    handler = text('Block not found', 404);
    expect((await failure(esplora().getHeader(headerHash))).failure.kind).toBe('not-found');
    handler = rpcReply(null, { code: -5, message: 'Block not found' }, 500);
    expect((await failure(rpc().getRawBlock(headerHash))).failure.kind).toBe('not-found');
  });

  it('times out a request that hangs', async () => {
    handler = (_req, _body, res) => void hanging.add(res);
    const e = await failure(rpc(recordingEnv(), 150).getTip());
    expect(e.failure).toEqual({ kind: 'timeout', timeoutMs: 150 });
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const env = recordingEnv();
    const source = new EsploraSource({ url: `http://127.0.0.1:${port}`, retryEnvironment: env, retry: { retries: 2 } });
    const e = await failure(source.getTip());
    expect(e.failure.kind).toBe('network');
    expect(env.delays).toHaveLength(2);
  });

  it('honours the caller\'s abort signal', async () => {
    handler = (_req, _body, res) => void hanging.add(res);
    const controller = new AbortController();
    const pending = esplora().getTip({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(pending).rejects.toThrow('caller gave up');
  });
});
