import fs from 'node:fs/promises';
import { bytesToHex } from '@tapbridge/bitcoin';
import { z } from 'zod';
import type { CallOptions, ChainSource, ChainTipInfo, FeeEstimates } from './chain-source.js';
import { ChainSourceError } from './errors.js';
import { httpRequest } from './http.js';
import { DEFAULT_RETRY_POLICY, defaultRetryEnvironment, withRetries, type RetryEnvironment, type RetryPolicy } from './retry.js';
import {
  assertHashArgument,
  assertHeightArgument,
  checkFeeEstimates,
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
}

/** Core's RPC_INVALID_ADDRESS_OR_KEY and RPC_INVALID_PARAMETER: the block or transaction is not there. */
const RPC_NOT_FOUND_CODES = new Set([-5, -8]);
const DEFAULT_FEE_TARGETS = [1, 2, 3, 6, 12, 24, 144, 504, 1008];

const replySchema = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number().int(), message: z.string() }).nullable().optional(),
});
const blockchainInfoSchema = z.object({ blocks: heightSchema, bestblockhash: hashHexSchema });
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

  private async callOnce(method: string, params: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '1.0', id: this.nextId++, method, params });
    let res = await httpRequest(this.name, this.options.url, { method: 'POST', headers: { Authorization: await this.authorization(false), 'Content-Type': 'application/json' }, body }, this.timeoutMs, signal);
    if (res.status === 401 && 'cookieFile' in this.options.auth) {
      res = await httpRequest(this.name, this.options.url, { method: 'POST', headers: { Authorization: await this.authorization(true), 'Content-Type': 'application/json' }, body }, this.timeoutMs, signal);
    }
    if (res.status === 401 || res.status === 403) throw new ChainSourceError(this.name, { kind: 'http', status: res.status, body: 'authentication failed (check rpc user/password or cookie)' });
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
}
