// Fuzz tests for JSON-RPC requests: random text, any JSON, batches, and every method with mutated valid params
// (mutated signed raw transactions for eth_sendRawTransaction). The handler always answers with a JSON-RPC
// response, and bad input is classified (parse error, invalid request/params, server error, revert): never an
// exception and never -32603 "internal error", which means something threw that nobody expected.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
// eth_call / eth_estimateGas run with a small gas limit here: unbounded caller gas is capped by EVM_RPC_GAS_CAP
// (tested with the gas-cap work), and the fuzzer is about parsing, not about running long programs.
import fc from 'fast-check';
import { Transaction, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, anyJson, fuzzParams, mutatedBytes, mutatedJson } from '../../testing/src/fuzz.js';
import { EvmEngine, JsonRpcHandler, MemoryChainStore } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const [alice, bob] = testWallets(2) as [Wallet, Wallet];

interface Reply {
  jsonrpc?: string;
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

const KNOWN_CODES = new Set([-32700, -32600, -32601, -32602, -32000, -32005, 3]);

function checkReply(reply: Reply): void {
  expect(reply.jsonrpc).toBe('2.0');
  if (reply.error !== undefined) {
    expect(typeof reply.error.message).toBe('string');
    if (!KNOWN_CODES.has(reply.error.code)) throw new Error(`unclassified error ${reply.error.code}: ${reply.error.message}`);
  } else expect('result' in reply).toBe(true);
}

function checkText(text: string | undefined): void {
  if (text === undefined) return; // only notifications were sent
  const parsed = JSON.parse(text) as Reply | Reply[];
  for (const r of Array.isArray(parsed) ? parsed : [parsed]) checkReply(r);
}

describe('fuzz: JSON-RPC requests', () => {
  let engine: EvmEngine;
  let handler: JsonRpcHandler;
  let validCalls: Array<{ method: string; params: unknown[] }>;
  let signedTxs: Uint8Array[];

  beforeAll(async () => {
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config: fundedConfig([alice], undefined, { blockTimeMs: 60_000 }), autoMine: false });
    handler = new JsonRpcHandler(engine, { limits: { maxBatchLength: 20, maxRequestBytes: 256 * 1024 } });
    const chainId = engine.chainId;
    const sign = async (fields: Record<string, unknown>) => Buffer.from((await alice.signTransaction({ chainId, gasLimit: 21_000n, nonce: 0, ...fields })).slice(2), 'hex');
    signedTxs = [
      await sign({ type: 2, to: bob.address, value: 1n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n }),
      await sign({ type: 0, to: bob.address, value: 1n, gasPrice: 10n ** 10n }),
      await sign({ type: 1, to: bob.address, value: 1n, gasPrice: 10n ** 10n, accessList: [{ address: bob.address, storageKeys: ['0x' + '00'.repeat(32)] }] }),
      await sign({ type: 2, to: null, data: '0x6000', gasLimit: 100_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n }),
    ];
    // Decodes again, so the corpus is known to be valid transactions.
    for (const raw of signedTxs) Transaction.from('0x' + Buffer.from(raw).toString('hex'));
    const a = alice.address;
    const hash = '0x' + 'ab'.repeat(32);
    const callObject = { from: a, to: bob.address, gas: '0x5208', value: '0x1', data: '0x' };
    const filter = { fromBlock: '0x0', toBlock: 'latest', address: [a], topics: [hash, null, [hash, null]] };
    validCalls = [
      { method: 'web3_clientVersion', params: [] },
      { method: 'net_version', params: [] },
      { method: 'eth_chainId', params: [] },
      { method: 'eth_blockNumber', params: [] },
      { method: 'eth_gasPrice', params: [] },
      { method: 'eth_maxPriorityFeePerGas', params: [] },
      { method: 'eth_getBalance', params: [a, 'latest'] },
      { method: 'eth_getTransactionCount', params: [a, 'pending'] },
      { method: 'eth_getCode', params: [a, { blockNumber: '0x0' }] },
      { method: 'eth_getStorageAt', params: [a, '0x0', { blockHash: hash, requireCanonical: true }] },
      { method: 'eth_call', params: [callObject, 'latest'] },
      { method: 'eth_estimateGas', params: [callObject] },
      { method: 'eth_sendRawTransaction', params: ['0x' + Buffer.from(signedTxs[0]!).toString('hex')] },
      { method: 'eth_getTransactionByHash', params: [hash] },
      { method: 'eth_getTransactionReceipt', params: [hash] },
      { method: 'eth_getBlockByNumber', params: ['0x0', true] },
      { method: 'eth_getBlockByHash', params: [hash, false] },
      { method: 'eth_getBlockTransactionCountByNumber', params: ['latest'] },
      { method: 'eth_getBlockReceipts', params: ['earliest'] },
      { method: 'eth_getLogs', params: [filter] },
      { method: 'eth_feeHistory', params: ['0x4', 'latest', [10, 50, 90]] },
      { method: 'eth_subscribe', params: ['newHeads'] },
      { method: 'eth_unsubscribe', params: ['0x1'] },
    ];
  });
  afterAll(async () => {
    handler?.dispose();
    await engine?.close();
  });

