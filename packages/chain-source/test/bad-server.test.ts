import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeTransaction, hashToHex, headerHashHex } from '@tapbridge/bitcoin';
import { BitcoinCoreRpcSource, BroadcastError, ChainSourceError, EsploraSource, type RetryEnvironment } from '../src/index.js';

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

/** A Core node that answers each method as told (Core's HTTP 500 for an error), and "Method not found" otherwise. */
const rpcByMethod =
  (answers: Record<string, { result: unknown } | { error: { code: number; message: string } }>): Handler =>
  (_req, body, res) => {
    const { id, method } = JSON.parse(body) as { id: number; method: string };
    const a = answers[method] ?? { error: { code: -32601, message: 'Method not found' } };
    const error = 'error' in a ? a.error : null;
    res.writeHead(error ? 500 : 200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ result: 'result' in a ? a.result : null, error, id }));
  };
/** An Esplora that answers each path as told, 404 otherwise. */
const byPath =
  (routes: Record<string, [number, string]>): Handler =>
  (req, _body, res) => {
    const [status, body] = routes[`${req.method} ${req.url}`] ?? [404, 'Not found'];
    res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
  };

const TX_HEX = '01000000' + '01' + '11'.repeat(32) + '00000000' + '00' + 'ffffffff' + '01' + 'e803000000000000' + '00' + '00000000';
const TXID = hashToHex(decodeTransaction(TX_HEX).txid);
const notFound = { error: { code: -5, message: 'No such mempool or blockchain transaction' } };

describe('fee rates at the edge', () => {
  it('converts Core\'s BTC/kvB, and refuses non-positive or missing rates', async () => {
    handler = rpcReply({ feerate: 0.00012345, blocks: 6 });
    expect(await rpc().estimateFeeRate(6)).toBe(12.345);
    handler = rpcReply({ feerate: 'cheap', blocks: 6 });
    expect((await failure(rpc().estimateFeeRate(6))).failure.kind).toBe('malformed');
    handler = rpcReply({ feerate: -0.0001, blocks: 6 });
    expect((await failure(rpc().estimateFeeRate(6))).failure.kind).toBe('malformed');
    handler = rpcReply({ errors: ['Insufficient data or no feerate found'], blocks: 0 });
    expect((await failure(rpc().estimateFeeRate(6))).failure).toEqual({ kind: 'not-found', what: 'fee estimate for 6 blocks (Insufficient data or no feerate found)' });
  });

  it('reads Esplora /fee-estimates by the largest target not above the one asked', async () => {
    handler = text(JSON.stringify({ '2': 87.882, '6': 68.285, '144': 1.027 }));
    const source = esplora();
    expect([await source.estimateFeeRate(1), await source.estimateFeeRate(5), await source.estimateFeeRate(6), await source.estimateFeeRate(1008)]).toEqual([87.882, 87.882, 68.285, 1.027]);
    handler = text('{}');
    expect((await failure(esplora().estimateFeeRate(3))).failure.kind).toBe('not-found');
    handler = text(JSON.stringify({ '3': 0 }));
    expect((await failure(esplora().estimateFeeRate(3))).failure.kind).toBe('malformed');
    handler = text(JSON.stringify({ three: 5 }));
    expect((await failure(esplora().estimateFeeRate(3))).failure.kind).toBe('malformed');
    handler = text('<html>rate limited</html>');
    expect((await failure(esplora().estimateFeeRate(3))).failure.kind).toBe('malformed');
    // One request each: a malformed answer is not retried.
    expect(requests).toBe(8);
  });
});

