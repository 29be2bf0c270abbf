import { Block, createBlockHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { MerkleStateManager } from '@ethereumjs/statemanager';
import { createAddressFromString, createWithdrawal, type Withdrawal } from '@ethereumjs/util';
import type { VM } from '@ethereumjs/vm';
import { executeBlock, type ExecutedBlock } from './block-executor.js';
import { nextBaseFeePerGas, type ChainConfig } from './chain-config.js';
import { EvmEngineError } from './errors.js';
import { toHex } from './hex.js';
import type { Mempool, PoolTransaction, SenderState } from './mempool.js';
import type { MintQueue, MintRequest } from './mint-queue.js';
import { buildReceipts } from './receipts.js';
import type { ChainStore, MintRecord, StoredReceipt } from './store/chain-store.js';
import type { StagedTrieDB } from './trie-db.js';
import { satsToGwei } from './units.js';

/** A block the store has committed, with what subscribers and indexers need. */
export interface CommittedBlock {
  block: Block;
  receipts: StoredReceipt[];
  mints: MintRecord[];
  /** Each sender's next nonce after this block: the engine prunes the pool with it in the same step as the head switch. */
  senderNonces: Map<string, bigint>;
}

export interface SequencerDeps {
  config: ChainConfig;
  common: Common;
  vm: VM;
  stateManager: MerkleStateManager;
  trieDb: StagedTrieDB;
  store: ChainStore;
  mempool: Mempool;
  mints: MintQueue;
  /** The sender's state at the current head, for transaction selection. */
  account: (sender: string) => Promise<SenderState>;
  now?: () => number;
}

/** runBlock refused a block the sequencer built: a bug in admission or selection, reported, never silent. */
export class BlockExecutionError extends EvmEngineError {}

/**
 * Mints per block: EIP-4895 credits cost no gas, so this bounds the block's state work instead. Large enough that
 * every deposit a Bitcoin block confirms (the gateway hands them over together) is credited in one L2 block.
 */
export const MAX_MINTS_PER_BLOCK = 4_096;

/**
 * Produces one block at a time on top of the committed head: selects transactions, executes them with
 * `runBlock` (generate mode fills state root, receipts root, bloom and gas used), assembles the standard
 * header and commits everything through the store in one atomic step. If execution or the commit fails, the
 * state manager is reset to the head's root and the staged trie writes are dropped, so nothing half-done survives.
 */
export class Sequencer {
  private nextWithdrawalIndex: bigint;

  constructor(
    private readonly deps: SequencerDeps,
    private headBlock: Block,
    nextWithdrawalIndex: bigint,
  ) {
    this.nextWithdrawalIndex = nextWithdrawalIndex;
  }

  get head(): Block {
    return this.headBlock;
  }

  async produceBlock(): Promise<CommittedBlock> {
    const { config, common, vm, stateManager, trieDb, store, mempool, mints } = this.deps;
    const parent = this.headBlock.header;
    const baseFee = nextBaseFeePerGas(
      { baseFeePerGas: parent.baseFeePerGas ?? config.baseFee.initialBaseFeePerGas, gasUsed: parent.gasUsed, gasLimit: parent.gasLimit },
      config.baseFee,
    );
    const included = await mempool.select(baseFee, config.blockGasLimit, this.deps.account);
    const { requests, alreadyMinted } = await this.pendingMints();
    const withdrawals: Withdrawal[] = requests.map((m, i) =>
      createWithdrawal({ index: this.nextWithdrawalIndex + BigInt(i), validatorIndex: 0n, address: createAddressFromString(m.recipient), amount: satsToGwei(m.amountSats) }),
    );
    const nowSeconds = BigInt(Math.floor((this.deps.now ?? Date.now)() / 1000));
    const headerData = {
      parentHash: this.headBlock.hash(),
      number: parent.number + 1n,
      gasLimit: config.blockGasLimit,
      // Strictly increasing, as Ethereum requires; runs ahead of the wall clock only under sustained load.
      timestamp: nowSeconds > parent.timestamp ? nowSeconds : parent.timestamp + 1n,
      baseFeePerGas: baseFee,
      coinbase: createAddressFromString(config.coinbase),
      blobGasUsed: 0n,
      excessBlobGas: 0n,
      parentBeaconBlockRoot: new Uint8Array(32),
    };
    const txs = included.map((p) => p.tx);
    const draft = new Block(createBlockHeader(headerData, { common }), txs, [], withdrawals, { common });

    try {
      // runBlock's work with generated header fields, minus its per-insertion receipt/transaction tries (block-executor.ts).
      let result: ExecutedBlock;
      try {
        result = await executeBlock(vm, draft);
      } catch (err) {
        // Admission and selection should make this impossible; if it happens anyway, drop the block's
        // transactions so one bad transaction cannot stall the chain forever (mints stay queued).
        for (const p of included) mempool.remove(p.hash);
        throw new BlockExecutionError(`block ${headerData.number} failed to execute; dropped its ${included.length} transactions: ${(err as Error).message}`);
      }
      const header = createBlockHeader(
        {
          ...headerData,
          stateRoot: result.stateRoot,
          receiptTrie: result.receiptsRoot,
          logsBloom: result.logsBloom,
          gasUsed: result.gasUsed,
          transactionsTrie: result.transactionsRoot,
          withdrawalsRoot: result.withdrawalsRoot,
        },
        { common },
      );
      const block = new Block(header, txs, [], withdrawals, { common });
      const built = buildReceipts(block, included, result.receipts, result.results);
      const blockHash = toHex(block.hash());
      const mintRecords: MintRecord[] = requests.map((m, i) => ({
        depositId: m.depositId,
        recipient: m.recipient,
        amountSats: m.amountSats,
        blockNumber: header.number,
        blockHash,
        withdrawalIndex: this.nextWithdrawalIndex + BigInt(i),
      }));
      const nextWithdrawalIndex = this.nextWithdrawalIndex + BigInt(withdrawals.length);
      try {
        await store.commitBlock({
          block: { number: header.number, hash: blockHash, rlp: block.serialize() },
          stateRoot: toHex(result.stateRoot),
          transactions: built.transactions,
          receipts: built.receipts,
          mints: mintRecords,
          trieNodes: trieDb.stagedWrites(),
          nextWithdrawalIndex,
        });
      } catch (err) {
        // The commit may have succeeded with only its acknowledgement lost (connection dropped after COMMIT).
        // The store's head is the truth: if it is this block, carry on as committed; otherwise it failed.
        const head = await store.getHead().catch(() => undefined);
        if (head?.hash !== blockHash) throw err;
      }
      trieDb.promoteStaged();
      this.headBlock = block;
      this.nextWithdrawalIndex = nextWithdrawalIndex;
      mints.settle([...mintRecords, ...alreadyMinted]);
      return { block, receipts: built.receipts, mints: mintRecords, senderNonces: nextNonces(included) };
    } catch (err) {
      trieDb.discardStaged();
      await stateManager.setStateRoot(parent.stateRoot, true);
      throw err;
    }
  }

  /** Pending mints minus any the store already has (a redelivery racing a commit); those are settled as they are. */
  private async pendingMints(): Promise<{ requests: MintRequest[]; alreadyMinted: MintRecord[] }> {
    const requests: MintRequest[] = [];
    const alreadyMinted: MintRecord[] = [];
    const pending = this.deps.mints.peek(MAX_MINTS_PER_BLOCK);
    const minted = pending.length === 0 ? new Map<string, MintRecord>() : await this.deps.store.getMints(pending.map((r) => r.depositId));
    for (const request of pending) {
      const existing = minted.get(request.depositId);
      if (existing === undefined) requests.push(request);
      else alreadyMinted.push(existing);
    }
    return { requests, alreadyMinted };
  }
}

function nextNonces(included: PoolTransaction[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const p of included) {
    const next = p.tx.nonce + 1n;
    if ((out.get(p.sender) ?? -1n) < next) out.set(p.sender, next);
  }
  return out;
}