  /** Executing calls get a small gas limit (see the header comment). */
  const boundGas = (method: string, params: unknown): unknown => {
    if ((method === 'eth_call' || method === 'eth_estimateGas') && Array.isArray(params) && params[0] !== null && typeof params[0] === 'object' && !Array.isArray(params[0]))
      return [{ ...(params[0] as object), gas: '0x30000' }, ...params.slice(1)];
    return params;
  };
  const request = (method: unknown, params: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params: boundGas(String(method), params) });

  it('random text and any JSON get a JSON-RPC error, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), anyJson().map((j) => JSON.stringify(j) ?? '')), async (text) => checkText(await handler.handle(text))),
      fuzzParams(3_000),
    );
  });

  it('envelopes with wrong ids, versions and method names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ jsonrpc: fc.oneof(fc.constant('2.0'), anyJson()), id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), anyJson()), method: fc.oneof(fc.constantFrom(...validCalls.map((c) => c.method), 'constructor', '__proto__', 'hasOwnProperty', 'toString'), fc.string(), anyJson()), params: anyJson() }, { requiredKeys: [] }),
        async (req) => checkText(await handler.handle(JSON.stringify(boundGasRequest(req)))),
      ),
      fuzzParams(3_000),
    );
    function boundGasRequest(req: Record<string, unknown>) {
      // The method may be any JSON (e.g. {"toString":[]}, which String() cannot convert): only a string names a call.
      return { ...req, ...('params' in req ? { params: boundGas(typeof req.method === 'string' ? req.method : '', req.params) } : {}) };
    }
  });

  it('every method with mutated valid params', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: validCalls.length - 1 }).chain((i) => fc.tuple(fc.constant(validCalls[i]!.method), mutatedJson([validCalls[i]!.params]))), async ([method, params]) => checkText(await handler.handle(request(method, params)))),
      fuzzParams(2_500),
    );
  });

  it('batches of mutated calls', async () => {
    const call = fc.nat({ max: validCalls.length - 1 }).chain((i) => mutatedJson([validCalls[i]!.params]).map((params) => JSON.parse(request(validCalls[i]!.method, params)) as unknown));
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(call, anyJson()), { maxLength: 25 }), async (batch) => checkText(await handler.handle(JSON.stringify(batch)))), fuzzParams(500));
  });

  it('eth_sendRawTransaction: mutated signed transactions (all four types) and random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedBytes(signedTxs, 3, 10_000), fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0x02, ...b))), async (raw) => {
        checkText(await handler.handle(request('eth_sendRawTransaction', ['0x' + Buffer.from(raw).toString('hex')])));
      }),
      fuzzParams(3_000),
    );
  });
});
