// Folds a run of HeaderChain.add results into one ChainUpdate: the net effect on the store plus every event.
import type { AddResult, Checkpoint, HeaderEntry } from '@tapbridge/bitcoin';
import { eventsOf, type HeaderEvent } from './events.js';
import type { ChainUpdate, InsertedHeader } from './store.js';

export interface ReorgSummary {
  depth: number;
  oldTip: string;
  newTip: string;
  forkHeight: number;
}

export class ChainUpdateBuilder {
  private readonly inserted: HeaderEntry[] = [];
  private readonly insertedHashes = new Set<string>();
  /** Last best-chain flag written for each hash touched by this update. */
  private readonly flags = new Map<string, boolean>();
  private readonly events: HeaderEvent[] = [];
  readonly reorgs: ReorgSummary[] = [];

  constructor(private readonly network: string) {}

  get isEmpty(): boolean {
    return this.inserted.length === 0 && this.events.length === 0;
  }

  /** Count of headers this update adds. */
  get size(): number {
    return this.inserted.length;
  }

  /** The root header of a fresh store: stored on the best chain and announced like any connected header. */
  addRoot(entry: HeaderEntry): void {
    this.insert(entry);
    this.flags.set(entry.hash, true);
    this.events.push(...eventsOf({ status: 'connected', entry, connected: [entry], disconnected: [] }, this.network));
  }

  add(result: AddResult): void {
    if (result.status === 'duplicate') return;
    this.insert(result.entry);
    for (const e of result.disconnected) this.flags.set(e.hash, false);
    for (const e of result.connected) this.flags.set(e.hash, true);
    this.events.push(...eventsOf(result, this.network));
    if (result.status === 'reorg')
      this.reorgs.push({
        depth: result.disconnected.length,
        oldTip: result.disconnected[0]!.hash,
        newTip: result.entry.hash,
        forkHeight: result.connected[0]!.height - 1,
      });
  }

  private insert(entry: HeaderEntry): void {
    this.inserted.push(entry);
    this.insertedHashes.add(entry.hash);
  }

  build(tip: HeaderEntry, extra: { root?: Checkpoint; origin?: { height: number; hash: string } } = {}): ChainUpdate {
    const inserted: InsertedHeader[] = this.inserted.map((entry) => ({ entry, inBest: this.flags.get(entry.hash) ?? false }));
    const leftBest: string[] = [];
    const joinedBest: string[] = [];
    for (const [hash, inBest] of this.flags) {
      if (this.insertedHashes.has(hash)) continue;
      (inBest ? joinedBest : leftBest).push(hash);
    }
    return { inserted, leftBest, joinedBest, events: this.events, tip, ...extra };
  }
}
