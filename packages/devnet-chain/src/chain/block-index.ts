import type { Block } from '../consensus/block.js';
import type { Coin } from './utxo-set.js';

/** Why a block is not a candidate for the best chain (Core's BLOCK_FAILED_VALID / BLOCK_FAILED_CHILD). */
export type BlockFailure = 'none' | 'self' | 'child';

/** One block known to the node, on any branch (Core's CBlockIndex plus the block itself). */
export interface BlockIndexEntry {
  /** Display hex. */
  hash: string;
  height: number;
  block: Block;
  parent: BlockIndexEntry | undefined;
  children: BlockIndexEntry[];
  chainWork: bigint;
  /** Median of this block's and up to 10 ancestors' timestamps (GetMedianTimePast). */
  medianTimePast: number;
  /** Order of arrival: among equal-work tips the first seen wins, as in Core. */
  sequence: number;
  failure: BlockFailure;
  /** Set once the block's transactions have been fully validated (connected at least once). */
  validated: boolean;
  /** Txids in block order, display hex. */
  txids: string[];
  /** Coins the block spent, in spend order, while it is connected (Core's undo data). */
  undo: Array<[string, Coin]> | undefined;
}

export function medianTimePast(parent: BlockIndexEntry | undefined, time: number, span: number): number {
  const times = [time];
  for (let e = parent; e && times.length < span; e = e.parent) times.push(e.block.header.time);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** True when `ancestor` is `entry` or one of its ancestors. */
export function isAncestor(ancestor: BlockIndexEntry, entry: BlockIndexEntry): boolean {
  let e: BlockIndexEntry | undefined = entry;
  while (e && e.height > ancestor.height) e = e.parent;
  return e === ancestor;
}

/** Last common block of two branches (Core's LastCommonAncestor). */
export function lastCommonAncestor(a: BlockIndexEntry, b: BlockIndexEntry): BlockIndexEntry {
  let x: BlockIndexEntry | undefined = a;
  let y: BlockIndexEntry | undefined = b;
  while (x && y && x.height > y.height) x = x.parent;
  while (x && y && y.height > x.height) y = y.parent;
  while (x && y && x !== y) {
    x = x.parent;
    y = y.parent;
  }
  if (!x || x !== y) throw new Error('branches do not share the genesis block');
  return x;
}
