import { ChainStoreError } from '../errors.js';
import { logMatches, type BlockCommit, type ChainHead, type ChainStore, type LogFilter, type MintBackingEntry, type MintReconfirmation, type MintReorgRecord, type MintRecord, type StoredBlock, type StoredLog, type StoredReceipt, type StoredTransaction } from './chain-store.js';

/** Everything in process memory: for tests and `tapbridge evm dev`. Lost on exit unless a subclass persists commits. */
export class MemoryChainStore implements ChainStore {
  protected readonly trie = new Map<string, Uint8Array>();
  protected readonly blocksByNumber: StoredBlock[] = [];
  protected readonly blockNumberByHash = new Map<string, bigint>();
  protected readonly transactions = new Map<string, StoredTransaction>();
  protected readonly receipts = new Map<string, StoredReceipt>();
  protected readonly receiptsByBlock: StoredReceipt[][] = [];
  protected readonly mints = new Map<string, MintRecord>();
  protected readonly mintReorgs = new Map<string, MintReorgRecord>();
  protected readonly mintBacking = new Map<string, MintBackingEntry[]>();
  protected head: ChainHead | undefined;
  private closed = false;

  async trieGet(key: string): Promise<Uint8Array | undefined> {
    return this.trie.get(key);
  }

  async getHead(): Promise<ChainHead | undefined> {
    this.assertOpen();
    return this.head;
  }

  async getBlockByNumber(number: bigint): Promise<StoredBlock | undefined> {
    return this.blocksByNumber[Number(number)];
  }

  async getBlockByHash(hash: string): Promise<StoredBlock | undefined> {
    const n = this.blockNumberByHash.get(hash);
    return n === undefined ? undefined : this.blocksByNumber[Number(n)];
  }

  async getTransaction(hash: string): Promise<StoredTransaction | undefined> {
    return this.transactions.get(hash);
  }

  async getReceipt(transactionHash: string): Promise<StoredReceipt | undefined> {
    return this.receipts.get(transactionHash);
  }

  async getBlockReceipts(blockNumber: bigint): Promise<StoredReceipt[]> {
    return this.receiptsByBlock[Number(blockNumber)] ?? [];
  }

  async getLogs(filter: LogFilter): Promise<StoredLog[]> {
    const out: StoredLog[] = [];
    const last = this.head === undefined ? -1n : this.head.number;
    const to = filter.toBlock < last ? filter.toBlock : last;
    for (let n = filter.fromBlock; n <= to; n++) {
      for (const receipt of this.receiptsByBlock[Number(n)] ?? []) {
        for (const log of receipt.logs) {
          if (!logMatches(log, filter)) continue;
          out.push(log);
          if (filter.limit !== undefined && out.length >= filter.limit) return out;
        }
      }
    }
    return out;
  }

  async getMint(depositId: string): Promise<MintRecord | undefined> {
    return this.mints.get(depositId);
  }

  async getMints(depositIds: readonly string[]): Promise<Map<string, MintRecord>> {
    const out = new Map<string, MintRecord>();
    for (const id of depositIds) {
      const m = this.mints.get(id);
      if (m !== undefined) out.set(id, m);
    }
    return out;
  }

  async recordMintReorg(record: MintReorgRecord): Promise<MintReorgRecord> {
    const existing = this.mintReorgs.get(record.depositId);
    if (existing !== undefined) return existing;
    await this.persistMintReorg(record);
    this.applyMintReorg(record);
    return record;
  }

  async listMintReorgs(): Promise<MintReorgRecord[]> {
    return [...this.mintReorgs.values()];
  }

  async recordMintReconfirmation(reconfirmation: MintReconfirmation): Promise<boolean> {
    if (!this.mintReorgs.has(reconfirmation.depositId)) return false;
    await this.persistMintReconfirmation(reconfirmation);
    this.applyMintReconfirmation(reconfirmation);
    return true;
  }

  async mintBackingHistory(depositId: string): Promise<MintBackingEntry[]> {
    return [...(this.mintBacking.get(depositId) ?? [])];
  }

  protected applyMintReorg(record: MintReorgRecord): void {
    this.mintReorgs.set(record.depositId, record);
    this.appendBacking({
      depositId: record.depositId, status: 'reorged', detail: record.reason, recordedAt: record.recordedAt,
      ...(record.btcBlockHash !== undefined ? { btcBlockHash: record.btcBlockHash } : {}),
    });
  }

  protected applyMintReconfirmation(r: MintReconfirmation): void {
    if (!this.mintReorgs.delete(r.depositId)) return;
    this.appendBacking({ depositId: r.depositId, status: 'reconfirmed', btcBlockHash: r.btcBlockHash, detail: r.detail, recordedAt: r.recordedAt });
  }

  private appendBacking(entry: MintBackingEntry): void {
    this.mintBacking.set(entry.depositId, [...(this.mintBacking.get(entry.depositId) ?? []), entry]);
  }

  async commitBlock(commit: BlockCommit): Promise<void> {
    this.assertOpen();
    this.checkCommit(commit);
    await this.persistCommit(commit);
    this.applyCommit(commit);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Validates a commit against the current head before anything is applied, so a bad one changes nothing. */
  protected checkCommit(commit: BlockCommit): void {
    const expected = this.head === undefined ? 0n : this.head.number + 1n;
    if (commit.block.number !== expected) {
      throw new ChainStoreError(`block ${commit.block.number} does not extend head ${this.head?.number ?? 'none'}`);
    }
    for (const mint of commit.mints) {
      if (this.mints.has(mint.depositId)) throw new ChainStoreError(`deposit ${mint.depositId} is already minted`);
    }
  }

  /** Applies a checked commit to memory; synchronous, so no reader sees half of it. */
  protected applyCommit(commit: BlockCommit): void {
    for (const [k, v] of commit.trieNodes) this.trie.set(k, v);
    this.blocksByNumber[Number(commit.block.number)] = commit.block;
    this.blockNumberByHash.set(commit.block.hash, commit.block.number);
    for (const tx of commit.transactions) this.transactions.set(tx.hash, tx);
    for (const r of commit.receipts) this.receipts.set(r.transactionHash, r);
    this.receiptsByBlock[Number(commit.block.number)] = commit.receipts;
    for (const m of commit.mints) this.mints.set(m.depositId, m);
    this.head = {
      number: commit.block.number,
      hash: commit.block.hash,
      stateRoot: commit.stateRoot,
      nextWithdrawalIndex: commit.nextWithdrawalIndex,
    };
  }

  /** Hook for durable subclasses: write the commit before memory changes. */
  protected async persistCommit(_commit: BlockCommit): Promise<void> {}

  protected async persistMintReorg(_record: MintReorgRecord): Promise<void> {}

  protected async persistMintReconfirmation(_reconfirmation: MintReconfirmation): Promise<void> {}

  private assertOpen(): void {
    if (this.closed) throw new ChainStoreError('store is closed');
  }
}
