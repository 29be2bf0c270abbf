import fs from 'node:fs/promises';
import { bytesToHex } from '@tapbridge/bitcoin';
import { z } from 'zod';
import { broadcastArgument, singleSourceBroadcast } from './broadcast.js';
import type { BroadcastResult, CallOptions, ChainSource, ChainTipInfo, FeeEstimates, OutspendStatus, TxStatus, TxStatusOptions } from './chain-source.js';
import { ChainSourceError } from './errors.js';
import { httpRequest, type HttpResponse } from './http.js';
import pMap from 'p-map';
import { positiveOption } from './options.js';
import { DEFAULT_RETRY_POLICY, defaultRetryEnvironment, withRetries, type RetryEnvironment, type RetryPolicy } from './retry.js';
import {
  assertFeeTargetArgument,
  assertHashArgument,
  assertHeightArgument,
  assertVoutArgument,
  checkFeeEstimates,
  checkFeeRate,
  coreMempoolEntrySchema,
  coreTxOutSchema,
  coreVerboseHeaderSchema,
  coreVerboseTxSchema,
  checkHeader,
  checkMerkleProof,
  checkRawBlock,
  checkRawTransaction,
  decodeHexAs,
  hashHexSchema,
  heightSchema,
  hexSchema,
  parseAs,
  txidOfArgument,
} from './validate.js';

export type BitcoinCoreRpcAuth = { user: string; password: string } | { cookieFile: string };

export interface BitcoinCoreRpcSourceOptions {
  /** e.g. http://127.0.0.1:18443 */
  url: string;
  auth: BitcoinCoreRpcAuth;
  name?: string;
  /** Per-request deadline. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  retryEnvironment?: RetryEnvironment;
  /** Confirmation targets asked of estimatesmartfee. */
  feeTargets?: readonly number[];
  /** Calls per JSON-RPC batch (one HTTP POST) in getHeaderRange. Default 500. */
  rpcBatchSize?: number;
  /** Batches in flight at once in getHeaderRange (Core serves them on its rpcthreads). Default 4. */
  batchesInFlight?: number;
}

/** Core's RPC_INVALID_ADDRESS_OR_KEY and RPC_INVALID_PARAMETER: the block or transaction is not there. */
const RPC_NOT_FOUND_CODES = new Set([-5, -8]);
const isRpcNotFound = (e: unknown): boolean => e instanceof ChainSourceError && e.failure.kind === 'rpc' && RPC_NOT_FOUND_CODES.has(e.failure.code);
const OP_RETURN = 0x6a;
const DEFAULT_FEE_TARGETS = [1, 2, 3, 6, 12, 24, 144, 504, 1008];

const replySchema = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number().int(), message: z.string() }).nullable().optional(),
});
const blockchainInfoSchema = z.object({ blocks: heightSchema, bestblockhash: hashHexSchema });
const batchReplySchema = z.array(
  z.object({
    id: z.unknown(),
    result: z.unknown().optional(),
    error: z.object({ code: z.number().int(), message: z.string() }).nullable().optional(),
  }),
);
const HASH_HEX = /^[0-9a-f]{64}$/;
const HEADER_HEX = /^[0-9a-fA-F]{160}$/;
const smartFeeSchema = z.object({ feerate: z.number().positive().finite().optional(), blocks: z.number().int().optional(), errors: z.array(z.string()).optional() });

/**
 * Bitcoin Core JSON-RPC (1.0 envelope, which every Core version accepts). Authenticates with rpcuser /
 * rpcpassword or Core's cookie file, which it re-reads after a 401 because Core rewrites it on restart.
 */
export class BitcoinCoreRpcSource implements ChainSource {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly retryEnv: RetryEnvironment;
  private readonly feeTargets: readonly number[];
  private readonly rpcBatchSize: number;
  private readonly batchesInFlight: number;
  private cookie: string | undefined;
  private nextId = 1;

