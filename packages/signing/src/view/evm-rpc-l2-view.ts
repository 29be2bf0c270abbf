// The signer's L2 view over plain JSON-RPC (EVM_RPC_URL, a node it trusts): the bridge's WithdrawalRequested logs by
// their indexed id, counted only once final. Final is the evm-gateway's rule (withdrawal-finalizer, gateway queries,
// the JSON-RPC "finalized" tag): a log in block n is final once the head is at least n + EVM_FINALITY_DEPTH.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { L2View, WithdrawalLog } from './l2.js';

/** The bridge predeployed at genesis (packages/evm chain-config BRIDGE_ADDRESS). */
export const DEFAULT_BRIDGE_ADDRESS = '0x0000000000000000000000000000000000b71d6e';
export const WITHDRAWAL_REQUESTED_TOPIC = `0x${bytesToHex(keccak_256(new TextEncoder().encode('WithdrawalRequested(uint256,address,bytes,uint64,uint64)')))}`;

const quantity = z.string().regex(/^0x(0|[1-9a-f][0-9a-f]*)$/, 'must be a hex quantity').transform((v) => BigInt(v));
const data = z.string().regex(/^0x([0-9a-f]{2})*$/, 'must be hex data');
const hash32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be a 32-byte hash');
const logSchema = z.object({
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  topics: z.array(hash32).max(4),
  data,
  blockNumber: quantity,
  blockHash: hash32,
  transactionHash: hash32,
  logIndex: quantity,
  removed: z.boolean().optional(),
});
type RpcLog = z.infer<typeof logSchema>;
const rpcReply = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.number(), result: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), id: z.number().nullable(), error: z.object({ code: z.number(), message: z.string() }) }),
]);

/** One JSON-RPC call to the EVM node the signer trusts; its answers are checked like any outside input. */
export type EvmJsonRpcCall = (method: string, params: unknown[]) => Promise<unknown>;

