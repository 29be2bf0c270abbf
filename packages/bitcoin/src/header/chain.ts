// HeaderChain: a tree of validated headers with forks, the best chain by most cumulative work, and bounded
// memory. The light-client core of the header watcher and of every signer's own view of Bitcoin.
import { EncodingError, bytesToHex, equalBytes, hashToHex, hexToBytes } from '../bytes.js';
import { HEADER_SIZE, decodeHeader, headerHash, type BlockHeader } from './codec.js';
import type { Checkpoint } from './checkpoint.js';
import { resolveCheckpoint } from './checkpoint.js';
import { bitsToHex } from './compact.js';
import { CheckpointError, HeaderRuleError } from './errors.js';
import type { HeaderEntry } from './entry.js';
import { MEDIAN_TIME_SPAN } from './mtp.js';
import { networkParams, type NetworkName, type NetworkParams } from './networks.js';
import { ProofOfWorkChecker } from './pow.js';
import { childDifficultyContext, type DifficultyContext } from './retarget.js';
import { systemNow } from './timestamp.js';
import { checkHeaderRules } from './validate.js';
import { BlockWorkCache } from './work.js';

export type AddStatus = 'connected' | 'reorg' | 'side-branch' | 'duplicate';

export interface AddResult {
  status: AddStatus;
  /** The entry for the header just added (or the existing one for a duplicate). */
  entry: HeaderEntry;
  /** Best-chain entries that left the best chain, tip first. */
  disconnected: readonly HeaderEntry[];
  /** Entries that joined the best chain, in ascending height. */
  connected: readonly HeaderEntry[];
}

export interface HeaderChainOptions {
  /** Start here instead of at genesis. */
  checkpoint?: Checkpoint;
  /**
   * How many blocks below the tip are kept (default 10,000, at least 1). Older best-chain entries and side
   * branches forking below that depth are dropped (in batches, so up to retainDepth + retainDepth/8 are held).
   * A reorg deeper than this cannot be followed, and headers below it are no longer found.
   */
  retainDepth?: number;
  /** Clock in seconds since the epoch, for the future-time rule; injectable for tests and replays. */
  now?: () => number;
}

/** A tree node: the public entry plus what the rules carry forward from it. */
class Node implements HeaderEntry, DifficultyContext {
  parent: Node | undefined;
  /** Only on a node whose parent is not retained (genesis, checkpoint, prune root): ancestors' times, nearest first. */
  ancestorTimes: number[] | undefined;
  readonly height: number;
  readonly time: number;
  readonly bits: number;
  readonly epochStartTime: number;
  readonly epochStartBits: number;
  readonly lastNonMinDifficultyBits: number;

  constructor(
    readonly hash: string,
    readonly hashBytes: Uint8Array,
    readonly header: BlockHeader,
    readonly raw: Uint8Array,
    readonly chainwork: bigint,
    parent: Node | undefined,
    difficulty: DifficultyContext,
  ) {
    this.parent = parent;
    this.height = difficulty.height;
    this.time = difficulty.time;
    this.bits = difficulty.bits;
    this.epochStartTime = difficulty.epochStartTime;
    this.epochStartBits = difficulty.epochStartBits;
    this.lastNonMinDifficultyBits = difficulty.lastNonMinDifficultyBits;
  }
}

const DEFAULT_RETAIN_DEPTH = 10_000;
const NONE: readonly HeaderEntry[] = Object.freeze([]);

/**
 * Copies of raw headers packed into shared 80 KiB slabs: one small view per header instead of one
 * ArrayBuffer each, which is what made garbage collection dominate a sync. A slab is freed once no
 * retained entry points into it.
 */
class RawHeaderStore {
  private slab = new Uint8Array(0);
  private offset = 0;

  copy(raw: Uint8Array): Uint8Array {
    if (this.offset + HEADER_SIZE > this.slab.length) {
      this.slab = new Uint8Array(HEADER_SIZE * 1024);
      this.offset = 0;
    }
    const out = this.slab.subarray(this.offset, this.offset + HEADER_SIZE);
    out.set(raw);
    this.offset += HEADER_SIZE;
    return out;
  }

