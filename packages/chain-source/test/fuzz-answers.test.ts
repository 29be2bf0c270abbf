// Fuzz tests: whatever an Esplora server or a Bitcoin Core node answers (random text, random bytes, broken JSON,
// mutated real answers, any HTTP status), every ChainSource method resolves with checked data or rejects with a
// ChainSourceError, never another exception. A local HTTP server gives the answers.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesToHex, hashToHex, headerHashHex, hexToBytes } from '@tapbridge/bitcoin';
import { FUZZ_TIMEOUT_MS, anyJson, fuzzParams, mutatedBytes, mutatedJson, onlyErrorsAsync } from '../../testing/src/fuzz.js';
import { BitcoinCoreRpcSource, ChainSourceError, EsploraSource, type ChainSource } from '../src/index.js';
import { MAX_RESPONSE_BYTES } from '../src/http.js';
import { sharedPath } from '@tapbridge/testing';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const dataDir = sharedPath('bitcoin-data');
const hasData = fs.existsSync(path.join(dataDir, 'mainnet/merkle-proofs.json'));
if (!hasData) console.warn(`fuzz-answers: ${dataDir} not found; mutating synthetic answers only`);

// ---------------------------------------------------------------- valid answers the mutations start from

const header = hasData ? hexToBytes(fs.readFileSync(path.join(dataDir, 'mainnet/headers-822528-830592.hex'), 'utf8').split('\n')[0]!.trim()) : Uint8Array.from({ length: 80 }, (_, i) => i);
const blockHash = headerHashHex(header);
const proofCase = hasData
  ? (JSON.parse(fs.readFileSync(path.join(dataDir, 'mainnet/merkle-proofs.json'), 'utf8')) as { merkleblock: { proofs: Array<{ hex: string; matched: Array<{ txid: string }> }> } }).merkleblock.proofs[1]!
  : undefined;
const proofHex = proofCase?.hex ?? '00'.repeat(120);
const proofTxid = proofCase?.matched[0]?.txid ?? 'ab'.repeat(32);
// A minimal legacy transaction: one input, one output.
const rawTx = hexToBytes('0200000001' + '11'.repeat(32) + '00000000' + '00' + 'ffffffff' + '01' + 'e803000000000000' + '00' + '00000000');
const txHex = bytesToHex(rawTx);
// Its txid, as the sources compute it.
const txid = hashToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', await crypto.subtle.digest('SHA-256', rawTx))));
const block = new Uint8Array([...header, 1, ...rawTx]);

/** What a correct server would say to each request, keyed by what identifies the call. */
const esploraValid: Record<string, string> = {
  '/blocks/tip/hash': blockHash,
  [`/block/${blockHash}`]: JSON.stringify({ id: blockHash, height: 830000, timestamp: 1 }),
  '/block-height/830000': blockHash,
  [`/block/${blockHash}/header`]: bytesToHex(header),
  [`/tx/${txid}/raw`]: txHex,
  [`/tx/${proofTxid}/merkleblock-proof`]: proofHex,
  '/fee-estimates': JSON.stringify({ '1': 20.5, '6': 10, '144': 1.01 }),
  '/tx': txid,
};
const coreValid: Record<string, unknown> = {
  getblockchaininfo: { chain: 'main', blocks: 830000, bestblockhash: blockHash },
  getblockhash: blockHash,
  getblockheader: bytesToHex(header),
  getblock: bytesToHex(block),
  getrawtransaction: txHex,
  gettxoutproof: proofHex,
  estimatesmartfee: { feerate: 0.00012345, blocks: 6 },
  sendrawtransaction: txid,
};

// ---------------------------------------------------------------- the fuzzed server

type Answer = { status: number; body: Uint8Array | string };
let answer: (url: string, body: string | undefined) => Answer;
/** Set by a test that wants the raw response (headers, streaming) instead of an Answer. */
let rawHandler: ((res: http.ServerResponse) => void) | undefined;

// A real local HTTP server, so the tests hold whatever transport the sources use (fetch or node:http).
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (rawHandler) return rawHandler(res);
    const a = answer(req.url ?? '/', chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined);
    res.writeHead(a.status).end(typeof a.body === 'string' ? a.body : Buffer.from(a.body));
  });
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  rawHandler = undefined;
});

const noRetry = { retries: 0, baseDelayMs: 1, maxDelayMs: 1 };
const esplora = () => new EsploraSource({ url: baseUrl, retry: noRetry, timeoutMs: 30_000 });
const core = () => new BitcoinCoreRpcSource({ url: baseUrl, auth: { user: 'u', password: 'p' }, retry: noRetry, timeoutMs: 30_000, feeTargets: [1, 6] });

