import type { Block } from '@ethereumjs/block';
import type { TxReceipt, RunTxResult } from '@ethereumjs/vm';
import { effectiveGasPrice } from './mempool.js';
import { toHex } from './hex.js';
import type { StoredLog, StoredReceipt, StoredTransaction } from './store/chain-store.js';
import type { PoolTransaction } from './mempool.js';

/** Turns runBlock's per-transaction results into the receipts and logs eth_getTransactionReceipt serves. */
export function buildReceipts(
  block: Block,
  included: PoolTransaction[],
  receipts: TxReceipt[],
  results: RunTxResult[],
): { transactions: StoredTransaction[]; receipts: StoredReceipt[] } {
  const blockHash = toHex(block.hash());
  const blockNumber = block.header.number;
  const baseFee = block.header.baseFeePerGas ?? 0n;
  const transactions: StoredTransaction[] = [];
  const stored: StoredReceipt[] = [];
  let logIndex = 0;
  included.forEach((entry, index) => {
    const receipt = receipts[index];
    const result = results[index];
    if (receipt === undefined || result === undefined) throw new Error(`runBlock returned no receipt for transaction ${index}`);
    const logs: StoredLog[] = receipt.logs.map(([address, topics, data]) => ({
      address: toHex(address),
      topics: topics.map(toHex),
      data: toHex(data),
      blockNumber,
      blockHash,
      transactionHash: entry.hash,
      transactionIndex: index,
      logIndex: logIndex++,
    }));
    transactions.push({ hash: entry.hash, raw: entry.raw, from: entry.sender, blockNumber, blockHash, index });
    stored.push({
      transactionHash: entry.hash,
      transactionIndex: index,
      blockHash,
      blockNumber,
      from: entry.sender,
      to: entry.tx.to?.toString() ?? null,
      contractAddress: result.createdAddress?.toString() ?? null,
      cumulativeGasUsed: receipt.cumulativeBlockGasUsed,
      gasUsed: result.totalGasSpent,
      effectiveGasPrice: effectiveGasPrice(entry.tx, baseFee),
      status: 'status' in receipt ? receipt.status : 1,
      type: entry.tx.type,
      logsBloom: toHex(receipt.bitvector),
      logs,
    });
  });
  return { transactions, receipts: stored };
}