  /** Give back the last copy (its header was rejected), so rejected headers cost no memory. */
  unwindLast(): void {
    this.offset -= HEADER_SIZE;
  }
}

export class HeaderChain {
  readonly params: NetworkParams;
  private readonly retainDepth: number;
  private readonly pruneSlack: number;
  private readonly now: () => number;
  private readonly pow: ProofOfWorkChecker;
  private readonly work = new BlockWorkCache();
  private readonly byHash = new Map<string, Node>();
  /** Best chain from `best[0]` (the oldest retained, the root) to the tip. */
  private best: Node[] = [];
  private readonly leaves = new Set<Node>();
  private readonly mtpScratch: number[] = new Array<number>(MEDIAN_TIME_SPAN).fill(0);
  private readonly rawStore = new RawHeaderStore();
  private readonly hexScratch = Buffer.alloc(32);

  constructor(network: NetworkParams | NetworkName, options: HeaderChainOptions = {}) {
    this.params = typeof network === 'string' ? networkParams(network) : network;
    const depth = options.retainDepth ?? DEFAULT_RETAIN_DEPTH;
    if (!Number.isSafeInteger(depth) || depth < 1)
      throw new RangeError(`retainDepth must be a positive integer, got ${depth}`);
    this.retainDepth = depth;
    this.pruneSlack = Math.max(16, Math.floor(depth / 8));
    this.now = options.now ?? systemNow;
    this.pow = new ProofOfWorkChecker(this.params);
    this.setRoot(options.checkpoint ? this.checkpointNode(options.checkpoint) : this.genesisNode());
  }

  private genesisNode(): Node {
    const raw = hexToBytes(this.params.genesisHeader, HEADER_SIZE);
    const hash = headerHash(raw);
    if (hashToHex(hash) !== this.params.genesisHash)
      throw new CheckpointError(
        `${this.params.name} genesis header does not hash to ${this.params.genesisHash}`,
      );
    const header = decodeHeader(raw);
    const difficulty = childDifficultyContext(0, header.time, header.bits, undefined, this.params);
    const node = new Node(
      this.params.genesisHash,
      hash,
      header,
      raw,
      this.work.get(header.bits),
      undefined,
      difficulty,
    );
    node.ancestorTimes = [];
    return node;
  }

  private checkpointNode(checkpoint: Checkpoint): Node {
    const c = resolveCheckpoint(checkpoint, this.params);
    const node = new Node(
      hashToHex(c.hash),
      c.hash,
      decodeHeader(c.raw),
      c.raw,
      c.chainwork,
      undefined,
      c.difficulty,
    );
    node.ancestorTimes = c.ancestorTimes;
    return node;
  }

  private setRoot(node: Node): void {
    this.byHash.set(node.hash, node);
    this.best = [node];
    this.leaves.add(node);
  }

  /** The best tip: most cumulative work, the first seen among equals. */
  get tip(): HeaderEntry {
    return this.best[this.best.length - 1]!;
  }

  get height(): number {
    return this.tipNode.height;
  }

  /** The oldest retained best-chain entry (genesis, the checkpoint, or the prune horizon). */
  get root(): HeaderEntry {
    return this.best[0]!;
  }

  /** Number of entries held, all branches. */
  get size(): number {
    return this.byHash.size;
  }

  private get tipNode(): Node {
    return this.best[this.best.length - 1]!;
  }

  get(hash: string): HeaderEntry | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  /** The best-chain entry at `height`, if retained. */
  atHeight(height: number): HeaderEntry | undefined {
    if (!Number.isSafeInteger(height)) throw new RangeError(`height must be an integer, got ${height}`);
    return this.best[height - this.best[0]!.height];
  }

  isOnBestChain(hash: string): boolean {
    const node = this.byHash.get(hash.toLowerCase());
    return node !== undefined && this.best[node.height - this.best[0]!.height] === node;
  }

  /** Tips of all retained branches (leaves of the tree), the best tip first. */
  tips(): HeaderEntry[] {
    const tip = this.tipNode;
    return [tip, ...[...this.leaves].filter((n) => n !== tip)];
  }

