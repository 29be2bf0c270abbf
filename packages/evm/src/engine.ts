import { EventEmitter } from 'node:events';
import { createBlockFromRLP, type Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { ValueEncoding, createAddressFromString, setLengthLeft, type Account, type Address } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
import { RecentBlockHashes } from './block-hashes.js';
import { BRIDGE_ADDRESS, createChainCommon, nextBaseFeePerGas, validateChainConfig, type ChainConfig } from './chain-config.js';
import { ChainStoreError, EvmEngineError, MintError, TransactionRejectedError } from './errors.js';
import { finalizedBlockNumber } from './finality.js';
import { buildGenesis } from './genesis.js';
import { fromHex, toHex } from './hex.js';
import { DEFAULT_MEMPOOL_LIMITS, Mempool, type MempoolLimits, type PoolTransaction, type SenderState } from './mempool.js';
import { assertSameMint, checkMintRequest, MintQueue, type MintRequest } from './mint-queue.js';
import { CallPool, DEFAULT_CALL_LIMITS, type CallLimits } from './call-pool.js';
import { callTargetOf, type CallRequest, type CallResult, type CallTarget } from './message-call.js';
import { SenderRecovery } from './sender-recovery.js';
import { FlatStateCache, TrackingStateManager } from './state-cache.js';
import { Sequencer, type CommittedBlock, type PendingBlock } from './sequencer.js';
import type { ChainHead, ChainStore, LogFilter, MintBackingEntry, MintReconfirmation, MintReorgRecord, MintRecord, StoredLog, StoredReceipt, StoredTransaction } from './store/chain-store.js';
import { StagedTrieDB } from './trie-db.js';
import { decodeWithdrawalRequests, type WithdrawalRequest } from './withdrawals.js';
import { checkSystemCall, SystemCallQueue, systemTransaction, type SystemCall, type SystemCallRecord } from './system-calls.js';
import { recordFromReceipt } from './system-call-block.js';

export interface EngineOptions {
  store: ChainStore;
  config: ChainConfig;
  mempoolLimits?: Partial<MempoolLimits>;
  /** eth_call / eth_estimateGas bounds: gas cap, time limit, worker threads (defaults like geth: 50M gas, 5 s). */
  callLimits?: Partial<CallLimits>;
  /** Start producing blocks right away (default true). Tests turn it off and call `produceBlock` themselves. */
  autoMine?: boolean;
  /** Trie nodes kept in memory in front of the store. */
  trieCacheSize?: number;
  /** Clock in milliseconds (block timestamps, idle timer); tests freeze it to get reproducible block hashes. */
  now?: () => number;
  /** Execute the next block while the previous one commits (default true; false for A/B benchmarks). */
  pipelineBlocks?: boolean;
}

export interface EngineEvents {
  block: [CommittedBlock];
  /** A minted deposit's Bitcoin block was reorged away: the L2 holds BTC that is no longer backed. Page someone. */
  mintReorged: [MintReorgRecord];
  /** A reorged minted deposit confirmed again on the best chain: backed again. */
  mintReconfirmed: [MintReconfirmation];
  /** Block production failed (it is retried); for logs and metrics. */
  sequencerError: [Error];
}

/** What a system call request came to. */
export type SystemCallOutcome = { status: 'queued' | 'already-queued'; committed: Promise<SystemCallRecord> } | { status: 'already-executed'; record: SystemCallRecord };

/** What a mint request came to. */
export type MintOutcome = { status: 'queued' | 'already-queued'; committed: Promise<MintRecord> } | { status: 'already-minted'; record: MintRecord };

/**
 * The Layer 2 node: EVM state, sequencer, mint queue and the read side the JSON-RPC handler uses.
 * Open it over a ChainStore; it resumes at the store's committed head (or writes genesis into an empty store).
 */
export class EvmEngine extends EventEmitter<EngineEvents> {
  readonly chainId: bigint;
  private readonly mempool: Mempool;
  private readonly mintQueue = new MintQueue();
  /** Stake-accounting's decisions waiting for the next block (system-calls.ts). */
  private readonly systemCallQueue = new SystemCallQueue();
  /** Sender recovery on a worker thread, batched per event-loop turn. */
  private readonly recovery = new SenderRecovery();
  /** Head accounts in front of the trie (balances, nonces, sender checks). */
  private readonly flat = new FlatStateCache();
  private readonly sequencer: Sequencer;
  /** The next block, executing or executed while the previous one commits (pipelining); not acknowledged yet. */
  private prepared: Promise<PendingBlock | Error> | undefined;
  private headState: MerkleStateManager;
  private readonly historicalStates = new Map<string, MerkleStateManager>();
  private readonly blockCache = new Map<string, Block>();
  private running = false;
  private workPending = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastBlockAt = 0;
  private closed = false;

  private constructor(
    readonly config: ChainConfig,
    readonly common: Common,
    readonly store: ChainStore,
    private readonly trieDb: StagedTrieDB,
    private readonly blockState: TrackingStateManager,
    private readonly calls: CallPool,
    private readonly recentHashes: RecentBlockHashes,
    blockVm: VM,
    head: Block,
    nextWithdrawalIndex: bigint,
    mempoolLimits: MempoolLimits,
    private readonly now: () => number,
    private readonly pipelineBlocks: boolean,
  ) {
    super();
    this.chainId = config.chainId;
    this.mempool = new Mempool(config.chainId, config.blockGasLimit, mempoolLimits, now);
    this.headState = this.stateAt(head.header.stateRoot);
    blockState.touched.clear(); // genesis writes: the flat cache starts empty and fills from the trie
    this.sequencer = new Sequencer(
      {
        config, common, vm: blockVm, stateManager: blockState, trieDb, store,
        mempool: this.mempool, mints: this.mintQueue, systemCalls: this.systemCallQueue, blockHashes: recentHashes,
        account: (sender) => this.senderState(sender), now,
      },
      head,
      nextWithdrawalIndex,
    );
  }

  static async open(options: EngineOptions): Promise<EvmEngine> {
    const config = validateChainConfig(options.config);
    const common = createChainCommon(config);
    const trieDb = new StagedTrieDB(options.store, options.trieCacheSize ?? 500_000);
    const newTrie = () => new MerklePatriciaTrie({ db: trieDb, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common });
    const blockState = new TrackingStateManager({ common, trie: newTrie(), caches: new Caches() });
    const recentHashes = new RecentBlockHashes();
    const stored = await options.store.getHead();
    let head: Block;
    let nextWithdrawalIndex = 0n;
    if (stored === undefined) {
      head = await buildGenesis(config, common, blockState);
      await options.store.commitBlock({
        block: { number: 0n, hash: toHex(head.hash()), rlp: head.serialize() },
        stateRoot: toHex(head.header.stateRoot),
        transactions: [], receipts: [], mints: [],
        trieNodes: trieDb.stagedWrites(),
        nextWithdrawalIndex: 0n,
      });
      trieDb.promoteStaged();
    } else {
      head = await loadHead(options.store, stored, common);
      nextWithdrawalIndex = stored.nextWithdrawalIndex;
      await blockState.setStateRoot(head.header.stateRoot);
      const from = head.header.number > 256n ? head.header.number - 256n : 0n;
      for (let n = from; n <= head.header.number; n++) {
        const b = await options.store.getBlockByNumber(n);
        if (b !== undefined) recentHashes.remember(n, fromHex(b.hash));
      }
    }
    recentHashes.remember(head.header.number, head.hash());
    const blockVm = await createVM({ common, stateManager: blockState, blockchain: recentHashes });
    // Calls run arbitrary code: on worker threads, reading state through the trie DB, never on this event loop.
    const calls = new CallPool({
      config, blockGasLimit: config.blockGasLimit, limits: { ...DEFAULT_CALL_LIMITS, ...options.callLimits },
      trieGet: (key) => trieDb.get(key), blockHashes: recentHashes,
    });
    const engine = new EvmEngine(
      config, common, options.store, trieDb, blockState, calls, recentHashes, blockVm, head,
      nextWithdrawalIndex, { ...DEFAULT_MEMPOOL_LIMITS, ...options.mempoolLimits }, options.now ?? Date.now, options.pipelineBlocks !== false,
    );
    if (options.autoMine !== false) engine.start();
    return engine;
  }

  // ---------------------------------------------------------------- block production

  /** Starts the block loop: a block as soon as transactions or mints arrive, else an empty one every blockTimeMs. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.lastBlockAt = this.now(); // the first empty block comes one block time after start, not at once
    this.loop = this.runLoop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async runLoop(): Promise<void> {
    let backoffMs = 50;
    while (this.running) {
      const idleFor = this.now() - this.lastBlockAt;
      if (!this.workPending && idleFor < this.config.blockTimeMs) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.blockTimeMs - idleFor);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      try {
        await this.produceBlock();
        backoffMs = 50;
      } catch {
        // Reported through 'sequencerError' by produceBlock; wait a little so a broken store is not hammered.
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
        this.workPending = true;
      }
    }
  }

  /** Whether anything is left for another block once `pending` is in: then it is worth executing one during the commit. */
  private moreWorkAfter(pending: PendingBlock): boolean {
    if (this.workPending) return true; // arrived while this block executed
    if (this.mintQueue.size > pending.mints.length + pending.alreadyMinted.length) return true;
    return pending.block.transactions.length > 0 && this.mempool.size > pending.block.transactions.length;
  }

  private signalWork(): void {
    this.workPending = true;
    this.wake?.();
  }

  /** Builds, executes and commits one block now. Serialised with the loop, so it is safe to call any time. */
  produceBlock(): Promise<CommittedBlock> {
    const run = this.producing.then(() => this.produceBlockNow());
    this.producing = run.catch(() => undefined);
    return run;
  }

  private producing: Promise<unknown> = Promise.resolve();

  private async produceBlockNow(): Promise<CommittedBlock> {
    if (this.closed) throw new EvmEngineError('engine is closed');
    this.workPending = false;
    let committed: CommittedBlock;
    try {
      const prepared = this.prepared;
      this.prepared = undefined;
      const ready = prepared === undefined ? undefined : await prepared;
      if (ready instanceof Error) throw ready;
      const pending = ready ?? (await this.sequencer.execute());
      const commit = this.sequencer.commit(pending);
      // While this block is written, the next one executes on top of it (the store's round trips and fsync are
      // waits, not CPU). It is acknowledged only by the next call, after its own commit.
      if (this.pipelineBlocks && this.moreWorkAfter(pending)) {
        this.prepared = this.sequencer.execute().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        this.workPending = true;
      }
      try {
        committed = await commit;
      } catch (err) {
        // Drop the block and whatever executed on top of it: the pool and the mint queue still hold their contents.
        const next = this.prepared;
        this.prepared = undefined;
        await next;
        await this.sequencer.rollback();
        throw err;
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (this.listenerCount('sequencerError') > 0) this.emit('sequencerError', error);
      throw error;
    }
    const { block } = committed;
    this.lastBlockAt = this.now();
    // The accounts the block wrote (noted by the sequencer when it executed, before any block on top).
    const changed = committed.changedAccounts;
    // The head switch, the flat cache and the pool's pruning happen together, with no await between them: a
    // "pending" nonce asked for in between would count neither the block's nonces nor its pooled transactions
    // (ethers then sends "nonce too low" right after seeing the receipt).
    this.headState = this.stateAt(block.header.stateRoot);
    this.flat.applyBlock(changed);
    this.mempool.prune(committed.senderNonces);
    this.recentHashes.remember(block.header.number, block.hash());
    this.rememberBlock(block);
    // More may be selectable now that nonces advanced.
    if (this.mempool.size > 0 && block.transactions.length > 0) this.workPending = true;
    if (this.mintQueue.size > 0) this.workPending = true;
    // Calls still queued after a block that settled some; a deferred reward credit alone waits for the next tick.
    if (committed.systemCalls.length > 0 && this.systemCallQueue.size > 0) this.workPending = true;
    this.mempool.expireQueued();
    this.emit('block', committed);
    return committed;
  }

  // ---------------------------------------------------------------- transactions

  /** eth_sendRawTransaction: decodes, validates and pools a signed transaction; returns its hash. */
  async sendRawTransaction(raw: Uint8Array): Promise<string> {
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(raw, { common: this.common });
    } catch (err) {
      const message = (err as Error).message;
      // @ethereumjs checks the chain id while decoding; say it the way geth does.
      if (/chain ?id/i.test(message)) throw new TransactionRejectedError('invalid chain id for signer');
      throw new TransactionRejectedError(`invalid transaction: ${message.split('\n')[0] ?? ''}`);
    }
    await this.recovery.prime(tx);
    const sender = this.mempool.precheck(tx);
    const account = await this.senderState(sender);
    const entry = this.mempool.add(tx, sender, raw, account, this.pendingBaseFee());
    this.signalWork();
    return entry.hash;
  }

  pendingTransaction(hash: string): PoolTransaction | undefined {
    return this.mempool.get(hash);
  }

  get mempoolSize(): number {
    return this.mempool.size;
  }

  /** Base fee the next block will have. */
  pendingBaseFee(): bigint {
    const h = this.head.header;
    return nextBaseFeePerGas({ baseFeePerGas: h.baseFeePerGas ?? 0n, gasUsed: h.gasUsed, gasLimit: h.gasLimit }, this.config.baseFee);
  }

  // ---------------------------------------------------------------- mint (deposits)

  /**
   * Queues the EIP-4895 credit of a confirmed deposit for the next block. Idempotent per deposit id: a deposit
   * that is already minted (in the store) or already queued is not credited again, whatever the delivery count
   * or restarts in between. The same id with another amount or recipient is refused with MintError.
   */
  async queueMint(request: MintRequest): Promise<MintOutcome> {
    const checked = checkMintRequest(request);
    const existing = await this.store.getMint(checked.depositId);
    if (existing !== undefined) {
      assertSameMint(existing, checked);
      return { status: 'already-minted', record: existing };
    }
    const status = this.mintQueue.has(checked.depositId) ? 'already-queued' : 'queued';
    const committed = this.mintQueue.enqueue(checked);
    this.signalWork();
    return { status, committed };
  }

  /**
   * Queues many credits for the next block at once, with queueMint's rules for each: one store read for all, then
   * all are queued before the block loop is woken, so they land in the same block (up to MAX_MINTS_PER_BLOCK).
   * One result per request, in order; a request that cannot be minted gets its MintError instead of failing the rest.
   */
  async queueMints(requests: readonly MintRequest[]): Promise<Array<MintOutcome | MintError>> {
    const checked = requests.map((r) => {
      try {
        return checkMintRequest(r);
      } catch (err) {
        if (err instanceof MintError) return err;
        throw err;
      }
    });
    const minted = await this.store.getMints(checked.flatMap((c) => (c instanceof MintError ? [] : [c.depositId])));
    const out = checked.map((c): MintOutcome | MintError => {
      if (c instanceof MintError) return c;
      try {
        const existing = minted.get(c.depositId);
        if (existing !== undefined) {
          assertSameMint(existing, c);
          return { status: 'already-minted', record: existing };
        }
        const status = this.mintQueue.has(c.depositId) ? 'already-queued' : 'queued';
        return { status, committed: this.mintQueue.enqueue(c) };
      } catch (err) {
        if (err instanceof MintError) return err;
        throw err;
      }
    });
    this.signalWork();
    return out;
  }

  // ---------------------------------------------------------------- system calls (stake-accounting's decisions)

  /**
   * Queues a system call on the staking contract for the next block (system-calls.ts). Idempotent per decision id:
   * a call whose system transaction the store has is not run again ('already-executed'), a queued one is not queued
   * twice, and the contract's guard is read before it runs. The same id with other arguments is refused.
   */
  async queueSystemCall(call: SystemCall): Promise<SystemCallOutcome> {
    const checked = checkSystemCall(call);
    const entry = { call: checked, ...systemTransaction(checked, this.common) };
    const receipt = await this.store.getReceipt(entry.hash);
    if (receipt !== undefined) return { status: 'already-executed', record: recordFromReceipt(entry, receipt) };
    const status = this.systemCallQueue.has(entry.id) ? 'already-queued' : 'queued';
    const committed = this.systemCallQueue.enqueue(entry);
    this.signalWork();
    return { status, committed };
  }

  get systemCallsQueued(): number {
    return this.systemCallQueue.size;
  }

  getMint(depositId: string): Promise<MintRecord | undefined> {
    return this.store.getMint(depositId);
  }

  /**
   * The Bitcoin block holding a deposit left the best chain. If the deposit was minted, records it durably and
   * emits 'mintReorged' (minted BTC cannot be taken back on L2; operators must act). If it was only queued,
   * the queued mint is cancelled. Returns what happened.
   */
  async recordMintReorg(depositId: string, reason: string, btcBlockHash?: string): Promise<'recorded' | 'cancelled-pending' | 'unknown'> {
    if (typeof depositId !== 'string' || depositId.length === 0) throw new MintError('depositId must be a non-empty string');
    // A block being executed or committed may hold this mint: let it land (or fail) first, so that a mint the store
    // is about to commit is recorded as reorged rather than cancelled in the queue.
    while (this.sequencer.holdsMint(depositId) && !this.closed) await this.produceBlock().catch(() => undefined);
    const mint = await this.store.getMint(depositId);
    if (mint === undefined) {
      return this.mintQueue.cancel(depositId, new MintError(`deposit ${depositId} was reorged out before it was minted: ${reason}`))
        ? 'cancelled-pending'
        : 'unknown';
    }
    const record = await this.store.recordMintReorg({
      depositId, mint, reason, recordedAt: new Date(this.now()), ...(btcBlockHash !== undefined ? { btcBlockHash } : {}),
    });
    this.emit('mintReorged', record);
    return 'recorded';
  }

  /**
   * A minted deposit was confirmed (again) in `btcBlockHash`. If it was marked reorged, it is backed again: the reorg
   * record moves into its history with this re-confirmation, and 'mintReconfirmed' is emitted. Otherwise nothing
   * changes ('backed'); 'unknown' when the deposit was never minted.
   */
  async recordMintReconfirmation(depositId: string, btcBlockHash: string, detail: string): Promise<'reconfirmed' | 'backed' | 'unknown'> {
    if ((await this.store.getMint(depositId)) === undefined) return 'unknown';
    const reconfirmation: MintReconfirmation = { depositId, btcBlockHash, detail, recordedAt: new Date(this.now()) };
    if (!(await this.store.recordMintReconfirmation(reconfirmation))) return 'backed';
    this.emit('mintReconfirmed', reconfirmation);
    return 'reconfirmed';
  }

  /** Every reorg and re-confirmation of a minted deposit, oldest first. */
  getMintBackingHistory(depositId: string): Promise<MintBackingEntry[]> {
    return this.store.mintBackingHistory(depositId);
  }

  // ---------------------------------------------------------------- burn (withdrawals)

  /** WithdrawalRequested events of the bridge in blocks [fromBlock, toBlock], in order. */
  async withdrawalRequests(fromBlock: bigint, toBlock: bigint): Promise<WithdrawalRequest[]> {
    const logs = await this.store.getLogs({ fromBlock, toBlock, addresses: [BRIDGE_ADDRESS.toLowerCase()] });
    return decodeWithdrawalRequests(logs);
  }

  /**
   * Withdrawal requests in final blocks (finality.ts: head − depth and older), from `fromBlock` on: what the gateway
   * publishes as final. Depth 0 means "committed".
   */
  async finalizedWithdrawals(depth: bigint, fromBlock = 0n): Promise<WithdrawalRequest[]> {
    const last = finalizedBlockNumber(this.headNumber, depth);
    if (last < fromBlock) return [];
    return this.withdrawalRequests(fromBlock, last);
  }

  // ---------------------------------------------------------------- reads

  get head(): Block {
    return this.sequencer.head;
  }

  get headNumber(): bigint {
    return this.sequencer.head.header.number;
  }

  async getBlockByNumber(number: bigint): Promise<Block | undefined> {
    if (number === this.headNumber) return this.head;
    if (number < 0n || number > this.headNumber) return undefined;
    const stored = await this.store.getBlockByNumber(number);
    return stored === undefined ? undefined : this.decodeBlock(stored.hash, stored.rlp);
  }

  async getBlockByHash(hash: string): Promise<Block | undefined> {
    const h = hash.toLowerCase();
    const cached = this.blockCache.get(h);
    if (cached !== undefined) return cached;
    const stored = await this.store.getBlockByHash(h);
    return stored === undefined ? undefined : this.decodeBlock(stored.hash, stored.rlp);
  }

  getTransaction(hash: string): Promise<StoredTransaction | undefined> {
    return this.store.getTransaction(hash.toLowerCase());
  }

  getReceipt(hash: string): Promise<StoredReceipt | undefined> {
    return this.store.getReceipt(hash.toLowerCase());
  }

  getBlockReceipts(number: bigint): Promise<StoredReceipt[]> {
    return this.store.getBlockReceipts(number);
  }

  getLogs(filter: LogFilter): Promise<StoredLog[]> {
    return this.store.getLogs(filter);
  }

  decodeTransaction(raw: Uint8Array): TypedTransaction {
    return createTxFromRLP(raw, { common: this.common });
  }

  async getBalance(address: string, blockNumber?: bigint): Promise<bigint> {
    return (await this.accountAt(address, blockNumber))?.balance ?? 0n;
  }

  async getNonce(address: string, blockNumber?: bigint): Promise<bigint> {
    return (await this.accountAt(address, blockNumber))?.nonce ?? 0n;
  }

  /** An account at a block; at the head (the usual case) from the flat cache. */
  private async accountAt(address: string, blockNumber: bigint | undefined): Promise<Account | undefined> {
    const addr = createAddressFromString(address);
    if (blockNumber === undefined || blockNumber === this.headNumber) return this.headAccount(addr);
    return (await this.stateFor(blockNumber)).getAccount(addr);
  }

  private headAccount(address: Address): Promise<Account | undefined> {
    return this.flat.get(address, (a) => this.headState.getAccount(a));
  }

  /** Nonce for the next transaction, counting the sender's gap-free pending ones. */
  async getPendingNonce(address: string): Promise<bigint> {
    const addr = createAddressFromString(address).toString();
    return this.mempool.pendingNonce(addr, await this.getNonce(addr));
  }

  async getCode(address: string, blockNumber?: bigint): Promise<Uint8Array> {
    return (await this.stateFor(blockNumber)).getCode(createAddressFromString(address));
  }

  async getStorageAt(address: string, slot: Uint8Array, blockNumber?: bigint): Promise<Uint8Array> {
    const state = await this.stateFor(blockNumber);
    const addr = createAddressFromString(address);
    if ((await state.getAccount(addr)) === undefined) return new Uint8Array(32);
    return setLengthLeft(await state.getStorage(addr, setLengthLeft(slot, 32)), 32);
  }

  /** eth_call: runs a message call against the state after `blockNumber` (default head) and discards its effects. */
  async call(request: CallRequest, blockNumber?: bigint): Promise<CallResult> {
    return this.calls.call(request, await this.callTarget(blockNumber));
  }

  /** eth_estimateGas: lowest gas limit that succeeds; ExecutionFailedError if none up to the cap does. */
  async estimateGas(request: CallRequest, blockNumber?: bigint): Promise<bigint> {
    return this.calls.estimateGas(request, await this.callTarget(blockNumber));
  }

  /** Starts the call workers now, so the first eth_call does not wait for one to load. */
  warmUpCalls(): Promise<void> {
    return this.calls.warmUp();
  }

  /** Resolves once the call workers and the sender-recovery worker have loaded (they start with the engine). */
  async warmUp(): Promise<void> {
    await Promise.all([this.calls.warmUp(), this.recovery.started]);
  }

  private async callTarget(blockNumber: bigint | undefined): Promise<CallTarget> {
    const block = blockNumber === undefined ? this.head : await this.getBlockByNumber(blockNumber);
    if (block === undefined) throw new EvmEngineError('block not found');
    return callTargetOf(block);
  }

  getMintReorgs(): Promise<MintReorgRecord[]> {
    return this.store.listMintReorgs();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    await this.producing;
    this.closed = true;
    // A block executed ahead but never committed: nothing of it was acknowledged, so it is simply dropped.
    if (this.prepared !== undefined) {
      const prepared = this.prepared;
      this.prepared = undefined;
      await prepared;
      await this.sequencer.rollback();
    }
    await this.calls.close();
    await this.recovery.close();
    this.mintQueue.rejectAll(new EvmEngineError('engine closed before the mint was committed'));
    this.systemCallQueue.rejectAll(new EvmEngineError('engine closed before the system call was committed'));
  }

  // ---------------------------------------------------------------- internals

  private async senderState(sender: string): Promise<SenderState> {
    const account = await this.headAccount(createAddressFromString(sender));
    return { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n, hasCode: account?.isContract() === true };
  }

  private async stateFor(blockNumber: bigint | undefined): Promise<MerkleStateManager> {
    if (blockNumber === undefined || blockNumber === this.headNumber) return this.headState;
    const block = await this.getBlockByNumber(blockNumber);
    if (block === undefined) throw new EvmEngineError(`block ${blockNumber} not found`);
    const key = toHex(block.header.stateRoot);
    let state = this.historicalStates.get(key);
    if (state === undefined) {
      state = this.stateAt(block.header.stateRoot);
      if (this.historicalStates.size >= 16) this.historicalStates.delete(this.historicalStates.keys().next().value!);
      this.historicalStates.set(key, state);
    }
    return state;
  }

  /** A read-only view of the state at `root`; cheap (tries share the node store), so one per head. */
  private stateAt(root: Uint8Array): MerkleStateManager {
    const trie = new MerklePatriciaTrie({ db: this.trieDb, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common: this.common, root });
    // Never written, so its caches only ever hold this root's accounts, code and storage: hot reads skip the trie walk.
    return new MerkleStateManager({ common: this.common, trie, caches: new Caches() });
  }

  private decodeBlock(hash: string, rlp: Uint8Array): Block {
    const cached = this.blockCache.get(hash);
    if (cached !== undefined) return cached;
    const block = createBlockFromRLP(rlp, { common: this.common });
    this.rememberBlock(block);
    return block;
  }

  private rememberBlock(block: Block): void {
    if (this.blockCache.size >= 256) this.blockCache.delete(this.blockCache.keys().next().value!);
    this.blockCache.set(toHex(block.hash()), block);
  }
}

async function loadHead(store: ChainStore, head: ChainHead, common: Common): Promise<Block> {
  const stored = await store.getBlockByNumber(head.number);
  if (stored === undefined || stored.hash !== head.hash) throw new ChainStoreError(`head block ${head.number} (${head.hash}) is missing from the store`);
  const block = createBlockFromRLP(stored.rlp, { common });
  if (toHex(block.hash()) !== head.hash) throw new ChainStoreError(`stored block ${head.number} does not hash to ${head.hash}`);
  if (toHex(block.header.stateRoot) !== head.stateRoot) throw new ChainStoreError(`head state root ${head.stateRoot} disagrees with block ${head.number}`);
  return block;
}