  constructor(private readonly options: BitcoinCoreRpcSourceOptions) {
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) throw new TypeError(`url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
    const auth = options.auth as Partial<{ user: string; password: string; cookieFile: string }> | undefined;
    if (!auth || (auth.cookieFile === undefined && (typeof auth.user !== 'string' || typeof auth.password !== 'string')))
      throw new TypeError('auth needs user and password, or cookieFile');
    this.name = options.name ?? `bitcoind(${new URL(options.url).host})`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.retryEnv = options.retryEnvironment ?? defaultRetryEnvironment;
    this.feeTargets = options.feeTargets ?? DEFAULT_FEE_TARGETS;
    this.rpcBatchSize = positiveOption('rpcBatchSize', options.rpcBatchSize, 500);
    this.batchesInFlight = positiveOption('batchesInFlight', options.batchesInFlight, 4);
  }

  private async authorization(reload: boolean): Promise<string> {
    const auth = this.options.auth;
    if ('user' in auth) return 'Basic ' + Buffer.from(`${auth.user}:${auth.password}`).toString('base64');
    if (this.cookie === undefined || reload) {
      try {
        this.cookie = (await fs.readFile(auth.cookieFile, 'utf8')).trim();
      } catch (e) {
        throw new ChainSourceError(this.name, { kind: 'network', cause: `cannot read cookie file ${auth.cookieFile}: ${(e as Error).message}` });
      }
    }
    return 'Basic ' + Buffer.from(this.cookie).toString('base64');
  }

  /** POSTs a JSON-RPC body; re-reads the cookie once after a 401 (Core rewrites it on restart). */
  private async post(body: string, signal?: AbortSignal): Promise<HttpResponse> {
    let res = await httpRequest(this.name, this.options.url, { method: 'POST', headers: { Authorization: await this.authorization(false), 'Content-Type': 'application/json' }, body }, this.timeoutMs, signal);
    if (res.status === 401 && 'cookieFile' in this.options.auth) {
      res = await httpRequest(this.name, this.options.url, { method: 'POST', headers: { Authorization: await this.authorization(true), 'Content-Type': 'application/json' }, body }, this.timeoutMs, signal);
    }
    if (res.status === 401 || res.status === 403) throw new ChainSourceError(this.name, { kind: 'http', status: res.status, body: 'authentication failed (check rpc user/password or cookie)' });
    return res;
  }

  private async callOnce(method: string, params: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '1.0', id: this.nextId++, method, params });
    const res = await this.post(body, signal);
    let parsed: z.infer<typeof replySchema> | undefined;
    try {
      const r = replySchema.safeParse(JSON.parse(res.text()));
      parsed = r.success ? r.data : undefined;
    } catch {
      parsed = undefined;
    }
    // Core answers RPC errors with HTTP 500/404 and a JSON body: the body says what happened.
    if (parsed?.error) throw new ChainSourceError(this.name, { kind: 'rpc', code: parsed.error.code, rpcMessage: parsed.error.message });
    if (res.status >= 400) throw new ChainSourceError(this.name, { kind: 'http', status: res.status, body: res.text() });
    if (!parsed || !('result' in parsed)) throw new ChainSourceError(this.name, { kind: 'malformed', what: `${method}: reply is not a JSON-RPC response` });
    return parsed.result;
  }

  /** One RPC call with the source's timeout and retry policy; the raw result, unvalidated. */
  async call(method: string, params: readonly unknown[] = [], options: CallOptions = {}): Promise<unknown> {
    return withRetries(() => this.callOnce(method, params, options.signal), this.retry, this.retryEnv, options.signal);
  }

  /**
   * One JSON-RPC batch: an array of calls in one HTTP POST, answered (as Core does) by an array in any order,
   * each reply matched to its call by id. A reply missing, repeated or with an id we did not send makes the whole
   * answer malformed; a per-call error fails the batch with that call's error, `not-found` for Core's -5/-8.
   * Results are returned unvalidated, in call order. Retried as a whole on transient failures.
   */
  async callBatch(calls: ReadonlyArray<{ method: string; params: readonly unknown[]; what?: string }>, options: CallOptions = {}): Promise<unknown[]> {
    if (calls.length === 0) return [];
    return withRetries(() => this.batchOnce(calls, options.signal), this.retry, this.retryEnv, options.signal);
  }

  private async batchOnce(calls: ReadonlyArray<{ method: string; params: readonly unknown[]; what?: string }>, signal?: AbortSignal): Promise<unknown[]> {
    const firstId = this.nextId;
    this.nextId += calls.length;
    const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: '1.0', id: firstId + i, method: c.method, params: c.params })));
    const res = await this.post(body, signal);
    let json: unknown;
    try {
      json = JSON.parse(res.text());
    } catch {
      json = undefined;
    }
    if (!Array.isArray(json)) {
      // A server without batch support answers with one error object (or an HTTP error).
      const single = replySchema.safeParse(json);
      if (single.success && single.data.error) throw new ChainSourceError(this.name, { kind: 'rpc', code: single.data.error.code, rpcMessage: single.data.error.message });
      if (res.status >= 400) throw new ChainSourceError(this.name, { kind: 'http', status: res.status, body: res.text() });
      throw new ChainSourceError(this.name, { kind: 'malformed', what: `batch of ${calls.length} ${calls[0]!.method}: reply is not a JSON array` });
    }
    const replies = parseAs(this.name, `batch of ${calls.length} ${calls[0]!.method}`, batchReplySchema, json);
    if (replies.length !== calls.length)
      throw new ChainSourceError(this.name, { kind: 'malformed', what: `batch of ${calls.length} calls answered with ${replies.length} replies` });
    const out = new Array<unknown>(calls.length);
    const seen = new Uint8Array(calls.length);
    for (const r of replies) {
      const i = typeof r.id === 'number' ? r.id - firstId : -1;
      if (!Number.isInteger(i) || i < 0 || i >= calls.length || seen[i])
        throw new ChainSourceError(this.name, { kind: 'malformed', what: `batch reply with id ${JSON.stringify(r.id)}, not one of the ids sent (or repeated)` });
      seen[i] = 1;
      const call = calls[i]!;
      if (r.error) {
        if (RPC_NOT_FOUND_CODES.has(r.error.code) && call.what !== undefined)
          throw new ChainSourceError(this.name, { kind: 'not-found', what: `${call.what} (${r.error.message})` });
        throw new ChainSourceError(this.name, { kind: 'rpc', code: r.error.code, rpcMessage: r.error.message });
      }
      if (!('result' in r)) throw new ChainSourceError(this.name, { kind: 'malformed', what: `${call.method}: batch reply ${r.id as number} has neither result nor error` });
      out[i] = r.result;
    }
    return out;
  }

  /**
   * Best-chain headers at heights from…from+count-1, for catch-up: getblockhash for the range in one batch, then
   * `getblockheader <hash> false` (the raw 80 bytes) for those hashes in another, `rpcBatchSize` calls per batch
   * and `batchesInFlight` batches at once. Each header is checked to hash to the hash Core gave for its height;
   * links and consensus rules are the caller's to check (a reorg between two batches shows as a broken link).
   */
  async getHeaderRange(from: number, count: number, options: CallOptions = {}): Promise<Uint8Array[]> {
    assertHeightArgument(from);
    if (!Number.isSafeInteger(count) || count < 0) throw new TypeError(`count must be a non-negative integer, got ${count}`);
    const chunks = Math.ceil(count / this.rpcBatchSize);
    const parts = await pMap(Array.from({ length: chunks }, (_, c) => c), async (c) => {
      const start = from + c * this.rpcBatchSize;
      const n = Math.min(this.rpcBatchSize, from + count - start);
      const hashes = await this.callBatch(Array.from({ length: n }, (_, i) => ({ method: 'getblockhash', params: [start + i], what: `block at height ${start + i}` })), options);
      for (let i = 0; i < n; i++) {
        const h = hashes[i];
        if (typeof h !== 'string' || !HASH_HEX.test(h))
          throw new ChainSourceError(this.name, { kind: 'malformed', what: `getblockhash ${start + i}: value is not a 32-byte hash as 64 lowercase hex characters` });
      }
      const raws = await this.callBatch(hashes.map((h) => ({ method: 'getblockheader', params: [h, false], what: `block ${h as string}` })), options);
      return raws.map((hex, i) => {
        if (typeof hex !== 'string' || !HEADER_HEX.test(hex))
          throw new ChainSourceError(this.name, { kind: 'malformed', what: `getblockheader ${hashes[i] as string}: value is not 80 bytes of hex` });
        return checkHeader(this.name, Buffer.from(hex, 'hex'), hashes[i] as string);
      });
    }, { concurrency: this.batchesInFlight });
    return parts.flat();
  }

  private async callOrNotFound(method: string, params: readonly unknown[], what: string, options: CallOptions): Promise<unknown> {
    try {
      return await this.call(method, params, options);
    } catch (e) {
      if (e instanceof ChainSourceError && e.failure.kind === 'rpc' && RPC_NOT_FOUND_CODES.has(e.failure.code))
        throw new ChainSourceError(this.name, { kind: 'not-found', what: `${what} (${e.failure.rpcMessage})` }, { cause: e });
      throw e;
    }
  }

  async getTip(options: CallOptions = {}): Promise<ChainTipInfo> {
    const info = parseAs(this.name, 'getblockchaininfo', blockchainInfoSchema, await this.call('getblockchaininfo', [], options));
    return { height: info.blocks, hash: info.bestblockhash };
  }

  async getBlockHash(height: number, options: CallOptions = {}): Promise<string> {
    assertHeightArgument(height);
    return parseAs(this.name, 'getblockhash', hashHexSchema, await this.callOrNotFound('getblockhash', [height], `block at height ${height}`, options));
  }

  async getHeader(hashOrHeight: string | number, options: CallOptions = {}): Promise<Uint8Array> {
    const hash = typeof hashOrHeight === 'number' ? await this.getBlockHash(hashOrHeight, options) : assertHashArgument(hashOrHeight, 'block hash');
    const hex = parseAs(this.name, 'getblockheader', hexSchema, await this.callOrNotFound('getblockheader', [hash, false], `block ${hash}`, options));
    return checkHeader(this.name, decodeHexAs(this.name, 'header', hex), hash);
  }

  async getRawBlock(hash: string, options: CallOptions = {}): Promise<Uint8Array> {
    const h = assertHashArgument(hash, 'block hash');
    const hex = parseAs(this.name, 'getblock', hexSchema, await this.callOrNotFound('getblock', [h, 0], `block ${h}`, options));
    return checkRawBlock(this.name, decodeHexAs(this.name, 'block', hex), h);
  }

  async getRawTransaction(txid: string, options: CallOptions = {}): Promise<Uint8Array> {
    const id = assertHashArgument(txid, 'txid');
    const hex = parseAs(this.name, 'getrawtransaction', hexSchema, await this.callOrNotFound('getrawtransaction', [id, false], `transaction ${id}`, options));
    return checkRawTransaction(this.name, decodeHexAs(this.name, 'transaction', hex), id);
  }

  async getTxMerkleProof(txid: string, blockHash?: string, options: CallOptions = {}): Promise<Uint8Array> {
    const id = assertHashArgument(txid, 'txid');
    const block = blockHash === undefined ? undefined : assertHashArgument(blockHash, 'block hash');
    const params = block === undefined ? [[id]] : [[id], block];
    const hex = parseAs(this.name, 'gettxoutproof', hexSchema, await this.callOrNotFound('gettxoutproof', params, `proof for ${id}`, options));
    return checkMerkleProof(this.name, decodeHexAs(this.name, 'merkle proof', hex), id, block);
  }

  /** estimatesmartfee per target; targets Core has no estimate for are left out (regtest often has none). */
  async getFeeEstimates(options: CallOptions = {}): Promise<FeeEstimates> {
    const estimates: Record<number, number> = {};
    for (const target of this.feeTargets) {
      const reply = parseAs(this.name, 'estimatesmartfee', smartFeeSchema, await this.call('estimatesmartfee', [target, 'conservative'], options));
      // feerate is BTC per kvB: × 1e8 sat / 1000 vB.
      if (reply.feerate !== undefined) estimates[target] = Math.round(reply.feerate * 1e8) / 1000;
    }
    return checkFeeEstimates(this.name, estimates);
  }

  async broadcast(rawTx: Uint8Array, options: CallOptions = {}): Promise<string> {
    const expected = txidOfArgument(rawTx);
    const txid = parseAs(this.name, 'sendrawtransaction', hashHexSchema, await this.call('sendrawtransaction', [bytesToHex(rawTx)], options));
    if (txid !== expected) throw new ChainSourceError(this.name, { kind: 'malformed', what: `sendrawtransaction returned ${txid}, but the transaction's txid is ${expected}` });
    return txid;
  }