/** The JSON-RPC client both L2 views use (withdrawal logs here, recovery scripts and balances in recovery.ts). */
export function evmJsonRpc(o: { url: string; timeoutMs?: number; fetch?: typeof fetch }): EvmJsonRpcCall {
  let nextId = 1;
  return async (method, params) => {
    const id = nextId++;
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new L2RpcError(`EVM node unreachable (${method}): ${(err as Error).message}`);
    }
    if (!res.ok) throw new L2RpcError(`EVM node answered HTTP ${res.status} to ${method}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new L2RpcError(`EVM node answered ${method} with something that is not JSON`);
    }
    const reply = rpcReply.safeParse(body);
    if (!reply.success) throw new L2RpcError(`EVM node answered ${method} with a malformed JSON-RPC reply`);
    if ('error' in reply.data) throw new L2RpcError(`EVM node refused ${method}: ${reply.data.error.message}`);
    if (reply.data.id !== id) throw new L2RpcError(`EVM node answered ${method} for request ${reply.data.id}, not ${id}`);
    return reply.data.result;
  };
}

export interface EvmRpcL2ViewOptions {
  url: string;
  bridgeAddress?: string;
  /** Blocks a burn must be buried under (the evm-gateway's EVM_FINALITY_DEPTH). */
  finalityDepth: bigint;
  /** First block to search (the bridge is predeployed at genesis: 0). */
  fromBlock?: bigint;
  /** Widest eth_getLogs range the node allows (packages/evm's default limit is 10,000). */
  maxBlockRange?: bigint;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class L2RpcError extends Error {
  override readonly name = 'L2RpcError';
}

const idTopic = (id: bigint): string => `0x${id.toString(16).padStart(64, '0')}`;

/** Decodes the data of a WithdrawalRequested log: (bytes btcScriptPubKey, uint64 amountSats, uint64 maxFeeSats). */
export function decodeWithdrawalLog(log: RpcLog, bridge: string): WithdrawalLog {
  if (log.address.toLowerCase() !== bridge) throw new L2RpcError(`log ${log.transactionHash}/${log.logIndex} is from ${log.address}, not the bridge`);
  const [topic, id, sender] = log.topics;
  if (log.topics.length !== 3 || topic !== WITHDRAWAL_REQUESTED_TOPIC || id === undefined || sender === undefined)
    throw new L2RpcError(`log ${log.transactionHash}/${log.logIndex} is not a WithdrawalRequested event`);
  const bytes = hexToBytes(log.data.slice(2));
  if (bytes.length < 128 || bytes.length % 32 !== 0) throw new L2RpcError(`WithdrawalRequested data has bad length ${bytes.length}`);
  const word = (i: number): bigint => BigInt(`0x${bytesToHex(bytes.subarray(i * 32, i * 32 + 32))}`);
  const U64 = (1n << 64n) - 1n;
  if (word(0) !== 96n) throw new L2RpcError(`WithdrawalRequested script offset ${word(0)}, expected 96`);
  const amountSats = word(1);
  const maxFeeSats = word(2);
  if (amountSats > U64 || maxFeeSats > U64) throw new L2RpcError('WithdrawalRequested amount or max fee exceeds uint64');
  const length = word(3);
  if (128n + length > BigInt(bytes.length)) throw new L2RpcError('WithdrawalRequested script runs past the data');
  return {
    id: BigInt(id),
    sender: `0x${sender.slice(26)}`,
    btcScriptPubKey: bytes.slice(128, 128 + Number(length)),
    amountSats,
    maxFeeSats,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: Number(log.logIndex),
  };
}

export class EvmRpcL2View implements L2View {
  readonly #bridge: string;
  /** Final logs never change (the finality depth is what makes them final): found once, kept. */
  readonly #final = new Map<bigint, WithdrawalLog>();
  readonly #call: EvmJsonRpcCall;

  constructor(private readonly o: EvmRpcL2ViewOptions) {
    this.#call = evmJsonRpc(o);
    this.#bridge = (o.bridgeAddress ?? DEFAULT_BRIDGE_ADDRESS).toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(this.#bridge)) throw new RangeError(`bridge address ${o.bridgeAddress} is not a 20-byte hex address`);
    if (o.finalityDepth < 0n) throw new RangeError('finalityDepth must be non-negative');
  }

  async headNumber(): Promise<bigint> {
    return quantity.parse(await this.#call('eth_blockNumber', []));
  }

  async finalWithdrawals(ids: readonly bigint[]): Promise<Map<bigint, WithdrawalLog>> {
    const found = new Map<bigint, WithdrawalLog>();
    let missing = [...new Set(ids)].filter((id) => {
      const known = this.#final.get(id);
      if (known) found.set(id, known);
      return !known;
    });
    if (missing.length === 0) return found;
    const head = await this.headNumber();
    const finalBlock = head - this.o.finalityDepth;
    const floor = this.o.fromBlock ?? 0n;
    const range = this.o.maxBlockRange ?? 10_000n;
    // Newest first: the ids a sweep pays are recent burns.
    for (let to = finalBlock; to >= floor && missing.length > 0; to -= range) {
      const from = to - range + 1n > floor ? to - range + 1n : floor;
      for (let i = 0; i < missing.length; i += 100) {
        const batch = missing.slice(i, i + 100);
        const logs = await this.#getLogs(from, to, batch);
        for (const log of logs) {
          if (log.removed === true) continue;
          const w = decodeWithdrawalLog(log, this.#bridge);
          if (w.blockNumber > finalBlock) continue;
          const earlier = found.get(w.id);
          if (earlier && earlier.transactionHash !== w.transactionHash) throw new L2RpcError(`the bridge emitted withdrawal id ${w.id} twice`);
          found.set(w.id, w);
          this.#final.set(w.id, w);
        }
      }
      missing = missing.filter((id) => !found.has(id));
    }
    return found;
  }

  async #getLogs(from: bigint, to: bigint, ids: readonly bigint[]): Promise<RpcLog[]> {
    const filter = { address: this.#bridge, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, topics: [WITHDRAWAL_REQUESTED_TOPIC, ids.map(idTopic)] };
    const parsed = z.array(logSchema).safeParse(await this.#call('eth_getLogs', [filter]));
    if (!parsed.success) throw new L2RpcError(`eth_getLogs answered malformed logs: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }
}
