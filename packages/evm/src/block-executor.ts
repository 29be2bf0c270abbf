import type { Block } from '@ethereumjs/block';
import { ConsensusType } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import { Account, BIGINT_0, createAddressFromString, GWEI_TO_WEI } from '@ethereumjs/util';
import { Bloom, encodeReceipt, runBlock, runTx, type RunTxResult, type TxReceipt, type VM } from '@ethereumjs/vm';
import { orderedTrieRoot } from './ordered-trie.js';

/** What executing a block produced: the header fields it determines, plus per-transaction receipts and results. */
export interface ExecutedBlock {
  stateRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  withdrawalsRoot: Uint8Array;
  logsBloom: Uint8Array;
  gasUsed: bigint;
  receipts: TxReceipt[];
  results: RunTxResult[];
}

/** EIP-4788's contract, where runBlock looks for it (a constant there too). */
const BEACON_ROOTS_ADDRESS = createAddressFromString('0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02');

/** Transactions (or credits) executed between two turns of the event loop; see executeBlock. */
const YIELD_EVERY = 32;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** EIPs whose block-level work this executor does not do: with any of them active it hands the block to runBlock. */
const NOT_HANDLED_EIPS = [2935, 7685, 7864, 7928, 8037];

/**
 * Executes a block's system call, transactions and withdrawals on `vm` and commits them to its state: exactly what
 * `runBlock(vm, { block, generate: true, skipBlockValidation: true })` does for our hardfork (Cancun, no beacon-root
 * contract deployed), in the same order, but without its per-insertion tries for receipts and transactions
 * (orderedTrieRoot builds each in one pass) and without rebuilding the whole block from scratch at the end.
 * The state root is computed once, after the last withdrawal. Anything outside that case goes through runBlock.
 *
 * On failure the block's changes are reverted and the error is rethrown, as runBlock does.
 */
export async function executeBlock(vm: VM, block: Block, afterTransactions?: () => Promise<void>): Promise<ExecutedBlock> {
  const common = vm.common;
  const beaconCode = common.isActivatedEIP(4788) ? await vm.stateManager.getCode(BEACON_ROOTS_ADDRESS) : new Uint8Array();
  if (beaconCode.length > 0 || NOT_HANDLED_EIPS.some((eip) => common.isActivatedEIP(eip)) || block.common.consensusType() === ConsensusType.ProofOfWork) {
    // runBlock has no place between the transactions and the withdrawals for the sequencer's system calls.
    if (afterTransactions !== undefined) throw new Error('system calls need the direct block executor (no EIP-4788 code, none of NOT_HANDLED_EIPS)');
    return executeWithRunBlock(vm, block);
  }
  await vm.evm.journal.checkpoint();
  const bloom = new Bloom(undefined, common);
  let gasUsed = BIGINT_0;
  let receiptGasUsed = BIGINT_0;
  const receipts: TxReceipt[] = [];
  const results: RunTxResult[] = [];
  const encodedReceipts: Uint8Array[] = [];
  try {
    // EIP-4788's system call is a no-op without the contract's code (checked above), as in runBlock.
    for (const [i, tx] of block.transactions.entries()) {
      // The state reads here resolve from caches as microtasks, so without a yield a whole block would run as one
      // event-loop turn, holding up the previous block's commit (pipelined: its Postgres round trips wait for I/O
      // callbacks) and every JSON-RPC request meanwhile.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      if (block.header.gasLimit < tx.gasLimit + gasUsed) throw new Error('tx has a higher gas limit than the block');
      const result = await runTx(vm, { tx, block, blockGasUsed: receiptGasUsed });
      results.push(result);
      gasUsed += result.blockGasSpent;
      receiptGasUsed += result.totalGasSpent;
      bloom.or(result.bloom);
      receipts.push(result.receipt);
      encodedReceipts.push(encodeReceipt(result.receipt, tx.type));
    }
    // The sequencer's system calls (system-call-block.ts): after the transactions, before the mints.
    if (afterTransactions !== undefined) await afterTransactions();
    if (common.isActivatedEIP(4895)) {
      for (const [i, { address, amount }] of (block.withdrawals ?? []).entries()) {
        if (i % (YIELD_EVERY * 8) === YIELD_EVERY * 8 - 1) await yieldToEventLoop();
        // As runBlock's rewardAccount: credited even when zero, so an empty account is touched and cleaned up.
        const account = (await vm.evm.stateManager.getAccount(address)) ?? new Account();
        account.balance += amount * GWEI_TO_WEI;
        await vm.evm.journal.putAccount(address, account);
      }
      await vm.evm.journal.cleanup();
    }
  } catch (err) {
    await vm.evm.journal.revert();
    throw err;
  }
  // runBlock takes the root before it commits the block checkpoint; so does this.
  const stateRoot = await vm.stateManager.getStateRoot();
  await vm.evm.journal.commit();
  return {
    stateRoot,
    receiptsRoot: orderedTrieRoot(encodedReceipts),
    transactionsRoot: orderedTrieRoot(block.transactions.map((tx) => tx.serialize())),
    withdrawalsRoot: orderedTrieRoot((block.withdrawals ?? []).map((w) => RLP.encode(w.raw()))),
    logsBloom: bloom.bitvector,
    gasUsed,
    receipts,
    results,
  };
}

async function executeWithRunBlock(vm: VM, block: Block): Promise<ExecutedBlock> {
  let transactionsRoot: Uint8Array | undefined;
  const grab = (event: { block: Block }) => {
    transactionsRoot = event.block.header.transactionsTrie;
  };
  vm.events.on('afterBlock', grab);
  try {
    const result = await runBlock(vm, { block, generate: true, skipBlockValidation: true, skipHeaderValidation: true });
    return {
      stateRoot: result.stateRoot,
      receiptsRoot: result.receiptsRoot,
      transactionsRoot: transactionsRoot ?? orderedTrieRoot(block.transactions.map((tx) => tx.serialize())),
      withdrawalsRoot: orderedTrieRoot((block.withdrawals ?? []).map((w) => RLP.encode(w.raw()))),
      logsBloom: result.logsBloom,
      gasUsed: result.gasUsed,
      receipts: result.receipts,
      results: result.results,
    };
  } finally {
    vm.events.off('afterBlock', grab);
  }
}
