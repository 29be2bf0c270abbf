import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { nextBaseFeePerGas } from '../chain-config.js';
import type { EvmEngine } from '../engine.js';
import { finalizedBlockNumber } from '../finality.js';
import { ExecutionFailedError, type CallRequest } from '../message-call.js';
import { EvmEngineError, TransactionRejectedError } from '../errors.js';
import { fromHex, toHex, toQuantity } from '../hex.js';
import type { CommittedBlock } from '../sequencer.js';
import { logMatches, type LogFilter, type StoredLog } from '../store/chain-store.js';
import { RpcError, RpcErrorCode, toErrorObject, type RpcErrorObject } from './errors.js';
import { formatBlock, formatHeader, formatLog, formatReceipt, formatTransaction } from './format.js';
import { revertReason } from './revert.js';
import { Params, type BlockSpecifier, type CallObject, type LogFilterObject } from './schemas.js';

export interface RpcLimits {
  /** Largest request body (HTTP) or message (WebSocket), in bytes. */
  maxRequestBytes: number;
  /** Most calls in one batch. */
  maxBatchLength: number;
  /** Widest eth_getLogs block range. */
  maxLogBlockRange: bigint;
  /** Most logs one eth_getLogs may return. */
  maxLogResults: number;
  /** Most eth_subscribe subscriptions one WebSocket connection may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** A WebSocket consumer whose unsent data exceeds this many bytes is disconnected (it stopped reading). */
  maxWsBufferedBytes: number;
}

export const DEFAULT_RPC_LIMITS: RpcLimits = {
  maxRequestBytes: 5 * 1024 * 1024,
  maxBatchLength: 1_000,
  maxLogBlockRange: 10_000n,
  maxLogResults: 10_000,
  maxSubscriptionsPerConnection: 1_000,
  maxWsBufferedBytes: 16 * 1024 * 1024,
};

export interface RpcHandlerOptions {
  limits?: Partial<RpcLimits>;
  /** Blocks behind the head that count as "safe" / "finalized" (a single sequencer: 0 means final once committed). */
  safeDepth?: bigint;
  finalizedDepth?: bigint;
  /** Tip suggested by eth_maxPriorityFeePerGas and added to the base fee in eth_gasPrice. */
  suggestedPriorityFeePerGas?: bigint;
  clientVersion?: string;
}

/** Where subscription notifications go; one per WebSocket connection. */
export interface RpcConnection {
  send(message: string): void;
}

type Id = string | number | null;
export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: RpcErrorObject;
}

interface Subscription {
  connection: RpcConnection;
  kind: 'newHeads' | 'logs';
  filter?: Omit<LogFilter, 'fromBlock' | 'toBlock'>;
}

type Method = (params: unknown, connection: RpcConnection | undefined) => Promise<unknown>;

/**
 * Ethereum JSON-RPC over an EvmEngine, independent of any transport: feed it the text of a request (single or
 * batch) and send back what it returns. Parameters are validated with zod; errors carry geth's codes.
 */
export class JsonRpcHandler {
  readonly limits: RpcLimits;
  private readonly methods: Record<string, Method>;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly perConnection = new Map<RpcConnection, number>();
  private readonly onBlock = (committed: CommittedBlock) => this.notify(committed);

  constructor(
    private readonly engine: EvmEngine,
    private readonly options: RpcHandlerOptions = {},
  ) {
    this.limits = { ...DEFAULT_RPC_LIMITS, ...options.limits };
    this.methods = this.buildMethods();
    engine.on('block', this.onBlock);
  }

  /** Stops listening to the engine; open subscriptions end. */
  dispose(): void {
    this.engine.off('block', this.onBlock);
    this.subscriptions.clear();
    this.perConnection.clear();
  }

  /** Drops a closed connection's subscriptions. */
  closeConnection(connection: RpcConnection): void {
    if (!this.perConnection.has(connection)) return;
    for (const [id, sub] of this.subscriptions) if (sub.connection === connection) this.subscriptions.delete(id);
    this.perConnection.delete(connection);
  }

  /** Subscriptions open on `connection`. */
  subscriptionCount(connection: RpcConnection): number {
    return this.perConnection.get(connection) ?? 0;
  }

