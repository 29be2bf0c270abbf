import { Block, createBlockHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { createAddressFromString, createWithdrawal, type Account, type Withdrawal } from '@ethereumjs/util';
import type { VM } from '@ethereumjs/vm';
import type { RecentBlockHashes } from './block-hashes.js';
import { executeBlock, type ExecutedBlock } from './block-executor.js';
import { nextBaseFeePerGas, type ChainConfig } from './chain-config.js';
import { EvmEngineError } from './errors.js';
import { toHex } from './hex.js';
import type { Mempool, PoolTransaction, SenderState } from './mempool.js';
import type { MintQueue, MintRequest } from './mint-queue.js';
import { buildReceipts } from './receipts.js';
import type { TrackingStateManager } from './state-cache.js';
import type { BlockCommit, ChainStore, MintRecord, StoredReceipt } from './store/chain-store.js';
import type { StagedTrieDB } from './trie-db.js';
import { satsToGwei } from './units.js';
import { runSystemCalls, systemCallRecords, recordFromReceipt, withSystemLogs, type ExecutedSystemCall } from './system-call-block.js';
import { MAX_SYSTEM_CALLS_PER_BLOCK, type QueuedSystemCall, type SystemCallQueue, type SystemCallRecord } from './system-calls.js';

/** A block the store has committed, with what subscribers and indexers need. */
export interface CommittedBlock {
  block: Block;
  receipts: StoredReceipt[];
  mints: MintRecord[];
  /** Each sender's next nonce after this block: the engine prunes the pool with it in the same step as the head switch. */
  senderNonces: Map<string, bigint>;
  /** The accounts the block wrote, as the block left them (undefined: no account): the flat head cache's update. */
  changedAccounts: Map<string, Account | undefined>;
  /** System calls settled with this block (executed in it, or found applied already). */
  systemCalls: SystemCallRecord[];
}

/** A block that has executed (on top of the committed head or of another pending block) but is not committed yet. */
export interface PendingBlock {
  block: Block;
  commit: BlockCommit;
  receipts: StoredReceipt[];
  mints: MintRecord[];
  /** Queued mints the store already had (a redelivery racing a commit): settled with this block, not credited. */
  alreadyMinted: MintRecord[];
  senderNonces: Map<string, bigint>;
  changedAccounts: Map<string, Account | undefined>;
  /** System calls this block settles (executed in it, or found applied already); deferred ones are not here. */
  systemCalls: SystemCallRecord[];
}

export interface SequencerDeps {
  config: ChainConfig;
  common: Common;
  vm: VM;
  /** The block producer's state (the VM's), which notes the accounts each block writes. */
  stateManager: TrackingStateManager;
  /** BLOCKHASH's source: a block's hash is known to the next block as soon as it has executed. */
  blockHashes?: RecentBlockHashes;
  trieDb: StagedTrieDB;
  store: ChainStore;
  mempool: Mempool;
  mints: MintQueue;
  /** Stake-accounting's decisions for the staking contract (system-calls.ts); none when absent. */
  systemCalls?: SystemCallQueue;
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
 * Produces blocks on top of the committed head: selects transactions, executes them (block-executor.ts fills state
 * root, receipts root, bloom and gas used), assembles the standard header and commits everything through the store
 * in one atomic step.
 *
 * Execution and commit are separate steps so that the next block can execute while the previous one is being
 * written (`execute` builds on the tip: the last executed block, committed or not). Commits happen strictly in
 * order, and nothing of a block is acknowledged (head, receipts, mint settlement) before its own commit. If a
 * commit fails, `rollback` drops every block after the committed head: their trie writes, the producer's state
 * and the mints they held; their transactions are still in the pool and their mints still queued.
 */
export class Sequencer {
  /** The last committed block. */
  private headBlock: Block;
  /** The last executed block: the head, or a pending block on top of it. */
  private tipBlock: Block;
  private nextWithdrawalIndex: bigint;
  private committedWithdrawalIndex: bigint;
  /** Deposit ids held by pending blocks: a later block must not credit them again. */
  private readonly inflightMints = new Set<string>();
  /** System call ids held by blocks being executed or waiting for their commit: a later block must not run them again. */
  private readonly inflightSystemCalls = new Set<string>();

  constructor(
    private readonly deps: SequencerDeps,
    head: Block,
    nextWithdrawalIndex: bigint,
  ) {
    this.headBlock = head;
    this.tipBlock = head;
    this.nextWithdrawalIndex = nextWithdrawalIndex;
    this.committedWithdrawalIndex = nextWithdrawalIndex;
  }

  get head(): Block {
    return this.headBlock;
  }

  /** Executed blocks waiting for their commit. */
  get pendingBlocks(): number {
    return Number(this.tipBlock.header.number - this.headBlock.header.number);
  }

  /** Executes and commits one block (no pipelining); on a failed commit everything pending is rolled back. */
  async produceBlock(): Promise<CommittedBlock> {
    const pending = await this.execute();
    try {
      return await this.commit(pending);
    } catch (err) {
      await this.rollback();
      throw err;
    }
  }

  /**
   * Builds and executes the next block on top of the tip. Not reentrant: the caller runs one execute at a time. On
   * failure the producer's state is back at the tip and this block's trie writes are dropped.
   */
  async execute(): Promise<PendingBlock> {
    const { config, common, vm, stateManager, trieDb, mempool } = this.deps;
    const parentBlock = this.tipBlock;
    const parent = parentBlock.header;
    const baseFee = nextBaseFeePerGas(
      { baseFeePerGas: parent.baseFeePerGas ?? config.baseFee.initialBaseFeePerGas, gasUsed: parent.gasUsed, gasLimit: parent.gasLimit },
      config.baseFee,
    );
    // On top of a pending block, senders are where that block left them: the producer's own state, not the head's.
    const account = parentBlock === this.headBlock ? this.deps.account : (sender: string) => this.producerAccount(sender);
    const included = await mempool.select(baseFee, config.blockGasLimit, account);
    const { requests, alreadyMinted } = await this.pendingMints();
    const held = [...requests.map((r) => r.depositId), ...alreadyMinted.map((m) => m.depositId)];
    for (const id of held) this.inflightMints.add(id);
    const { calls, alreadyExecuted } = await this.pendingSystemCalls();
    const heldCalls = [...calls.map((c) => c.id), ...alreadyExecuted.map((c) => c.id)];
    for (const id of heldCalls) this.inflightSystemCalls.add(id);
    let executedCalls: ExecutedSystemCall[] = [];
    const firstWithdrawalIndex = this.nextWithdrawalIndex;
    const withdrawals: Withdrawal[] = requests.map((m, i) =>
      createWithdrawal({ index: firstWithdrawalIndex + BigInt(i), validatorIndex: 0n, address: createAddressFromString(m.recipient), amount: satsToGwei(m.amountSats) }),
    );
    const nowSeconds = BigInt(Math.floor((this.deps.now ?? Date.now)() / 1000));
    const headerData = {
      parentHash: parentBlock.hash(),
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

    let pending: PendingBlock;
    try {
      // runBlock's work with generated header fields, minus its per-insertion receipt/transaction tries (block-executor.ts).
      let result: ExecutedBlock;
      try {
        const systemCalls = calls.length === 0 ? undefined : async () => void (executedCalls = await runSystemCalls(vm, draft, calls));
        result = await executeBlock(vm, draft, systemCalls);
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
          logsBloom: executedCalls.length === 0 ? result.logsBloom : withSystemLogs(result.logsBloom, executedCalls, common),
          gasUsed: result.gasUsed,
          transactionsTrie: result.transactionsRoot,
          withdrawalsRoot: result.withdrawalsRoot,
        },
        { common },
      );
      const block = new Block(header, txs, [], withdrawals, { common });
      const built = buildReceipts(block, included, result.receipts, result.results);
      const blockHash = toHex(block.hash());
      // The system calls' transactions and receipts follow the body's, in the order they executed.
      const system = systemCallRecords(executedCalls, {
        blockNumber: header.number, blockHash, firstIndex: txs.length, firstLogIndex: built.receipts.reduce((n, r) => n + r.logs.length, 0), blockGasUsed: result.gasUsed, common,
      });
      const receipts = [...built.receipts, ...system.receipts];
      const mintRecords: MintRecord[] = requests.map((m, i) => ({
        depositId: m.depositId,
        recipient: m.recipient,
        amountSats: m.amountSats,
        blockNumber: header.number,
        blockHash,
        withdrawalIndex: firstWithdrawalIndex + BigInt(i),
      }));
      const nextWithdrawalIndex = firstWithdrawalIndex + BigInt(withdrawals.length);
      // The accounts this block wrote, read now from the producer's cache, before another block executes on top.
      const changedAccounts = new Map<string, Account | undefined>();
      for (const key of stateManager.touched) changedAccounts.set(key, await stateManager.getAccount(createAddressFromString(key)));
      stateManager.touched.clear();
      pending = {
        block,
        commit: {
          block: { number: header.number, hash: blockHash, rlp: block.serialize() },
          stateRoot: toHex(result.stateRoot),
          transactions: [...built.transactions, ...system.transactions],
          receipts,
          mints: mintRecords,
          trieNodes: trieDb.sealStaged(),
          nextWithdrawalIndex,
        },
        receipts,
        mints: mintRecords,
        alreadyMinted,
        systemCalls: [...system.records, ...alreadyExecuted],
        senderNonces: nextNonces(included),
        changedAccounts,
      };
    } catch (err) {
      for (const id of held) this.inflightMints.delete(id);
      for (const id of heldCalls) this.inflightSystemCalls.delete(id);
      trieDb.discardStaged();
      stateManager.touched.clear();
      await stateManager.setStateRoot(parent.stateRoot, true);
      throw err;
    }
    this.tipBlock = pending.block;
    this.nextWithdrawalIndex = pending.commit.nextWithdrawalIndex;
    // Deferred calls (a reward credit the coinbase cannot fund yet) are free for a later block.
    for (const e of executedCalls) if (e.outcome === 'deferred') this.inflightSystemCalls.delete(e.entry.id);
    this.deps.blockHashes?.remember(pending.block.header.number, pending.block.hash());
    return pending;
  }

  /**
   * Writes a pending block; it must be the oldest one (its parent is the committed head). On failure nothing of it
   * is acknowledged, and the caller must `rollback` (once no execute is running) before producing again.
   */
  async commit(pending: PendingBlock): Promise<CommittedBlock> {
    const { store, trieDb, mints } = this.deps;
    const blockHash = pending.commit.block.hash;
    if (toHex(pending.block.header.parentHash) !== toHex(this.headBlock.hash())) {
      throw new EvmEngineError(`block ${pending.block.header.number} does not extend the committed head ${this.headBlock.header.number}`);
    }
    try {
      await store.commitBlock(pending.commit);
    } catch (err) {
      // The commit may have succeeded with only its acknowledgement lost (connection dropped after COMMIT).
      // The store's head is the truth: if it is this block, carry on as committed; otherwise it failed.
      const head = await store.getHead().catch(() => undefined);
      if (head?.hash !== blockHash) throw err;
    }
    trieDb.promoteSealed(pending.commit.trieNodes);
    this.headBlock = pending.block;
    this.committedWithdrawalIndex = pending.commit.nextWithdrawalIndex;
    const settled = [...pending.mints, ...pending.alreadyMinted];
    for (const m of settled) this.inflightMints.delete(m.depositId);
    mints.settle(settled);
    for (const c of pending.systemCalls) this.inflightSystemCalls.delete(c.id);
    this.deps.systemCalls?.settle(pending.systemCalls);
    return { block: pending.block, receipts: pending.receipts, mints: pending.mints, senderNonces: pending.senderNonces, changedAccounts: pending.changedAccounts, systemCalls: pending.systemCalls };
  }

  /** Drops every executed block after the committed head (a commit failed): state, trie writes, held mints. */
  async rollback(): Promise<void> {
    const { stateManager, trieDb } = this.deps;
    trieDb.discardAll();
    stateManager.touched.clear();
    await stateManager.setStateRoot(this.headBlock.header.stateRoot, true);
    this.tipBlock = this.headBlock;
    this.nextWithdrawalIndex = this.committedWithdrawalIndex;
    this.inflightMints.clear();
    this.inflightSystemCalls.clear();
  }

  /** Whether a block being executed or waiting for its commit holds this deposit's mint. */
  holdsMint(depositId: string): boolean {
    return this.inflightMints.has(depositId);
  }

  private async producerAccount(sender: string): Promise<SenderState> {
    const account = await this.deps.stateManager.getAccount(createAddressFromString(sender));
    return { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n, hasCode: account?.isContract() === true };
  }

  /**
   * Pending mints minus those a pending block holds and any the store already has (a redelivery racing a commit);
   * the latter are settled as they are.
   */
  /** Queued system calls not held by a pending block; those whose system transaction the store has are settled as they were. */
  private async pendingSystemCalls(): Promise<{ calls: QueuedSystemCall[]; alreadyExecuted: SystemCallRecord[] }> {
    const calls: QueuedSystemCall[] = [];
    const alreadyExecuted: SystemCallRecord[] = [];
    const queue = this.deps.systemCalls;
    if (queue === undefined || queue.size === 0) return { calls, alreadyExecuted };
    const next = queue.peek(MAX_SYSTEM_CALLS_PER_BLOCK + this.inflightSystemCalls.size).filter((c) => !this.inflightSystemCalls.has(c.id)).slice(0, MAX_SYSTEM_CALLS_PER_BLOCK);
    for (const entry of next) {
      const receipt = await this.deps.store.getReceipt(entry.hash);
      if (receipt === undefined) calls.push(entry);
      else alreadyExecuted.push(recordFromReceipt(entry, receipt));
    }
    return { calls, alreadyExecuted };
  }

  private async pendingMints(): Promise<{ requests: MintRequest[]; alreadyMinted: MintRecord[] }> {
    const requests: MintRequest[] = [];
    const alreadyMinted: MintRecord[] = [];
    const pending = this.deps.mints
      .peek(MAX_MINTS_PER_BLOCK + this.inflightMints.size)
      .filter((r) => !this.inflightMints.has(r.depositId))
      .slice(0, MAX_MINTS_PER_BLOCK);
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
