import type { Block, BlockHeader } from '@ethereumjs/block';
import { Capability, type TypedTransaction } from '@ethereumjs/tx';
import { toHex, toQuantity } from '../hex.js';
import { effectiveGasPrice, maxFeePerGas } from '../mempool.js';
import type { StoredLog, StoredReceipt } from '../store/chain-store.js';

// Shapes as geth returns them, field for field, so every client library parses them unchanged.

export type RpcObject = Record<string, unknown>;

export function formatHeader(header: BlockHeader, hash: Uint8Array): RpcObject {
  return {
    number: toQuantity(header.number),
    hash: toHex(hash),
    parentHash: toHex(header.parentHash),
    nonce: toHex(header.nonce),
    mixHash: toHex(header.mixHash),
    sha3Uncles: toHex(header.uncleHash),
    logsBloom: toHex(header.logsBloom),
    transactionsRoot: toHex(header.transactionsTrie),
    stateRoot: toHex(header.stateRoot),
    receiptsRoot: toHex(header.receiptTrie),
    miner: header.coinbase.toString(),
    difficulty: toQuantity(header.difficulty),
    totalDifficulty: '0x0',
    extraData: toHex(header.extraData),
    gasLimit: toQuantity(header.gasLimit),
    gasUsed: toQuantity(header.gasUsed),
    timestamp: toQuantity(header.timestamp),
    baseFeePerGas: toQuantity(header.baseFeePerGas ?? 0n),
    withdrawalsRoot: header.withdrawalsRoot === undefined ? undefined : toHex(header.withdrawalsRoot),
    blobGasUsed: toQuantity(header.blobGasUsed ?? 0n),
    excessBlobGas: toQuantity(header.excessBlobGas ?? 0n),
    parentBeaconBlockRoot: header.parentBeaconBlockRoot === undefined ? undefined : toHex(header.parentBeaconBlockRoot),
  };
}

export function formatBlock(block: Block, fullTransactions: boolean, senders: string[]): RpcObject {
  const hash = block.hash();
  return {
    ...formatHeader(block.header, hash),
    size: toQuantity(block.serialize().length),
    uncles: [],
    transactions: block.transactions.map((tx, index) =>
      fullTransactions ? formatTransaction(tx, senders[index] ?? tx.getSenderAddress().toString(), { block, index }) : toHex(tx.hash()),
    ),
    withdrawals: (block.withdrawals ?? []).map((w) => ({
      index: toQuantity(w.index),
      validatorIndex: toQuantity(w.validatorIndex),
      address: w.address.toString(),
      amount: toQuantity(w.amount),
    })),
  };
}

/** A transaction as eth_getTransactionByHash returns it; `at` is absent while it is pending. */
export function formatTransaction(tx: TypedTransaction, from: string, at?: { block: Block; index: number }): RpcObject {
  const is1559 = tx.supports(Capability.EIP1559FeeMarket);
  const typed = tx.supports(Capability.EIP2718TypedTransaction);
  const baseFee = at?.block.header.baseFeePerGas;
  const out: RpcObject = {
    blockHash: at === undefined ? null : toHex(at.block.hash()),
    blockNumber: at === undefined ? null : toQuantity(at.block.header.number),
    transactionIndex: at === undefined ? null : toQuantity(at.index),
    hash: toHex(tx.hash()),
    type: toQuantity(tx.type),
    from,
    to: tx.to?.toString() ?? null,
    nonce: toQuantity(tx.nonce),
    gas: toQuantity(tx.gasLimit),
    gasPrice: toQuantity(baseFee !== undefined ? effectiveGasPrice(tx, baseFee) : maxFeePerGas(tx)),
    value: toQuantity(tx.value),
    input: toHex(tx.data),
    v: toQuantity(tx.v ?? 0n),
    r: toQuantity(tx.r ?? 0n),
    s: toQuantity(tx.s ?? 0n),
  };
  if (typed) {
    out.chainId = toQuantity(tx.common.chainId());
    out.yParity = toQuantity(tx.v ?? 0n);
    out.accessList = ((tx as { accessList?: [Uint8Array, Uint8Array[]][] }).accessList ?? []).map(([address, keys]) => ({
      address: toHex(address),
      storageKeys: keys.map(toHex),
    }));
  } else if (tx.supports(Capability.EIP155ReplayProtection)) {
    out.chainId = toQuantity(tx.common.chainId());
  }
  if (is1559) {
    const t = tx as { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    out.maxFeePerGas = toQuantity(t.maxFeePerGas);
    out.maxPriorityFeePerGas = toQuantity(t.maxPriorityFeePerGas);
  }
  return out;
}

export function formatLog(log: StoredLog, removed = false): RpcObject {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: toQuantity(log.blockNumber),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    transactionIndex: toQuantity(log.transactionIndex),
    logIndex: toQuantity(log.logIndex),
    removed,
  };
}

export function formatReceipt(r: StoredReceipt): RpcObject {
  return {
    transactionHash: r.transactionHash,
    transactionIndex: toQuantity(r.transactionIndex),
    blockHash: r.blockHash,
    blockNumber: toQuantity(r.blockNumber),
    from: r.from,
    to: r.to,
    contractAddress: r.contractAddress,
    cumulativeGasUsed: toQuantity(r.cumulativeGasUsed),
    gasUsed: toQuantity(r.gasUsed),
    effectiveGasPrice: toQuantity(r.effectiveGasPrice),
    status: toQuantity(r.status),
    type: toQuantity(r.type),
    logsBloom: r.logsBloom,
    logs: r.logs.map((l) => formatLog(l)),
  };
}