/** Every read and the broadcast, with arguments the valid answers belong to. */
const calls: Array<[string, (s: ChainSource) => Promise<unknown>]> = [
  ['getTip', (s) => s.getTip()],
  ['getBlockHash', (s) => s.getBlockHash(830000)],
  ['getHeader(hash)', (s) => s.getHeader(blockHash)],
  ['getHeader(height)', (s) => s.getHeader(830000)],
  ['getRawBlock', (s) => s.getRawBlock(blockHash)],
  ['getRawTransaction', (s) => s.getRawTransaction(txid)],
  ['getTxMerkleProof', (s) => s.getTxMerkleProof(proofTxid)],
  ['getFeeEstimates', (s) => s.getFeeEstimates()],
  ['broadcast', (s) => s.broadcast(rawTx)],
];

const statuses = fc.constantFrom(200, 200, 200, 200, 400, 401, 404, 429, 500, 503);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bodies: random text and bytes, any JSON, and mutations of the valid answer (as bytes and as JSON). */
function bodies(valid: string): fc.Arbitrary<Uint8Array | string> {
  let validJson: unknown;
  try {
    validJson = JSON.parse(valid);
  } catch {
    validJson = valid;
  }
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }),
    anyJson().map((j) => JSON.stringify(j) ?? 'null'),
    mutatedBytes([text(valid)], 3, 20_000),
    mutatedJson([validJson]).map((j) => JSON.stringify(j) ?? ''),
    fc.constant(valid + ' '),
    fc.constant(valid.toUpperCase()),
  );
}

describe('fuzz: Esplora answers', () => {
  for (const [name, call] of calls) {
    it(`${name}: checked data or ChainSourceError`, async () => {
      const source = esplora();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.values(esploraValid)).chain((v) => fc.tuple(bodies(v), statuses)), fc.infiniteStream(fc.boolean()), async ([body, status], coin) => {
          answer = (url) => {
            const p = new URL(url, 'http://x').pathname;
            // Calls that make two requests (getTip) sometimes get a valid first answer, so the second is reached.
            return p in esploraValid && coin.next().value ? { status: 200, body: esploraValid[p]! } : { status, body };
          };
          await onlyErrorsAsync(() => call(source), [ChainSourceError]);
        }),
        fuzzParams(400),
      );
    });
  }

  it('a valid answer passes (the stub serves what a real server would)', async () => {
    answer = (url) => ({ status: 200, body: esploraValid[new URL(url, 'http://x').pathname] ?? '' });
    expect(await esplora().getTip()).toEqual({ height: 830000, hash: blockHash });
    expect(await esplora().getHeader(blockHash)).toEqual(header);
    expect(await esplora().broadcast(rawTx)).toBe(txid);
  });
});

describe('fuzz: Bitcoin Core RPC answers', () => {
  for (const [name, call] of calls) {
    it(`${name}: checked data or ChainSourceError`, async () => {
      const source = core();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...Object.values(coreValid)).chain((v) => bodies(JSON.stringify(v))),
          fc.constantFrom('result', 'error', 'raw'),
          statuses,
          async (sample, shape, status) => {
            answer = (_url, requestBody) => {
              const id = (JSON.parse(requestBody ?? '{}') as { id?: number }).id ?? 1;
              if (shape === 'raw') return { status, body: sample };
              let result: unknown;
              try {
                result = JSON.parse(typeof sample === 'string' ? sample : Buffer.from(sample).toString('utf8'));
              } catch {
                result = typeof sample === 'string' ? sample : bytesToHex(sample);
              }
              return { status, body: JSON.stringify(shape === 'result' ? { result, error: null, id } : { result: null, error: result, id }) };
            };
            await onlyErrorsAsync(() => call(source), [ChainSourceError]);
          },
        ),
        fuzzParams(400),
      );
    });
  }

  it('a valid answer passes (the stub serves what a real node would)', async () => {
    answer = (_url, body) => {
      const { id, method } = JSON.parse(body!) as { id: number; method: string };
      return { status: 200, body: JSON.stringify({ result: coreValid[method], error: null, id }) };
    };
    expect(await core().getTip()).toEqual({ height: 830000, hash: blockHash });
    expect(await core().getRawBlock(blockHash)).toEqual(block);
    expect(await core().broadcast(rawTx)).toBe(txid);
  });
});

describe('answers too large to hold', () => {
  // Regression: httpRequest read the whole body with arrayBuffer(), so a source that kept sending filled the heap
  // until the request timed out (10 s by default: gigabytes on a local network).
  it('an endless body is cut off at MAX_RESPONSE_BYTES with a ChainSourceError', async () => {
    let sent = 0;
    rawHandler = (res) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      res.writeHead(200);
      const pump = () => {
        while (!res.destroyed && sent < 4 * MAX_RESPONSE_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    };
    const e = await esplora().getHeader(blockHash).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ChainSourceError);
    expect((e as ChainSourceError).failure).toMatchObject({ kind: 'malformed', what: expect.stringContaining('larger than') });
    // The client hung up soon after the limit (socket buffers let a few more megabytes through).
    expect(sent).toBeLessThan(2 * MAX_RESPONSE_BYTES);
  });

  it('a declared Content-Length above the limit is refused before reading', async () => {
    rawHandler = (res) => {
      res.writeHead(200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) });
      res.write('x');
    };
    const e = await core().getTip().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ChainSourceError);
    expect((e as ChainSourceError).message).toContain('larger than');
  });
});
