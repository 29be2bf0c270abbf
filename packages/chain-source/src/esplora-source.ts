import { bytesToHex, decodeTransaction, hashToHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
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
  esploraOutspendSchema,
  esploraTxStatusSchema,
  pickFeeEstimate,
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

export interface EsploraSourceOptions {
  /** Base URL, e.g. http://127.0.0.1:3030 or https://mempool.space/api */
  url: string;
  name?: string;
  /** Per-request deadline. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  retryEnvironment?: RetryEnvironment;
  /** Requests in flight at once in getHeaderRange (each `/blocks/:start_height` brings up to 10 headers). Default 8. */
  requestsInFlight?: number;
}

const blockSchema = z.object({ id: hashHexSchema, height: heightSchema });
/** What `/blocks/:start_height` gives per block (electrs BlockValue): enough to rebuild the 80-byte header. */
const blockSummarySchema = z.object({
  id: hashHexSchema,
  height: heightSchema,
  // electrs serialises the version as u32, others as i32: either is the same four bytes.
  version: z.number().int().min(-(2 ** 31)).max(2 ** 32 - 1),
  timestamp: z.number().int().min(0).max(2 ** 32 - 1),
  merkle_root: hashHexSchema,
  previousblockhash: hashHexSchema.nullable(),
  nonce: z.number().int().min(0).max(2 ** 32 - 1),
  bits: z.number().int().min(0).max(2 ** 32 - 1),
});
const blockListSchema = z.array(blockSummarySchema);
const ZERO_HASH = '00'.repeat(32);
const feeEstimatesSchema = z.record(z.string().regex(/^\d+$/), z.number());
const BROADCAST_ERROR_RE = /^sendrawtransaction RPC error: (\{.*\})\s*$/s;
const rpcErrorSchema = z.object({ code: z.number().int(), message: z.string() });

/** Blockstream's Esplora REST API (also served by mempool.space under /api). */
export class EsploraSource implements ChainSource {
  readonly name: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly retryEnv: RetryEnvironment;
  private readonly requestsInFlight: number;

  constructor(options: EsploraSourceOptions) {
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) throw new TypeError(`url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.name = options.name ?? `esplora(${new URL(options.url).host})`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.retryEnv = options.retryEnvironment ?? defaultRetryEnvironment;
    this.requestsInFlight = positiveOption('requestsInFlight', options.requestsInFlight, 8);
  }

  private async request(path: string, what: string, options: CallOptions, post?: string): Promise<HttpResponse> {
    return withRetries(
      async () => {
        const res = await httpRequest(
          this.name,
          this.baseUrl + path,
          post === undefined ? { method: 'GET' } : { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: post },
          this.timeoutMs,
          options.signal,
        );
        if (res.status === 404) throw new ChainSourceError(this.name, { kind: 'not-found', what });
        if (res.status >= 400) {
          // Esplora relays bitcoind's rejection as text: surface it as the RPC error it is.
          const relayed = BROADCAST_ERROR_RE.exec(res.text());
          if (relayed) {
            let parsed: z.infer<typeof rpcErrorSchema> | undefined;
            try {
              const r = rpcErrorSchema.safeParse(JSON.parse(relayed[1]!));
              parsed = r.success ? r.data : undefined;
            } catch {
              parsed = undefined;
            }
            if (parsed) throw new ChainSourceError(this.name, { kind: 'rpc', code: parsed.code, rpcMessage: parsed.message });
          }
          throw new ChainSourceError(this.name, { kind: 'http', status: res.status, body: res.text() });
        }
        return res;
      },
      this.retry,
      this.retryEnv,
      options.signal,
    );
  }

  private async json(path: string, what: string, options: CallOptions): Promise<unknown> {
    const res = await this.request(path, what, options);
    try {
      return JSON.parse(res.text());
    } catch {
      throw new ChainSourceError(this.name, { kind: 'malformed', what: `${path}: body is not JSON` });
    }
  }

  async getTip(options: CallOptions = {}): Promise<ChainTipInfo> {
    const hash = parseAs(this.name, '/blocks/tip/hash', hashHexSchema, (await this.request('/blocks/tip/hash', 'tip', options)).text().trim());
    // Height from the block itself, so height and hash belong together even if the tip moves between calls.
    const block = parseAs(this.name, `/block/${hash}`, blockSchema, await this.json(`/block/${hash}`, `block ${hash}`, options));
    if (block.id !== hash) throw new ChainSourceError(this.name, { kind: 'malformed', what: `/block/${hash} describes block ${block.id}` });
    return { height: block.height, hash };
  }

  async getBlockHash(height: number, options: CallOptions = {}): Promise<string> {
    assertHeightArgument(height);
    const text = (await this.request(`/block-height/${height}`, `block at height ${height}`, options)).text().trim();
    return parseAs(this.name, `/block-height/${height}`, hashHexSchema, text);
  }

  async getHeader(hashOrHeight: string | number, options: CallOptions = {}): Promise<Uint8Array> {
    const hash = typeof hashOrHeight === 'number' ? await this.getBlockHash(hashOrHeight, options) : assertHashArgument(hashOrHeight, 'block hash');
    const hex = parseAs(this.name, 'header', hexSchema, (await this.request(`/block/${hash}/header`, `block ${hash}`, options)).text().trim());
    return checkHeader(this.name, decodeHexAs(this.name, 'header', hex), hash);
  }

  /**
   * Best-chain headers at heights from…from+count-1 through Esplora's bulk listing, `GET /blocks/:start_height`
   * (electrs and mempool.space: the block at start_height and the ones below it, 10 in electrs, each with its
   * header fields), `requestsInFlight` at once. Each header is rebuilt from those fields and must hash to the
   * block's id at the height it claims; links and consensus rules are the caller's to check.
   */
  async getHeaderRange(from: number, count: number, options: CallOptions = {}): Promise<Uint8Array[]> {
    assertHeightArgument(from);
    if (!Number.isSafeInteger(count) || count < 0) throw new TypeError(`count must be a non-negative integer, got ${count}`);
    const out = new Array<Uint8Array | undefined>(count);
    let missing = count;
    // Requests start at the top of each run of 10; a server that lists fewer per page gets follow-up requests for
    // the heights still missing (the loop stops when a round brings nothing new).
    let starts = Array.from({ length: Math.ceil(count / 10) }, (_, i) => Math.min(from + count - 1, from + i * 10 + 9));
    while (missing > 0) {
      const before = missing;
      await pMap(starts, async (start) => {
        const path = `/blocks/${start}`;
        const blocks = parseAs(this.name, path, blockListSchema, await this.json(path, `block at height ${start}`, options));
        if (blocks.length === 0) throw new ChainSourceError(this.name, { kind: 'malformed', what: `${path} lists no blocks` });
        blocks.forEach((b, j) => {
          if (b.height !== start - j) throw new ChainSourceError(this.name, { kind: 'malformed', what: `${path} lists height ${b.height} at position ${j}` });
          const k = b.height - from;
          if (k < 0 || k >= count || out[k] !== undefined) return;
          out[k] = this.headerOf(path, b);
          missing--;
        });
      }, { concurrency: this.requestsInFlight });
      if (missing === before) throw new ChainSourceError(this.name, { kind: 'malformed', what: `/blocks pages never list heights ${from}…${from + count - 1}` });
      starts = [];
      for (let k = count - 1; k >= 0; k--) if (out[k] === undefined && (starts.length === 0 || starts[starts.length - 1]! - 10 >= from + k)) starts.push(from + k);
    }
    return out as Uint8Array[];
  }

  /** The 80-byte header from an Esplora block summary, checked to hash to the block's id. */
  private headerOf(path: string, b: z.infer<typeof blockSummarySchema>): Uint8Array {
    const raw = Buffer.alloc(80);
    raw.writeUInt32LE(b.version >>> 0, 0);
    Buffer.from(b.previousblockhash ?? ZERO_HASH, 'hex').reverse().copy(raw, 4);
    Buffer.from(b.merkle_root, 'hex').reverse().copy(raw, 36);
    raw.writeUInt32LE(b.timestamp, 68);
    raw.writeUInt32LE(b.bits, 72);
    raw.writeUInt32LE(b.nonce, 76);
    try {
      return checkHeader(this.name, raw, b.id);
    } catch (e) {
      throw new ChainSourceError(this.name, { kind: 'malformed', what: `${path}: the fields of block ${b.height} do not hash to its id ${b.id}` }, { cause: e });
    }
  }

  async getRawBlock(hash: string, options: CallOptions = {}): Promise<Uint8Array> {
    const h = assertHashArgument(hash, 'block hash');
    return checkRawBlock(this.name, (await this.request(`/block/${h}/raw`, `block ${h}`, options)).body, h);
  }

  async getRawTransaction(txid: string, options: CallOptions = {}): Promise<Uint8Array> {
    const id = assertHashArgument(txid, 'txid');
    return checkRawTransaction(this.name, (await this.request(`/tx/${id}/raw`, `transaction ${id}`, options)).body, id);
  }

  /** Esplora proves inclusion in the block of its own best chain; a different block than asked reads as not found. */
  async getTxMerkleProof(txid: string, blockHash?: string, options: CallOptions = {}): Promise<Uint8Array> {
    const id = assertHashArgument(txid, 'txid');
    const block = blockHash === undefined ? undefined : assertHashArgument(blockHash, 'block hash');
    const hex = parseAs(this.name, 'merkleblock-proof', hexSchema, (await this.request(`/tx/${id}/merkleblock-proof`, `proof for ${id}`, options)).text().trim());
    const proof = checkMerkleProof(this.name, decodeHexAs(this.name, 'merkle proof', hex), id);
    if (block !== undefined && hashToHex(verifyMerkleBlockProof(proof).blockHash) !== block)
      throw new ChainSourceError(this.name, { kind: 'not-found', what: `transaction ${id} in block ${block}` });
    return proof;
  }

  async getFeeEstimates(options: CallOptions = {}): Promise<FeeEstimates> {
    const raw = parseAs(this.name, '/fee-estimates', feeEstimatesSchema, await this.json('/fee-estimates', 'fee estimates', options));
    return checkFeeEstimates(this.name, Object.fromEntries(Object.entries(raw).map(([k, v]) => [Number(k), v])));
  }

  async broadcast(rawTx: Uint8Array, options: CallOptions = {}): Promise<string> {
    const expected = txidOfArgument(rawTx);
    const txid = parseAs(this.name, 'POST /tx', hashHexSchema, (await this.request('/tx', 'POST /tx', options, bytesToHex(rawTx))).text().trim());
    if (txid !== expected) throw new ChainSourceError(this.name, { kind: 'malformed', what: `POST /tx returned ${txid}, but the transaction's txid is ${expected}` });
    return txid;
  }

  async broadcastTransaction(rawTx: Uint8Array | string, options: CallOptions = {}): Promise<BroadcastResult> {
    const { bytes, txid } = broadcastArgument(rawTx);
    return singleSourceBroadcast(this.name, txid, () => this.broadcast(bytes, options));
  }

  /** /fee-estimates: the rate for the largest target not above `targetBlocks`, else the shortest target listed. */
  async estimateFeeRate(targetBlocks: number, options: CallOptions = {}): Promise<number> {
    const target = assertFeeTargetArgument(targetBlocks);
    const rate = pickFeeEstimate(await this.getFeeEstimates(options), target);
    if (rate === undefined) throw new ChainSourceError(this.name, { kind: 'not-found', what: `fee estimate for ${target} blocks (/fee-estimates is empty)` });
    return checkFeeRate(this.name, '/fee-estimates', rate);
  }

  /** GET /tx/:txid/status; a 404 is a transaction Esplora does not know (never seen, evicted or replaced). */
  async txStatus(txid: string, options: TxStatusOptions = {}): Promise<TxStatus> {
    const id = assertHashArgument(txid, 'txid');
    if (options.blockHash !== undefined) assertHashArgument(options.blockHash, 'block hash');
    let status: z.infer<typeof esploraTxStatusSchema>;
    try {
      status = parseAs(this.name, `/tx/${id}/status`, esploraTxStatusSchema, await this.json(`/tx/${id}/status`, `transaction ${id}`, options));
    } catch (e) {
      if (e instanceof ChainSourceError && e.kind === 'not-found') return { txid: id, inMempool: false, confirmed: false };
      throw e;
    }
    if (!status.confirmed) return { txid: id, inMempool: true, confirmed: false };
    return { txid: id, inMempool: false, confirmed: true, blockHash: status.block_hash, blockHeight: status.block_height };
  }

  /**
   * GET /tx/:txid/outspend/:vout. Esplora answers {spent:false} even for outputs that never existed, so an
   * unspent answer is checked against the transaction itself (not-found when it has no such spendable output).
   */
  async outspend(txid: string, vout: number, options: CallOptions = {}): Promise<OutspendStatus> {
    const id = assertHashArgument(txid, 'txid');
    const n = assertVoutArgument(vout);
    const path = `/tx/${id}/outspend/${n}`;
    const answer = parseAs(this.name, path, esploraOutspendSchema, await this.json(path, `output ${id}:${n}`, options));
    if (answer.spent) {
      const s = answer.status;
      return { spent: true, txid: answer.txid, vin: answer.vin, confirmed: s.confirmed, ...(s.confirmed ? { blockHash: s.block_hash, blockHeight: s.block_height } : {}) };
    }
    const out = decodeTransaction(await this.getRawTransaction(id, options)).outputs[n];
    if (out === undefined) throw new ChainSourceError(this.name, { kind: 'not-found', what: `output ${id}:${n} (no such output)` });
    if (out.scriptPubKey[0] === 0x6a) throw new ChainSourceError(this.name, { kind: 'not-found', what: `output ${id}:${n} is an unspendable OP_RETURN` });
    return { spent: false };
  }
}