  /**
   * A block locator for getheaders, as Core's LocatorEntries: best-chain hashes from the tip back, one by one
   * for 11 entries, then at doubling steps, always ending with the root (genesis unless pruned/checkpointed).
   */
  locator(): string[] {
    const out: string[] = [];
    let step = 1;
    for (let i = this.best.length - 1; ;) {
      out.push(this.best[i]!.hash);
      if (i === 0) break;
      i = Math.max(i - step, 0);
      if (out.length > 10) step *= 2;
    }
    return out;
  }

  /** Median time past of a retained entry (the best tip by default): its child's time must exceed it. */
  medianTimePast(hash: string = this.tipNode.hash): number {
    const node = this.byHash.get(hash.toLowerCase());
    if (!node) throw new RangeError(`unknown header ${hash}`);
    return this.medianTimePastOf(node);
  }

  /**
   * Validate a raw 80-byte header and add it. Throws HeaderRuleError (and leaves the chain untouched) when it
   * breaks a rule or its parent is unknown; EncodingError when it is not 80 bytes.
   */
  add(raw: Uint8Array): AddResult {
    if (!(raw instanceof Uint8Array) || raw.length !== HEADER_SIZE)
      throw new EncodingError(
        `a block header is ${HEADER_SIZE} bytes, got ${raw instanceof Uint8Array ? raw.length : typeof raw}`,
      );
    const hashBytes = headerHash(raw);
    const hash = this.displayHex(hashBytes);
    const known = this.byHash.get(hash);
    if (known) return { status: 'duplicate', entry: known, disconnected: NONE, connected: NONE };

    // Keep our own copy (the caller may reuse its buffer); the decoded hashes are views into it.
    const own = this.rawStore.copy(raw);
    const header = decodeHeader(own);
    const tip = this.tipNode;
    // The parent is nearly always the tip; skip the map lookup then.
    const parent = equalBytes(header.prevHash, tip.hashBytes)
      ? tip
      : this.byHash.get(this.displayHex(header.prevHash));
    const pow = this.pow.check(hashBytes, header.bits);
    if (!parent) {
      this.rawStore.unwindLast();
      // Core checks proof of work before looking for the parent, so a junk header reports that first.
      if (pow)
        throw new HeaderRuleError(
          pow,
          undefined,
          hash,
          `proof of work fails for bits ${bitsToHex(header.bits)}`,
        );
      throw new HeaderRuleError(
        'prev-blk-not-found',
        undefined,
        hash,
        `previous block ${hashToHex(header.prevHash)} is unknown`,
      );
    }
    try {
      checkHeaderRules(
        header,
        hashBytes,
        pow,
        parent,
        parent.hashBytes,
        this.medianTimePastOf(parent),
        this.now(),
        this.params,
      );
    } catch (e) {
      this.rawStore.unwindLast();
      throw e;
    }

    const difficulty = childDifficultyContext(
      parent.height + 1,
      header.time,
      header.bits,
      parent,
      this.params,
    );
    const chainwork = parent.chainwork + this.work.get(header.bits);
    const node = new Node(hash, hashBytes, header, own, chainwork, parent, difficulty);
    this.byHash.set(hash, node);
    this.leaves.delete(parent);
    this.leaves.add(node);

    let result: AddResult;
    if (node.chainwork <= tip.chainwork) {
      result = { status: 'side-branch', entry: node, disconnected: NONE, connected: NONE };
    } else if (parent === tip) {
      this.best.push(node);
      result = { status: 'connected', entry: node, disconnected: NONE, connected: [node] };
    } else {
      result = this.reorganize(node);
    }
    if (this.tipNode.height - this.best[0]!.height > this.retainDepth + this.pruneSlack) this.prune();
    return result;
  }

