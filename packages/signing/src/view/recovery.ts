// The signer's own L2 view of the escape hatch (issue 11): which accounts registered a Bitcoin recovery script with the
// bridge (setRecoveryScript → RecoveryScriptSet logs) and what each held at a checkpoint block, read from an EVM node
// it trusts (EVM_RPC_URL). A checkpoint must be final (head − finality depth), so the snapshot never changes.
import { isPayoutScript } from '@tapbridge/bitcoin';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { DEFAULT_BRIDGE_ADDRESS, evmJsonRpc, L2RpcError, type EvmJsonRpcCall } from './evm-rpc-l2-view.js';

/** 1 sat = 10^10 wei. */
export const WEI_PER_SAT = 10_000_000_000n;
export const RECOVERY_SCRIPT_SET_TOPIC = `0x${bytesToHex(keccak_256(new TextEncoder().encode('RecoveryScriptSet(address,bytes)')))}`;

export interface RecoveryAccount {
  /** 0x + 40 lowercase hex. */
  account: string;
  /** Balance at the snapshot block in whole sats (wei / 10^10, rounded down). */
  balanceSats: bigint;
  scriptPubKey: Uint8Array;
}

export interface RecoverySnapshot {
  block: bigint;
  /** Accounts with a registered script, in account order. */
  accounts: RecoveryAccount[];
}

export interface RecoveryView {
  /** The newest final L2 block. */
  finalBlock(): Promise<bigint>;
  /** Registered scripts (latest per account) and balances at `block`; throws if the block is not final. */
  snapshot(block: bigint): Promise<RecoverySnapshot>;
}

const quantity = z.string().regex(/^0x(0|[1-9a-f][0-9a-f]*)$/).transform((v) => BigInt(v));
const logSchema = z.object({
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  topics: z.array(z.string().regex(/^0x[0-9a-f]{64}$/)).max(4),
  data: z.string().regex(/^0x([0-9a-f]{2})*$/),
  blockNumber: quantity,
  logIndex: quantity,
  removed: z.boolean().optional(),
});

/** Decodes RecoveryScriptSet(address indexed account, bytes scriptPubKey)'s data: one ABI `bytes`. */
export function decodeRecoveryScriptData(data: string): Uint8Array {
  const bytes = hexToBytes(data.slice(2));
  if (bytes.length < 64) throw new L2RpcError(`RecoveryScriptSet data has bad length ${bytes.length}`);
  const word = (i: number): bigint => BigInt(`0x${bytesToHex(bytes.subarray(i * 32, i * 32 + 32))}`);
  if (word(0) !== 32n) throw new L2RpcError(`RecoveryScriptSet script offset ${word(0)}, expected 32`);
  const length = word(1);
  if (64n + length > BigInt(bytes.length)) throw new L2RpcError('RecoveryScriptSet script runs past the data');
  return bytes.slice(64, 64 + Number(length));
}

export interface EvmRpcRecoveryViewOptions {
  url: string;
  bridgeAddress?: string;
  finalityDepth: bigint;
  maxBlockRange?: bigint;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class EvmRpcRecoveryView implements RecoveryView {
  readonly #bridge: string;
  readonly #snapshots = new Map<bigint, RecoverySnapshot>();
  readonly #call: EvmJsonRpcCall;

  constructor(private readonly o: EvmRpcRecoveryViewOptions) {
    this.#call = evmJsonRpc(o);
    this.#bridge = (o.bridgeAddress ?? DEFAULT_BRIDGE_ADDRESS).toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(this.#bridge)) throw new RangeError(`bridge address ${o.bridgeAddress} is not a 20-byte hex address`);
  }

  async finalBlock(): Promise<bigint> {
    const head = quantity.parse(await this.#call('eth_blockNumber', []));
    const final = head - this.o.finalityDepth;
    return final < 0n ? 0n : final;
  }

  async snapshot(block: bigint): Promise<RecoverySnapshot> {
    const known = this.#snapshots.get(block);
    if (known) return known;
    const final = await this.finalBlock();
    if (block > final) throw new L2RpcError(`L2 block ${block} is not final yet (final: ${final})`);
    const latest = new Map<string, { at: [bigint, bigint]; script: Uint8Array }>();
    const range = this.o.maxBlockRange ?? 10_000n;
    for (let from = 0n; from <= block; from += range) {
      const to = from + range - 1n < block ? from + range - 1n : block;
      const filter = { address: this.#bridge, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, topics: [RECOVERY_SCRIPT_SET_TOPIC] };
      const logs = z.array(logSchema).parse(await this.#call('eth_getLogs', [filter]));
      for (const log of logs) {
        if (log.removed === true || log.address.toLowerCase() !== this.#bridge || log.topics[0] !== RECOVERY_SCRIPT_SET_TOPIC || log.topics.length !== 2) continue;
        const account = `0x${log.topics[1]!.slice(26)}`;
        const at: [bigint, bigint] = [log.blockNumber, log.logIndex];
        const before = latest.get(account);
        if (before && (before.at[0] > at[0] || (before.at[0] === at[0] && before.at[1] > at[1]))) continue;
        latest.set(account, { at, script: decodeRecoveryScriptData(log.data) });
      }
    }
    const accounts: RecoveryAccount[] = [];
    const entries = [...latest.entries()].filter(([, v]) => isPayoutScript(v.script)).sort(([a], [b]) => (a < b ? -1 : 1));
    for (let i = 0; i < entries.length; i += 20) {
      const chunk = entries.slice(i, i + 20);
      const balances = await Promise.all(chunk.map(([account]) => this.#call('eth_getBalance', [account, `0x${block.toString(16)}`])));
      chunk.forEach(([account, v], k) => accounts.push({ account, balanceSats: quantity.parse(balances[k]) / WEI_PER_SAT, scriptPubKey: v.script }));
    }
    const snap = { block, accounts };
    this.#snapshots.set(block, snap);
    if (this.#snapshots.size > 16) this.#snapshots.delete(this.#snapshots.keys().next().value!);
    return snap;
  }
}

/** Fixed snapshots: tests, benchmarks, tools. */
export class FixedRecoveryView implements RecoveryView {
  readonly snapshots = new Map<bigint, RecoveryAccount[]>();
  constructor(public final: bigint) {}
  set(block: bigint, accounts: RecoveryAccount[]): this {
    this.snapshots.set(block, [...accounts].sort((a, b) => (a.account < b.account ? -1 : 1)));
    return this;
  }
  async finalBlock(): Promise<bigint> {
    return this.final;
  }
  async snapshot(block: bigint): Promise<RecoverySnapshot> {
    if (block > this.final) throw new L2RpcError(`L2 block ${block} is not final yet (final: ${this.final})`);
    const accounts = this.snapshots.get(block);
    if (!accounts) throw new L2RpcError(`no snapshot at L2 block ${block}`);
    return { block, accounts };
  }
}