describe('transaction status and outspends at the edge', () => {
  it('refuses an Esplora status without its block, reads a 404 as unknown', async () => {
    const path = `/tx/${TXID}/status`;
    handler = byPath({ [`GET ${path}`]: [200, JSON.stringify({ confirmed: true, block_height: 7, block_hash: otherHash, block_time: 1 })] });
    expect(await esplora().txStatus(TXID)).toEqual({ txid: TXID, inMempool: false, confirmed: true, blockHash: otherHash, blockHeight: 7 });
    for (const bad of [{ confirmed: true }, { confirmed: 'no' }, { confirmed: true, block_height: 7, block_hash: 'zz' }, { confirmed: true, block_height: -1, block_hash: otherHash }]) {
      handler = byPath({ [`GET ${path}`]: [200, JSON.stringify(bad)] });
      expect((await failure(esplora().txStatus(TXID))).failure.kind).toBe('malformed');
    }
    handler = byPath({});
    expect(await esplora().txStatus(TXID)).toEqual({ txid: TXID, inMempool: false, confirmed: false });
  });

  it('refuses Core answers about another transaction or block, and a block off the active chain reads as unknown', async () => {
    handler = rpcByMethod({ getmempoolentry: { result: 'garbage' } });
    expect((await failure(rpc().txStatus(TXID))).failure.kind).toBe('malformed');
    handler = rpcByMethod({ getmempoolentry: notFound, getrawtransaction: { result: { txid: otherHash, vout: [] } } });
    expect((await failure(rpc().txStatus(TXID))).message).toMatch(/describes/);
    const confirmedTx = { txid: TXID, blockhash: headerHash, confirmations: 3, vout: [] };
    handler = rpcByMethod({ getmempoolentry: notFound, getrawtransaction: { result: confirmedTx }, getblockheader: { result: { hash: otherHash, height: 5, confirmations: 3 } } });
    expect((await failure(rpc().txStatus(TXID))).failure.kind).toBe('malformed');
    handler = rpcByMethod({ getmempoolentry: notFound, getrawtransaction: { result: confirmedTx }, getblockheader: { result: { hash: headerHash, height: 5, confirmations: -1 } } });
    expect(await rpc().txStatus(TXID)).toEqual({ txid: TXID, inMempool: false, confirmed: false });
    handler = rpcByMethod({ getmempoolentry: notFound, getrawtransaction: { result: confirmedTx }, getblockheader: { result: { hash: headerHash, height: 5, confirmations: 3 } } });
    expect(await rpc().txStatus(TXID)).toEqual({ txid: TXID, inMempool: false, confirmed: true, blockHash: headerHash, blockHeight: 5 });
    handler = rpcByMethod({ getmempoolentry: notFound, getrawtransaction: notFound });
    expect(await rpc().txStatus(TXID)).toEqual({ txid: TXID, inMempool: false, confirmed: false });
    // Not in the mempool a moment ago, then found without a block: it has just arrived there.
    handler = rpcByMethod({ getmempoolentry: notFound, getrawtransaction: { result: { txid: TXID, vout: [] } } });
    expect(await rpc().txStatus(TXID)).toEqual({ txid: TXID, inMempool: true, confirmed: false });
  });

  it('refuses malformed outspends; an unspent answer for an output that does not exist is not-found', async () => {
    const path = `/tx/${TXID}/outspend/0`;
    for (const bad of [{ spent: true, txid: 'nothex', vin: 0, status: { confirmed: false } }, { spent: true, txid: otherHash, vin: -1, status: { confirmed: false } }, { spent: 'yes' }, { spent: true, txid: otherHash, vin: 0 }]) {
      handler = byPath({ [`GET ${path}`]: [200, JSON.stringify(bad)] });
      expect((await failure(esplora().outspend(TXID, 0))).failure.kind).toBe('malformed');
    }
    handler = byPath({ [`GET ${path}`]: [200, JSON.stringify({ spent: true, txid: otherHash, vin: 2, status: { confirmed: false } })] });
    expect(await esplora().outspend(TXID, 0)).toEqual({ spent: true, txid: otherHash, vin: 2, confirmed: false });
    // Esplora says unspent for any outpoint; the transaction itself says whether output 3 exists.
    const outspendAnswer = byPath({ [`GET /tx/${TXID}/outspend/3`]: [200, '{"spent":false}'] });
    handler = (req, body, res) => {
      if (req.url === `/tx/${TXID}/raw`) return void res.writeHead(200).end(Buffer.from(TX_HEX, 'hex'));
      outspendAnswer(req, body, res);
    };
    expect((await failure(esplora().outspend(TXID, 3))).failure).toEqual({ kind: 'not-found', what: `output ${TXID}:3 (no such output)` });

    handler = rpcByMethod({ gettxout: { result: {} } });
    expect((await failure(rpc().outspend(TXID, 0))).failure.kind).toBe('malformed');
    handler = rpcByMethod({ gettxout: { result: null }, getrawtransaction: notFound });
    expect((await failure(rpc().outspend(TXID, 0))).failure.kind).toBe('not-found');
    await expect(rpc().outspend(TXID, 1.5)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('broadcast at the edge', () => {
  it('treats Core\'s and Esplora\'s "already have it" answers as success', async () => {
    for (const [code, message] of [
      [-27, 'Transaction already in block chain'],
      [-27, 'Transaction outputs already in utxo set'],
      [-26, 'txn-already-known'],
      [-26, 'txn-already-in-mempool'],
    ] as const) {
      handler = rpcReply(null, { code, message }, 500);
      expect(await rpc().broadcastTransaction(TX_HEX)).toEqual({ txid: TXID, status: 'already-known', sources: [{ source: rpc().name, ok: true, status: 'already-known', detail: message }] });
    }
    handler = text(`sendrawtransaction RPC error: {"code":-26,"message":"txn-already-in-mempool"}`, 400);
    expect(await esplora().broadcastTransaction(TX_HEX)).toMatchObject({ status: 'already-known' });
    // Some Esplora deployments relay the reason as plain text.
    handler = text('Transaction already in block chain', 400);
    expect(await esplora().broadcastTransaction(TX_HEX)).toMatchObject({ status: 'already-known' });
  });

  it('refuses a wrong txid and reports rejections and outages as a BroadcastError', async () => {
    handler = rpcReply(otherHash);
    const wrong = await failure(rpc().broadcastTransaction(TX_HEX));
    expect(wrong).toBeInstanceOf(BroadcastError);
    expect(wrong.failure).toEqual({ kind: 'malformed', what: `sendrawtransaction returned ${otherHash}, but the transaction's txid is ${TXID}` });
    handler = text('not a txid');
    expect((await failure(esplora().broadcastTransaction(TX_HEX))).failure.kind).toBe('malformed');
    handler = text(`sendrawtransaction RPC error: {"code":-26,"message":"insufficient fee, rejecting replacement"}`, 400);
    const rejected = await failure(esplora().broadcastTransaction(TX_HEX));
    expect(rejected.failure).toEqual({ kind: 'rpc', code: -26, rpcMessage: 'insufficient fee, rejecting replacement' });
    expect((rejected as BroadcastError).reports).toHaveLength(1);
    const env = recordingEnv();
    handler = text('overloaded', 503);
    expect((await failure(esplora(env).broadcastTransaction(TX_HEX))).failure).toEqual({ kind: 'http', status: 503, body: 'overloaded' });
    expect(env.delays).toHaveLength(3);
    await expect(rpc().broadcastTransaction('abc')).rejects.toBeInstanceOf(TypeError);
  });
});