  async broadcastTransaction(rawTx: Uint8Array | string, options: CallOptions = {}): Promise<BroadcastResult> {
    const { bytes, txid } = broadcastArgument(rawTx);
    return singleSourceBroadcast(this.name, txid, () => this.broadcast(bytes, options));
  }

  /** estimatesmartfee (conservative), BTC/kvB → sat/vB. */
  async estimateFeeRate(targetBlocks: number, options: CallOptions = {}): Promise<number> {
    const target = assertFeeTargetArgument(targetBlocks);
    const reply = parseAs(this.name, 'estimatesmartfee', smartFeeSchema, await this.call('estimatesmartfee', [target, 'conservative'], options));
    if (reply.feerate === undefined)
      throw new ChainSourceError(this.name, { kind: 'not-found', what: `fee estimate for ${target} blocks (${reply.errors?.join('; ') || 'no feerate'})` });
    return checkFeeRate(this.name, 'estimatesmartfee', Math.round(reply.feerate * 1e8) / 1000);
  }

  /** getmempoolentry, then getrawtransaction (verbose; with the block hint when given) and getblockheader for the height. */
  async txStatus(txid: string, options: TxStatusOptions = {}): Promise<TxStatus> {
    const id = assertHashArgument(txid, 'txid');
    const hint = options.blockHash === undefined ? undefined : assertHashArgument(options.blockHash, 'block hash');
    const unknown: TxStatus = { txid: id, inMempool: false, confirmed: false };
    try {
      parseAs(this.name, 'getmempoolentry', coreMempoolEntrySchema, await this.call('getmempoolentry', [id], options));
      return { txid: id, inMempool: true, confirmed: false };
    } catch (e) {
      if (!isRpcNotFound(e)) throw e;
    }
    const verbose = await this.verboseTransaction(id, hint, options);
    if (verbose === undefined) return unknown;
    // Found without a block: it reached the mempool between the two calls.
    if (verbose.blockhash === undefined) return { txid: id, inMempool: true, confirmed: false };
    if (verbose.in_active_chain === false || !(verbose.confirmations! > 0)) return unknown;
    const header = parseAs(this.name, 'getblockheader', coreVerboseHeaderSchema, await this.callOrNotFound('getblockheader', [verbose.blockhash, true], `block ${verbose.blockhash}`, options));
    if (header.hash !== verbose.blockhash) throw new ChainSourceError(this.name, { kind: 'malformed', what: `getblockheader ${verbose.blockhash} describes block ${header.hash}` });
    // The block left the active chain between the two calls: the transaction is, for now, nowhere.
    if (header.confirmations < 1) return unknown;
    return { txid: id, inMempool: false, confirmed: true, blockHash: header.hash, blockHeight: header.height };
  }