  /** Make `node` (more work than the tip, not extending it) the best tip. */
  private reorganize(node: Node): AddResult {
    const base = this.best[0]!.height;
    const connected: Node[] = [];
    let n: Node | undefined = node;
    while (n && this.best[n.height - base] !== n) {
      connected.push(n);
      n = n.parent;
    }
    // Every retained node descends from the root, so the walk always meets the best chain.
    const fork = n!;
    const disconnected = this.best.slice(fork.height - base + 1).reverse();
    connected.reverse();
    this.best.length = fork.height - base + 1;
    for (const c of connected) this.best.push(c);
    return { status: 'reorg', entry: node, disconnected, connected };
  }

  /** Display-order hex of an internal-order hash, through one scratch buffer (hashToHex allocates a copy). */
  private displayHex(hash: Uint8Array): string {
    const out = this.hexScratch;
    for (let i = 0; i < 32; i++) out[i] = hash[31 - i]!;
    return out.toString('hex');
  }

  /** Median time past of `node`: the median of its time and up to 10 ancestors' times. */
  private medianTimePastOf(node: Node): number {
    const times = this.mtpScratch;
    let count = 0;
    let n: Node = node;
    for (;;) {
      times[count++] = n.time;
      if (count === MEDIAN_TIME_SPAN) break;
      if (n.parent) {
        n = n.parent;
        continue;
      }
      for (const t of n.ancestorTimes ?? []) {
        times[count++] = t;
        if (count === MEDIAN_TIME_SPAN) break;
      }
      break;
    }
    // Insertion sort of at most 11 numbers: cheaper than Array.prototype.sort with a comparator.
    for (let i = 1; i < count; i++) {
      const v = times[i]!;
      let j = i - 1;
      while (j >= 0 && times[j]! > v) {
        times[j + 1] = times[j]!;
        j--;
      }
      times[j + 1] = v;
    }
    return times[count >> 1]!;
  }

  /** Times of up to 10 ancestors of `node`, nearest first. */
  private ancestorTimesOf(node: Node): number[] {
    const out: number[] = [];
    let n: Node = node;
    while (out.length < MEDIAN_TIME_SPAN - 1) {
      if (n.parent) {
        n = n.parent;
        out.push(n.time);
      } else {
        for (const t of n.ancestorTimes ?? []) if (out.length < MEDIAN_TIME_SPAN - 1) out.push(t);
        break;
      }
    }
    return out;
  }

  /** Drop best-chain entries more than retainDepth below the tip and branches forking below them. */
  private prune(): void {
    const base = this.best[0]!.height;
    const newRootIndex = this.tipNode.height - this.retainDepth - base;
    if (newRootIndex <= 0) return;
    const newRoot = this.best[newRootIndex]!;
    newRoot.ancestorTimes = this.ancestorTimesOf(newRoot);
    for (let i = 0; i < newRootIndex; i++) {
      const old = this.best[i]!;
      this.byHash.delete(old.hash);
      this.leaves.delete(old);
    }
    newRoot.parent = undefined;
    this.best = this.best.slice(newRootIndex);

    // Side branches: keep a leaf's branch only if it joins the best chain at or above the new root.
    for (const leaf of [...this.leaves]) {
      const branch: Node[] = [];
      let n: Node | undefined = leaf;
      while (n && !(n.height >= newRoot.height && this.best[n.height - newRoot.height] === n)) {
        branch.push(n);
        n = n.height > newRoot.height ? n.parent : undefined;
      }
      if (n) continue;
      this.leaves.delete(leaf);
      for (const b of branch) this.byHash.delete(b.hash);
    }
  }

  /**
   * A checkpoint at a retained best-chain height, with everything needed to restart from it: persist it and
   * the best-chain headers above it, then `new HeaderChain(params, { checkpoint })` and re-add those headers.
   */
  checkpointAt(height: number): Checkpoint {
    const node = this.atHeight(height) as Node | undefined;
    if (!node) throw new RangeError(`height ${height} is not on the retained best chain`);
    return {
      height: node.height,
      hash: node.hash,
      header: bytesToHex(node.raw),
      bits: node.bits,
      time: node.time,
      chainwork: node.chainwork,
      prevTimestamps: this.ancestorTimesOf(node).reverse(),
      epochStart: { time: node.epochStartTime, bits: node.epochStartBits },
      lastNonMinDifficultyBits: node.lastNonMinDifficultyBits,
    };
  }
}
