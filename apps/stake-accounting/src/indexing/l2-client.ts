/**
 * The few JSON-RPC calls the indexer makes to the L2 node (the evm-gateway's standard Ethereum JSON-RPC). Answers are
 * checked with zod: a node that answers nonsense stops indexing with an error naming the call.
 */
import { z } from 'zod';

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const blockHead = z.object({ number: hex, hash: hex });
const logSchema = z.object({
  address: hex,
  topics: z.array(hex),
  data: hex,
  blockNumber: hex,
  blockHash: hex,
  transactionHash: hex,
  logIndex: hex,
  removed: z.boolean().optional(),
});
export type RpcLog = z.infer<typeof logSchema>;

export class L2RpcError extends Error {
  override readonly name = 'L2RpcError';
}

export class L2Client {
  private id = 0;
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call<S extends z.ZodType>(method: string, params: unknown[], schema: S): Promise<z.infer<S>> {
    let body: unknown;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = await res.json();
    } catch (err) {
      throw new L2RpcError(`${method}: ${(err as Error).message}`);
    }
    const envelope = z.object({ result: z.unknown().optional(), error: z.object({ message: z.string() }).optional() }).safeParse(body);
    if (!envelope.success) throw new L2RpcError(`${method}: not a JSON-RPC answer`);
    if (envelope.data.error) throw new L2RpcError(`${method}: ${envelope.data.error.message}`);
    const result = schema.safeParse(envelope.data.result);
    if (!result.success) throw new L2RpcError(`${method}: unexpected result (${result.error.issues[0]?.message})`);
    return result.data;
  }

  /** The highest block the node calls final ("finalized": head − finality depth). */
  async finalizedBlock(): Promise<{ number: bigint; hash: string }> {
    const b = await this.call('eth_getBlockByNumber', ['finalized', false], blockHead);
    return { number: BigInt(b.number), hash: b.hash.toLowerCase() };
  }

  /** The finalized block's timestamp (unix seconds): the L2 time unbonding delays are measured in. */
  async finalizedTime(): Promise<bigint> {
    const b = await this.call('eth_getBlockByNumber', ['finalized', false], blockHead.extend({ timestamp: hex }));
    return BigInt(b.timestamp);
  }

  /** The fee recipient (coinbase) of a block. */
  async coinbaseOf(number: bigint): Promise<string> {
    const b = await this.call('eth_getBlockByNumber', [`0x${number.toString(16)}`, false], blockHead.extend({ miner: hex }));
    return b.miner.toLowerCase();
  }

  /** An account's balance (wei) in the state after a block. */
  async balanceAt(address: string, number: bigint): Promise<bigint> {
    return BigInt(await this.call('eth_getBalance', [address, `0x${number.toString(16)}`], hex));
  }

  /** eth_call against the state after a block; the raw return data. */
  async callAt(to: string, data: string, number: bigint): Promise<string> {
    return this.call('eth_call', [{ to, data }, `0x${number.toString(16)}`], hex);
  }

  async blockHash(number: bigint): Promise<string> {
    const b = await this.call('eth_getBlockByNumber', [`0x${number.toString(16)}`, false], blockHead);
    return b.hash.toLowerCase();
  }

  async logs(address: string, fromBlock: bigint, toBlock: bigint): Promise<RpcLog[]> {
    return this.call('eth_getLogs', [{ address, fromBlock: `0x${fromBlock.toString(16)}`, toBlock: `0x${toBlock.toString(16)}` }], z.array(logSchema));
  }
}
