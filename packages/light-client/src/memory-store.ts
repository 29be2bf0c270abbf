// A HeaderStore in memory, for tests and tools: the same contract as the Postgres one, including atomicity
// (an update that fails a check changes nothing) and the best-chain uniqueness per height.
import { checkpointToJson, parseCheckpoint, type Checkpoint } from '@tapbridge/bitcoin';
import type { HeaderEvent } from './events.js';
import type { ChainUpdate, HeaderStore, StoredChain } from './store.js';

export interface StoredHeader {
  hash: string;
  height: number;
  raw: Uint8Array;
  inBest: boolean;
}

export class InMemoryHeaderStore implements HeaderStore {
  readonly headers = new Map<string, StoredHeader>();
  /** The outbox: every event applied, in order, once per id. */
  readonly events: HeaderEvent[] = [];
  private readonly eventIds = new Set<string>();
  private origin: { height: number; hash: string } | undefined;
  private root: Checkpoint | undefined;
  /** Test hook: runs before an update is applied; throwing from it simulates a failed transaction. */
  beforeApply: ((update: ChainUpdate) => void) | undefined;

  async load(): Promise<StoredChain | undefined> {
    if (!this.origin || !this.root) return undefined;
    const rootHeight = this.root.height;
    const above = [...this.headers.values()].filter((h) => h.height > rootHeight).sort((a, b) => a.height - b.height);
    return {
      origin: this.origin,
      root: parseCheckpoint(checkpointToJson(this.root)),
      best: above.filter((h) => h.inBest).map((h) => h.raw),
      side: above.filter((h) => !h.inBest).map((h) => h.raw),
    };
  }

  async apply(update: ChainUpdate): Promise<void> {
    this.beforeApply?.(update);
    // Check everything before changing anything, so a bad update leaves the store as it was.
    for (const hash of [...update.leftBest, ...update.joinedBest])
      if (!this.headers.has(hash)) throw new Error(`update flips unknown header ${hash}`);
    const bestAt = new Map<number, string>();
    for (const h of this.headers.values()) if (h.inBest) bestAt.set(h.height, h.hash);
    for (const hash of update.leftBest) bestAt.delete(this.headers.get(hash)!.height);
    const claim = (height: number, hash: string) => {
      const holder = bestAt.get(height);
      if (holder !== undefined && holder !== hash) throw new Error(`two best-chain headers at height ${height}: ${holder} and ${hash}`);
      bestAt.set(height, hash);
    };
    for (const { entry, inBest } of update.inserted) if (inBest) claim(entry.height, entry.hash);
    for (const hash of update.joinedBest) claim(this.headers.get(hash)!.height, hash);

    for (const hash of update.leftBest) this.headers.get(hash)!.inBest = false;
    for (const { entry, inBest } of update.inserted)
      if (!this.headers.has(entry.hash)) this.headers.set(entry.hash, { hash: entry.hash, height: entry.height, raw: entry.raw.slice(), inBest });
    for (const hash of update.joinedBest) this.headers.get(hash)!.inBest = true;
    for (const e of update.events)
      if (!this.eventIds.has(e.id)) {
        this.eventIds.add(e.id);
        this.events.push(e);
      }
    if (update.origin && !this.origin) this.origin = update.origin;
    if (update.root) this.root = update.root;
  }

  /** Best-chain hashes by height, ascending. */
  bestChain(): string[] {
    return [...this.headers.values()].filter((h) => h.inBest).sort((a, b) => a.height - b.height).map((h) => h.hash);
  }
}