  private dropSubscription(id: string): boolean {
    const sub = this.subscriptions.get(id);
    if (sub === undefined) return false;
    this.subscriptions.delete(id);
    const left = (this.perConnection.get(sub.connection) ?? 1) - 1;
    if (left > 0) this.perConnection.set(sub.connection, left);
    else this.perConnection.delete(sub.connection);
    return true;
  }

  /** Handles one request text; returns the response text, or undefined when only notifications were sent. */
  async handle(text: string, connection?: RpcConnection): Promise<string | undefined> {
    if (Buffer.byteLength(text) > this.limits.maxRequestBytes) {
      return JSON.stringify(errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, `request too large: more than ${this.limits.maxRequestBytes} bytes`)));
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return JSON.stringify(errorResponse(null, new RpcError(RpcErrorCode.ParseError, 'parse error: request is not valid JSON')));
    }
    const response = await this.handleParsed(payload, connection);
    return response === undefined ? undefined : JSON.stringify(response, jsonBigint);
  }

  async handleParsed(payload: unknown, connection?: RpcConnection): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    if (!Array.isArray(payload)) return this.handleOne(payload, connection);
    if (payload.length === 0) return errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, 'empty batch'));
    if (payload.length > this.limits.maxBatchLength) {
      return errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, `batch too large: ${payload.length} calls, at most ${this.limits.maxBatchLength}`));
    }
    const responses = await Promise.all(payload.map((item) => this.handleOne(item, connection)));
    const present = responses.filter((r): r is JsonRpcResponse => r !== undefined);
    return present.length === 0 ? undefined : present;
  }

  private async handleOne(request: unknown, connection: RpcConnection | undefined): Promise<JsonRpcResponse | undefined> {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, 'invalid request: expected an object'));
    }
    const r = request as Record<string, unknown>;
    const hasId = 'id' in r;
    const id = r.id;
    if (hasId && id !== null && typeof id !== 'string' && typeof id !== 'number') {
      return errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, 'invalid request: id must be a string, number or null'));
    }
    const replyId: Id = hasId ? (id as Id) : null;
    if (r.jsonrpc !== '2.0') return errorResponse(replyId, new RpcError(RpcErrorCode.InvalidRequest, 'invalid request: jsonrpc must be "2.0"'));
    if (typeof r.method !== 'string') return errorResponse(replyId, new RpcError(RpcErrorCode.InvalidRequest, 'invalid request: method must be a string'));
    if (r.params !== undefined && !Array.isArray(r.params)) {
      return errorResponse(replyId, new RpcError(RpcErrorCode.InvalidParams, 'invalid params: expected an array'));
    }
    const method = Object.hasOwn(this.methods, r.method) ? this.methods[r.method] : undefined;
    let response: JsonRpcResponse;
    if (method === undefined) {
      response = errorResponse(replyId, new RpcError(RpcErrorCode.MethodNotFound, `the method ${r.method} does not exist/is not available`));
    } else {
      try {
        response = { jsonrpc: '2.0', id: replyId, result: await method(r.params ?? [], connection) };
      } catch (err) {
        response = errorResponse(replyId, asRpcError(err));
      }
    }
    // A request without an id is a notification: run it, answer nothing.
    return hasId ? response : undefined;
  }

  // ------------------------------------------------------------------ methods

  private buildMethods(): Record<string, Method> {
    const e = this.engine;
    const p = <S extends z.ZodType>(schema: S, params: unknown): z.output<S> => {
      const parsed = schema.safeParse(params);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
        throw new RpcError(RpcErrorCode.InvalidParams, `invalid params${where}: ${issue?.message ?? 'malformed'}`);
      }
      return parsed.data;
    };
    const tip = this.options.suggestedPriorityFeePerGas ?? 1_000_000n;
    return {
      web3_clientVersion: async (params) => (p(Params.none, params), this.options.clientVersion ?? 'tapbridge-evm/0.1.0'),
      net_version: async (params) => (p(Params.none, params), e.chainId.toString()),
      net_listening: async () => true,
      eth_chainId: async (params) => (p(Params.none, params), toQuantity(e.chainId)),
      eth_syncing: async () => false,
      eth_accounts: async () => [],
      eth_blockNumber: async (params) => (p(Params.none, params), toQuantity(e.headNumber)),
      eth_gasPrice: async (params) => (p(Params.none, params), toQuantity(e.pendingBaseFee() + tip)),
      eth_maxPriorityFeePerGas: async (params) => (p(Params.none, params), toQuantity(tip)),
      eth_getBalance: async (params) => {
        const [address, block] = p(Params.address_block, params);
        return toQuantity(await e.getBalance(address, await this.stateBlock(block)));
      },
      eth_getTransactionCount: async (params) => {
        const [address, block] = p(Params.address_block, params);
        if (block === 'pending') return toQuantity(await e.getPendingNonce(address));
        return toQuantity(await e.getNonce(address, await this.stateBlock(block)));
      },
      eth_getCode: async (params) => {
        const [address, block] = p(Params.address_block, params);
        return toHex(await e.getCode(address, await this.stateBlock(block)));
      },
      eth_getStorageAt: async (params) => {
        const [address, slot, block] = p(Params.storage, params);
        const slotBytes = fromHex(`0x${slot.slice(2).padStart(64, '0')}`, 32);
        return toHex(await e.getStorageAt(address, slotBytes, await this.stateBlock(block)));
      },
      eth_call: async (params) => {
        const [call, block] = p(Params.call, params);
        const result = await e.call(toCallRequest(call), await this.stateBlock(block));
        if (result.error === undefined) return toHex(result.returnValue);
        if (result.error.revertData !== undefined) throw revertError(result.error.revertData);
        throw new RpcError(RpcErrorCode.ServerError, result.error.message);
      },
      eth_estimateGas: async (params) => {
        const [call, block] = p(Params.call, params);
        try {
          return toQuantity(await e.estimateGas(toCallRequest(call), await this.stateBlock(block)));
        } catch (err) {
          if (err instanceof ExecutionFailedError && err.revertData !== undefined) throw revertError(err.revertData);
          throw err;
        }
      },
      eth_sendRawTransaction: async (params) => {
        const [raw] = p(Params.rawTx, params);
        return e.sendRawTransaction(fromHex(raw));
      },
      eth_getTransactionByHash: async (params) => {
        const [hash] = p(Params.hash, params);
        const stored = await e.getTransaction(hash);
        if (stored !== undefined) {
          const block = await e.getBlockByNumber(stored.blockNumber);
          const tx = block?.transactions[stored.index] ?? e.decodeTransaction(stored.raw);
          return formatTransaction(tx, stored.from, block === undefined ? undefined : { block, index: stored.index });
        }
        const pending = e.pendingTransaction(hash);
        return pending === undefined ? null : formatTransaction(pending.tx, pending.sender);
      },
      eth_getTransactionReceipt: async (params) => {
        const [hash] = p(Params.hash, params);
        const receipt = await e.getReceipt(hash);
        return receipt === undefined ? null : formatReceipt(receipt);
      },
      eth_getBlockByNumber: async (params) => {
        const [tag, full] = p(Params.blockByNumber, params);
        const number = this.blockNumberOf(tag);
        const block = number === undefined ? undefined : await e.getBlockByNumber(number);
        return block === undefined ? null : formatBlock(block, full === true, await this.senders(block.header.number, full === true));
      },
      eth_getBlockByHash: async (params) => {
        const [hash, full] = p(Params.blockByHash, params);
        const block = await e.getBlockByHash(hash);
        return block === undefined ? null : formatBlock(block, full === true, await this.senders(block.header.number, full === true));
      },
      eth_getBlockTransactionCountByNumber: async (params) => {
        const [tag] = p(Params.blockNumberOnly, params);
        const number = this.blockNumberOf(tag);
        const block = number === undefined ? undefined : await e.getBlockByNumber(number);
        return block === undefined ? null : toQuantity(block.transactions.length);
      },
      eth_getBlockReceipts: async (params) => {
        const [tag] = p(Params.blockNumberOnly, params);
        const number = this.blockNumberOf(tag);
        if (number === undefined || number > e.headNumber) return null;
        return (await e.getBlockReceipts(number)).map(formatReceipt);
      },
      eth_getLogs: async (params) => {
        const [filter] = p(Params.logs, params);
        return (await this.queryLogs(filter)).map((l) => formatLog(l));
      },
      eth_feeHistory: async (params) => {
        const [count, newest, percentiles] = p(Params.feeHistory, params);
        return this.feeHistory(count, newest, percentiles ?? []);
      },
      eth_subscribe: async (params, connection) => {
        if (connection === undefined) throw new RpcError(RpcErrorCode.MethodNotFound, 'notifications not supported: use a WebSocket connection');
        const parsed = p(Params.subscribe, params);
        const open = this.subscriptionCount(connection);
        if (open >= this.limits.maxSubscriptionsPerConnection) {
          throw new RpcError(RpcErrorCode.LimitExceeded, `too many subscriptions on this connection: ${open} open, at most ${this.limits.maxSubscriptionsPerConnection}`);
        }
        const id = `0x${randomBytes(16).toString('hex')}`;
        if (parsed[0] === 'newHeads') this.subscriptions.set(id, { connection, kind: 'newHeads' });
        else this.subscriptions.set(id, { connection, kind: 'logs', filter: toLogMatch(parsed[1] ?? {}) });
        this.perConnection.set(connection, open + 1);
        return id;
      },
      eth_unsubscribe: async (params, connection) => {
        const [id] = p(Params.unsubscribe, params);
        const sub = this.subscriptions.get(id);
        if (sub === undefined || sub.connection !== connection) return false;
        return this.dropSubscription(id);
      },
    };
  }

  /** Block for a state read: undefined means the head (the engine's fast path). */
  private async stateBlock(spec: BlockSpecifier | undefined): Promise<bigint | undefined> {
    if (spec === undefined || spec === 'latest' || spec === 'pending') return undefined;
    if (typeof spec === 'object' && 'blockHash' in spec) {
      const block = await this.engine.getBlockByHash(spec.blockHash);
      if (block === undefined) throw new RpcError(RpcErrorCode.ServerError, `header for hash ${spec.blockHash} not found`);
      return block.header.number;
    }
    const number = this.blockNumberOf(typeof spec === 'object' ? spec.blockNumber : spec);
    if (number === undefined) throw new RpcError(RpcErrorCode.ServerError, 'header not found');
    return number;
  }

  /** Tag or number → block number; undefined for a number past the head. */
  private blockNumberOf(spec: 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest' | bigint): bigint | undefined {
    const head = this.engine.headNumber;
    const behind = (depth: bigint | undefined) => finalizedBlockNumber(head, depth ?? 0n);
    switch (spec) {
      case 'latest':
      case 'pending':
        return head;
      case 'safe':
        return behind(this.options.safeDepth);
      case 'finalized':
        return behind(this.options.finalizedDepth);
      case 'earliest':
        return 0n;
      default:
        return spec <= head ? spec : undefined;
    }
  }

  private async senders(blockNumber: bigint, needed: boolean): Promise<string[]> {
    if (!needed) return [];
    return (await this.engine.getBlockReceipts(blockNumber)).map((r) => r.from);
  }

  private async queryLogs(filter: LogFilterObject): Promise<StoredLog[]> {
    let fromBlock: bigint;
    let toBlock: bigint;
    if (filter.blockHash !== undefined) {
      const block = await this.engine.getBlockByHash(filter.blockHash);
      if (block === undefined) throw new RpcError(RpcErrorCode.ServerError, `unknown block ${filter.blockHash}`);
      fromBlock = toBlock = block.header.number;
    } else {
      const head = this.engine.headNumber;
      fromBlock = this.blockNumberOf(filter.fromBlock ?? 'latest') ?? head + 1n;
      toBlock = this.blockNumberOf(filter.toBlock ?? 'latest') ?? head;
      if (fromBlock > toBlock) return [];
    }
    if (toBlock - fromBlock + 1n > this.limits.maxLogBlockRange) {
      throw new RpcError(RpcErrorCode.LimitExceeded, `block range too large: ${toBlock - fromBlock + 1n} blocks, at most ${this.limits.maxLogBlockRange}`);
    }
    const logs = await this.engine.getLogs({ ...toLogMatch(filter), fromBlock, toBlock, limit: this.limits.maxLogResults + 1 });
    if (logs.length > this.limits.maxLogResults) {
      throw new RpcError(RpcErrorCode.LimitExceeded, `query returned more than ${this.limits.maxLogResults} results`);
    }
    return logs;
  }

  private async feeHistory(count: bigint, newestSpec: 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest' | bigint, percentiles: number[]): Promise<unknown> {
    for (let i = 1; i < percentiles.length; i++) {
      if (percentiles[i]! < percentiles[i - 1]!) throw new RpcError(RpcErrorCode.InvalidParams, 'invalid params: reward percentiles must be ascending');
    }
    const newest = this.blockNumberOf(newestSpec);
    if (newest === undefined) throw new RpcError(RpcErrorCode.ServerError, 'header not found');
    const blocks = count > 1024n ? 1024n : count;
    const oldest = newest + 1n > blocks ? newest + 1n - blocks : 0n;
    const baseFees: string[] = [];
    const ratios: number[] = [];
    const rewards: string[][] = [];
    let last;
    for (let n = oldest; n <= newest; n++) {
      const block = await this.engine.getBlockByNumber(n);
      if (block === undefined) break;
      const h = block.header;
      const baseFee = h.baseFeePerGas ?? 0n;
      baseFees.push(toQuantity(baseFee));
      ratios.push(Number(h.gasUsed) / Number(h.gasLimit));
      if (percentiles.length > 0) {
        const tips = (await this.engine.getBlockReceipts(n))
          .map((r) => ({ tip: r.effectiveGasPrice - baseFee, gas: r.gasUsed }))
          .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0));
        rewards.push(percentiles.map((pc) => toQuantity(percentileTip(tips, h.gasUsed, pc))));
      }
      last = h;
    }
    if (last !== undefined) {
      baseFees.push(toQuantity(nextBaseFeePerGas({ baseFeePerGas: last.baseFeePerGas ?? 0n, gasUsed: last.gasUsed, gasLimit: last.gasLimit }, this.engine.config.baseFee)));
    }
    return { oldestBlock: toQuantity(oldest), baseFeePerGas: baseFees, gasUsedRatio: ratios, ...(percentiles.length > 0 ? { reward: rewards } : {}) };
  }

  private notify(committed: CommittedBlock): void {
    if (this.subscriptions.size === 0) return;
    const header = formatHeader(committed.block.header, committed.block.hash());
    const logs = committed.receipts.flatMap((r) => r.logs);
    for (const [id, sub] of this.subscriptions) {
      const send = (result: unknown) => {
        try {
          sub.connection.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result } }));
        } catch {
          this.dropSubscription(id); // the connection is gone
        }
      };
      if (sub.kind === 'newHeads') send(header);
      else for (const log of logs) if (logMatches(log, { ...sub.filter, fromBlock: log.blockNumber, toBlock: log.blockNumber })) send(formatLog(log));
    }
  }
}