  /** getrawtransaction verbose; undefined when Core does not know it (without -txindex, confirmed ones need the block). */
  private async verboseTransaction(id: string, hint: string | undefined, options: CallOptions) {
    for (const params of hint === undefined ? [[id, true]] : [[id, true, hint], [id, true]]) {
      try {
        const tx = parseAs(this.name, 'getrawtransaction', coreVerboseTxSchema, await this.call('getrawtransaction', params, options));
        if (tx.txid !== id) throw new ChainSourceError(this.name, { kind: 'malformed', what: `getrawtransaction ${id} describes ${tx.txid}` });
        return tx;
      } catch (e) {
        if (!isRpcNotFound(e)) throw e;
      }
    }
    return undefined;
  }

  /**
   * gettxout with and without the mempool tells unspent / spent in the mempool / spent in the chain. Core keeps
   * no spend index, so the spending txid is never known here; an output of an unknown transaction is not-found.
   */
  async outspend(txid: string, vout: number, options: CallOptions = {}): Promise<OutspendStatus> {
    const id = assertHashArgument(txid, 'txid');
    const n = assertVoutArgument(vout);
    if (parseAs(this.name, 'gettxout', coreTxOutSchema, await this.call('gettxout', [id, n, true], options)) !== null) return { spent: false };
    if (parseAs(this.name, 'gettxout', coreTxOutSchema, await this.call('gettxout', [id, n, false], options)) !== null) return { spent: true, confirmed: false };
    const tx = await this.verboseTransaction(id, undefined, options);
    if (tx === undefined) throw new ChainSourceError(this.name, { kind: 'not-found', what: `output ${id}:${n} (transaction unknown to this node; without -txindex Core cannot tell spent from never-existed)` });
    const out = tx.vout.find((o) => o.n === n);
    if (out === undefined) throw new ChainSourceError(this.name, { kind: 'not-found', what: `output ${id}:${n} (the transaction has ${tx.vout.length} outputs)` });
    if (out.scriptPubKey.hex.slice(0, 2) === OP_RETURN.toString(16)) throw new ChainSourceError(this.name, { kind: 'not-found', what: `output ${id}:${n} is an unspendable OP_RETURN` });
    const confirmed = tx.blockhash !== undefined && (tx.confirmations ?? 0) > 0;
    return { spent: true, confirmed };
  }
}
