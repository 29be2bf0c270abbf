// The storage interface of the sync loop: the Postgres store in apps/header-watcher and the in-memory one here.
import type { Checkpoint, HeaderEntry } from '@tapbridge/bitcoin';
import type { HeaderEvent } from './events.js';

/** What a store holds, enough to rebuild the in-memory HeaderChain after a restart. */
export interface StoredChain {
  /** Where this store's sync started (the configured checkpoint, or genesis at height 0). */
  origin: { height: number; hash: string };
  /** The oldest best-chain header the rebuilt chain starts from (advances as old headers are pruned from memory). */
  root: Checkpoint;
  /** Raw best-chain headers above the root, ascending height. */
  best: readonly Uint8Array[];
  /** Raw headers off the best chain above the root, ascending height (parents before children). */
  side: readonly Uint8Array[];
}

export interface InsertedHeader {
  entry: HeaderEntry;
  /** Whether it is on the best chain once the whole update is applied. */
  inBest: boolean;
}

/**
 * One atomic step of the chain: new headers, best-chain flags flipped, events to publish. A store applies all of
 * it or none of it (one transaction), in this order: clear `leftBest`, insert `inserted`, set `joinedBest`, so at
 * no moment two best-chain headers share a height.
 */
export interface ChainUpdate {
  /** Headers new to the store, parents before children. */
  inserted: readonly InsertedHeader[];
  /** Stored headers (from earlier updates) that left the best chain. */
  leftBest: readonly string[];
  /** Stored headers (from earlier updates) that rejoined the best chain. */
  joinedBest: readonly string[];
  /** btc.header.* events in the order consumers must see them. */
  events: readonly HeaderEvent[];
  /** The best tip after the update. */
  tip: HeaderEntry;
  /** A new root checkpoint, when the in-memory chain's root moved (or on the first update). */
  root?: Checkpoint;
  /** Set on the first update of an empty store. */
  origin?: { height: number; hash: string };
}

export interface HeaderStore {
  /** The stored chain, or undefined for an empty store. */
  load(): Promise<StoredChain | undefined>;
  /** Persist an update atomically, events included. */
  apply(update: ChainUpdate): Promise<void>;
}