/** Gas-weighted percentile of effective tips, as geth computes eth_feeHistory rewards. */
function percentileTip(sorted: { tip: bigint; gas: bigint }[], gasUsed: bigint, percentile: number): bigint {
  if (sorted.length === 0) return 0n;
  const threshold = (Number(gasUsed) * percentile) / 100;
  let sum = 0;
  for (const t of sorted) {
    sum += Number(t.gas);
    if (sum >= threshold) return t.tip;
  }
  return sorted[sorted.length - 1]!.tip;
}

function toLogMatch(filter: LogFilterObject): Omit<LogFilter, 'fromBlock' | 'toBlock'> {
  const addresses = filter.address === undefined ? undefined : Array.isArray(filter.address) ? filter.address : [filter.address];
  const topics = filter.topics?.map((t) => {
    if (t === null) return null;
    if (Array.isArray(t)) return t.some((x) => x === null) ? null : (t as string[]);
    return [t];
  });
  return { ...(addresses !== undefined ? { addresses } : {}), ...(topics !== undefined ? { topics } : {}) };
}

function toCallRequest(call: CallObject): CallRequest {
  const data = call.input ?? call.data;
  return {
    ...(call.from !== undefined ? { from: call.from } : {}),
    ...(call.to !== undefined ? { to: call.to } : {}),
    ...(data !== undefined ? { data: fromHex(data) } : {}),
    ...(call.value !== undefined ? { value: call.value } : {}),
    ...(call.gas !== undefined ? { gas: call.gas } : {}),
  };
}

function revertError(data: Uint8Array): RpcError {
  const reason = revertReason(data);
  return new RpcError(RpcErrorCode.ExecutionReverted, reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`, toHex(data));
}

function asRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof TransactionRejectedError || err instanceof EvmEngineError) return new RpcError(RpcErrorCode.ServerError, err.message);
  return new RpcError(RpcErrorCode.InternalError, `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

function errorResponse(id: Id, err: RpcError): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: toErrorObject(err) };
}

function jsonBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? toQuantity(value) : value;
}
