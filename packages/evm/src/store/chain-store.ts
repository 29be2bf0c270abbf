// The storage contract every engine backend keeps. Hex strings are 0x-prefixed lower case throughout.

/** The committed tip: the engine reopens here after a restart. */
export interface ChainHead {
  number: bigint;
  hash: string;
  stateRoot: string;
  /** EIP-4895 withdrawal index the next mint gets (a global counter, like the beacon chain's). */
  nextWithdrawalIndex: bigint;
}

export interface StoredBlock {
  number: bigint;
  hash: string;
  /** The full block, RLP as on the wire (header, transactions, uncles, withdrawals). */
  rlp: Uint8Array;
}

export interface StoredTransaction {
  hash: string;
  /** The signed transaction as eth_sendRawTransaction received it (EIP-2718 envelope). */
  raw: Uint8Array;
  from: string;
  blockNumber: bigint;
  blockHash: string;
  index: number;
}

export interface StoredLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: bigint;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  /** Position in the block, as eth_getLogs reports it. */
  logIndex: number;
}

export interface StoredReceipt {
  transactionHash: string;
  transactionIndex: number;
  blockHash: string;
  blockNumber: bigint;
  from: string;
  to: string | null;
  contractAddress: string | null;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  status: 0 | 1;
  type: number;
  logsBloom: string;
  logs: StoredLog[];
}

/** One deposit credited on L2: the proof that a deposit id has been minted, and where. */
export interface MintRecord {
  depositId: string;
  recipient: string;
  amountSats: bigint;
  blockNumber: bigint;
  blockHash: string;
  withdrawalIndex: bigint;
}

/** A deposit whose Bitcoin block left the best chain after it was minted: the L2 supply is now unbacked by it. */
export interface MintReorgRecord {
  depositId: string;
  mint: MintRecord;
  /** Free text from whoever noticed (e.g. the orphaned Bitcoin block hash). */
  reason: string;
  recordedAt: Date;
  /** The Bitcoin block that left the best chain (display hex), when known. */
  btcBlockHash?: string;
}

/** A reorged deposit confirmed again on the best chain: it backs its mint again. */
export interface MintReconfirmation {
  depositId: string;
  /** The Bitcoin block now confirming it (display hex). */
  btcBlockHash: string;
  detail: string;
  recordedAt: Date;
}

/** One step of a minted deposit's Bitcoin backing: it left the best chain, or came back. */
export interface MintBackingEntry {
  depositId: string;
  status: 'reorged' | 'reconfirmed';
  btcBlockHash?: string;
  detail: string;
  recordedAt: Date;
}

export interface LogFilter {
  fromBlock: bigint;
  toBlock: bigint;
  /** Any of these addresses; empty or undefined matches all. */
  addresses?: string[];
  /** Per position: null = any, a list = any of them (eth_getLogs semantics). */
  topics?: (string[] | null)[];
  /** Stop after this many matches (the caller turns a hit into a "too many results" error). */
  limit?: number;
}

/** Everything one block changes, written all or nothing. */
export interface BlockCommit {
  block: StoredBlock;
  stateRoot: string;
  transactions: StoredTransaction[];
  receipts: StoredReceipt[];
  mints: MintRecord[];
  /** New state-trie and code entries (hex key without 0x → value); content-addressed, so rewrites are harmless. */
  trieNodes: Map<string, Uint8Array>;
  nextWithdrawalIndex: bigint;
}

export interface ChainStore {
  /** A trie node or contract code by its key (hex without 0x, as @ethereumjs/mpt names them). */
  trieGet(key: string): Promise<Uint8Array | undefined>;
  getHead(): Promise<ChainHead | undefined>;
  getBlockByNumber(number: bigint): Promise<StoredBlock | undefined>;
  getBlockByHash(hash: string): Promise<StoredBlock | undefined>;
  getTransaction(hash: string): Promise<StoredTransaction | undefined>;
  getReceipt(transactionHash: string): Promise<StoredReceipt | undefined>;
  getBlockReceipts(blockNumber: bigint): Promise<StoredReceipt[]>;
  getLogs(filter: LogFilter): Promise<StoredLog[]>;
  getMint(depositId: string): Promise<MintRecord | undefined>;
  /** The mints of these deposit ids that exist, by id (one read for a whole batch of deposits). */
  getMints(depositIds: readonly string[]): Promise<Map<string, MintRecord>>;
  /**
   * Marks a minted deposit unbacked and appends 'reorged' to its history. Idempotent while it stays unbacked: a
   * second record for the same deposit id is ignored and the first returned.
   */
  recordMintReorg(record: MintReorgRecord): Promise<MintReorgRecord>;
  /** Minted deposits that are unbacked now (reorged, not re-confirmed since). */
  listMintReorgs(): Promise<MintReorgRecord[]>;
  /**
   * A reorged deposit is backed again: its reorg record goes (into the history, with a 'reconfirmed' entry).
   * Returns false, changing nothing, when the deposit was not marked reorged.
   */
  recordMintReconfirmation(reconfirmation: MintReconfirmation): Promise<boolean>;
  /** Every reorg and re-confirmation of a minted deposit, oldest first. */
  mintBackingHistory(depositId: string): Promise<MintBackingEntry[]>;
  /**
   * Atomically appends a block: trie nodes, block, transactions, receipts, logs, mint records and the head
   * pointer. The block's parent must be the current head (or none, for genesis); otherwise nothing is written.
   */
  commitBlock(commit: BlockCommit): Promise<void>;
  close(): Promise<void>;
}

/** eth_getLogs matching, shared by the in-memory backends so they agree with the SQL one. */
export function logMatches(log: StoredLog, filter: LogFilter): boolean {
  if (log.blockNumber < filter.fromBlock || log.blockNumber > filter.toBlock) return false;
  if (filter.addresses !== undefined && filter.addresses.length > 0 && !filter.addresses.includes(log.address)) return false;
  const topics = filter.topics ?? [];
  for (let i = 0; i < topics.length; i++) {
    const wanted = topics[i];
    if (wanted === null || wanted === undefined || wanted.length === 0) continue;
    const actual = log.topics[i];
    if (actual === undefined || !wanted.includes(actual)) return false;
  }
  return true;
}
