import type { BatchDBOp, DB } from '@ethereumjs/util';
import type { ChainStore } from './store/chain-store.js';

type Key = string | Uint8Array | number;

function keyHex(key: Key): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return key.toString(16);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

/**
 * The state trie's key-value store, as @ethereumjs/mpt sees it.
 *
 * Writes made while a block executes are staged in memory and only reach the ChainStore inside that block's
 * atomic commit, so a crash mid-block leaves the store exactly at the previous head. Reads look at the staged
 * writes, then the sealed layers, then a bounded cache of committed nodes, then the store. Nodes are
 * content-addressed and never deleted (older roots keep serving historical reads), so `del` is ignored.
 *
 * Sealed layers: the writes of blocks that finished executing but whose commit is still in flight. The next block
 * executes on top of them (pipelining) while they are written; they become cached nodes once committed, in order.
 */
export class StagedTrieDB implements DB<string, Uint8Array> {
  private staged = new Map<string, Uint8Array>();
  /** Oldest first: committed (and promoted) in this order. */
  private sealed: Map<string, Uint8Array>[] = [];
  private readonly cache = new Map<string, Uint8Array>();

  constructor(
    private readonly store: ChainStore,
    private readonly cacheLimit = 500_000,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const k = keyHex(key);
    const value = this.staged.get(k) ?? this.sealedGet(k) ?? this.cache.get(k);
    if (value !== undefined) return value;
    const stored = await this.store.trieGet(k);
    if (stored !== undefined) this.remember(k, stored);
    return stored;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.staged.set(keyHex(key), value);
  }

  async del(_key: string): Promise<void> {}

  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.staged.set(keyHex(op.key), op.value);
  }

  /** Shares staging and cache: storage tries and code are shallow copies of the account trie's DB. */
  shallowCopy(): DB<string, Uint8Array> {
    return this;
  }

  async open(): Promise<void> {}

  /** The writes of the block being built, to go into its commit. */
  stagedWrites(): Map<string, Uint8Array> {
    return this.staged;
  }

  /** After the store committed them, staged writes become ordinary cached nodes. */
  promoteStaged(): void {
    for (const [k, v] of this.staged) this.remember(k, v);
    this.staged = new Map();
  }

  /** After a failed block, forget what it wrote; its parent's nodes are in the sealed layers or the store. */
  discardStaged(): void {
    this.staged = new Map();
  }

  /** The block being built has executed: its writes become a sealed layer (still read), returned for its commit. */
  sealStaged(): Map<string, Uint8Array> {
    const layer = this.staged;
    this.sealed.push(layer);
    this.staged = new Map();
    return layer;
  }

  /** The oldest sealed layer's block committed: its nodes become ordinary cached nodes. */
  promoteSealed(layer: Map<string, Uint8Array>): void {
    const i = this.sealed.indexOf(layer);
    if (i < 0) return;
    this.sealed.splice(i, 1);
    for (const [k, v] of layer) this.remember(k, v);
  }

  /** A commit failed: every block after the committed head is dropped, with its writes. */
  discardAll(): void {
    this.staged = new Map();
    this.sealed = [];
  }

  /** Blocks executed but not yet committed. */
  get sealedCount(): number {
    return this.sealed.length;
  }

  private sealedGet(k: string): Uint8Array | undefined {
    for (let i = this.sealed.length - 1; i >= 0; i--) {
      const v = this.sealed[i]!.get(k);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  private remember(k: string, v: Uint8Array): void {
    if (this.cache.size >= this.cacheLimit) {
      // Drop the oldest insertion: cheap, and hot nodes (near the root) are re-read and re-inserted quickly.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(k, v);
  }
}
