import { keccak_256 } from '@noble/hashes/sha3.js';
import { BRIDGE_ADDRESS } from './chain-config.js';
import { EvmEngineError } from './errors.js';
import { fromHex, toHex } from './hex.js';
import type { StoredLog } from './store/chain-store.js';

/** A burn on L2 that the signers must pay out on Bitcoin. */
export interface WithdrawalRequest {
  /** The bridge's sequential id (0, 1, 2, …). */
  id: bigint;
  sender: string;
  /** Bitcoin output script to pay (hex, no 0x). */
  btcScriptPubKey: string;
  amountSats: bigint;
  maxFeeSats: bigint;
  blockNumber: bigint;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export const WITHDRAWAL_REQUESTED_SIGNATURE = 'WithdrawalRequested(uint256,address,bytes,uint64,uint64)';
export const WITHDRAWAL_REQUESTED_TOPIC = toHex(keccak_256(new TextEncoder().encode(WITHDRAWAL_REQUESTED_SIGNATURE)));

export class WithdrawalDecodeError extends EvmEngineError {}

/**
 * Decodes the bridge's WithdrawalRequested logs (id and sender indexed; script, amount and max fee in data);
 * logs of other contracts or events are skipped, malformed bridge logs throw (the bridge cannot emit them).
 */
export function decodeWithdrawalRequests(logs: StoredLog[]): WithdrawalRequest[] {
  const bridge = BRIDGE_ADDRESS.toLowerCase();
  const out: WithdrawalRequest[] = [];
  for (const log of logs) {
    if (log.address.toLowerCase() !== bridge || log.topics[0] !== WITHDRAWAL_REQUESTED_TOPIC) continue;
    out.push(decodeWithdrawalRequested(log));
  }
  return out;
}

export function decodeWithdrawalRequested(log: StoredLog): WithdrawalRequest {
  const [, idTopic, senderTopic] = log.topics;
  if (log.topics.length !== 3 || idTopic === undefined || senderTopic === undefined) {
    throw new WithdrawalDecodeError(`WithdrawalRequested log ${log.transactionHash}/${log.logIndex} has ${log.topics.length} topics, expected 3`);
  }
  const data = fromHex(log.data);
  // ABI head: offset of bytes, amountSats, maxFeeSats; then length and the padded bytes.
  if (data.length < 128 || data.length % 32 !== 0) throw new WithdrawalDecodeError(`WithdrawalRequested data has bad length ${data.length}`);
  const word = (i: number) => BigInt(toHex(data.subarray(i * 32, i * 32 + 32)));
  const offset = word(0);
  const amountSats = word(1);
  const maxFeeSats = word(2);
  if (offset !== 96n) throw new WithdrawalDecodeError(`WithdrawalRequested script offset ${offset}, expected 96`);
  const length = Number(word(3));
  if (128 + length > data.length) throw new WithdrawalDecodeError('WithdrawalRequested script runs past the data');
  return {
    id: BigInt(idTopic),
    sender: `0x${senderTopic.slice(26)}`,
    btcScriptPubKey: Buffer.from(data.subarray(128, 128 + length)).toString('hex'),
    amountSats,
    maxFeeSats,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.logIndex,
  };
}
