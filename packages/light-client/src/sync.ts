// The light-client loop: catch up from one or more sources in batches, then follow their tips by polling. Every
// header goes through our own HeaderChain; a source's answer is data, not truth. Each batch is stored with its
// events in one atomic store update, so a crash at any point resumes from a consistent state.
import {
  HeaderChain, HeaderRuleError, headerHashHex, networkParams,
  type Checkpoint, type HeaderEntry, type NetworkName, type NetworkParams,
} from '@tapbridge/bitcoin';
import { HeaderStoreMismatchError, SourceDataError, type RejectionRule } from './errors.js';
import { blockHashAt, fetchHeaderRange } from './fetch.js';
import type { HeaderSource, SourceTip } from './source.js';
import { DEFAULT_BACKOFF, SourceState, type BackoffPolicy, type SourceStatus } from './source-state.js';
import type { ChainUpdate, HeaderStore, StoredChain } from './store.js';
import { ChainUpdateBuilder, type ReorgSummary } from './update.js';

/** The logging surface the loop needs (a pino logger fits). */
export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Rejection {
  source: string;
  rule: RejectionRule;
  height: number;
  hash: string;
  detail: string;
}

/** Two answers for one height: a source against another source, or against our validated best chain. */
export interface Disagreement {
  height: number;
  source: string;
  hash: string;
  /** Another source's name, or `best-chain` for our validated chain. */
  versus: string;
  versusHash: string;
}

/** Hooks for metrics; every one optional. */
export interface SyncObserver {
  sourcePolled?(source: string, tip: SourceTip): void;
  sourceFailed?(source: string, error: string): void;
  validated?(count: number): void;
  rejected?(rejection: Rejection): void;
  disagreement?(disagreement: Disagreement): void;
  applied?(update: ChainUpdate, reorgs: readonly ReorgSummary[]): void;
}

export interface HeaderSyncOptions {
  network: NetworkName | NetworkParams;
  store: HeaderStore;
  sources: readonly HeaderSource[];
  /** Where an empty store starts (genesis otherwise). A non-empty store must have started at the same point. */
  checkpoint?: Checkpoint;
  /** Headers fetched, validated and stored per step (default 2000). */
  batchSize?: number;
  /** Requests in flight to one source while catching up (default 16). */
  concurrency?: number;
  /** Passed to HeaderChain: depth of reorg that can be followed, and headers kept in memory. */
  retainDepth?: number;
  /** Seconds since the epoch, for the future-time rule. */
  now?: () => number;
  /** Milliseconds, for back-off bookkeeping. */
  clock?: () => number;
  backoff?: BackoffPolicy;
  logger?: SyncLogger;
  observer?: SyncObserver;
}

export interface RoundResult {
  /** New headers validated and stored this round. */
  accepted: number;
  reorgs: number;
  /** Sources that failed or were caught lying this round. */
  failedSources: number;
}

export interface SyncStatus {
  network: string;
  tip: { height: number; hash: string };
  root: { height: number; hash: string };
  sources: SourceStatus[];
}

/** A source call failed (unreachable, error response): not a lie, but the source is benched all the same. */
class SourceCallError extends Error {
  override readonly name = 'SourceCallError';
}

const silent: SyncLogger = { info() {}, warn() {}, error() {} };

/** Fork searches per source per round; more broken links than this and the source is blamed. */
const MAX_FORK_SEARCHES = 4;

export class HeaderSync {
  private chain!: HeaderChain;
  private rootHash = '';
  private needsReload = false;
  private readonly states: SourceState[];
  private readonly params: NetworkParams;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly clock: () => number;
  private readonly logger: SyncLogger;
  private readonly observer: SyncObserver;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wakeSleep: (() => void) | undefined;
  private round: Promise<RoundResult> | undefined;
  private reportedTipDisagreements = new Set<string>();

  private constructor(private readonly o: HeaderSyncOptions) {
    this.params = typeof o.network === 'string' ? networkParams(o.network) : o.network;
    this.batchSize = o.batchSize ?? 2_000;
    this.concurrency = o.concurrency ?? 16;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${o.concurrency}`);
    const names = new Set<string>();
    for (const s of o.sources) {
      if (names.has(s.name)) throw new RangeError(`two sources are named ${s.name}`);
      names.add(s.name);
    }
    this.clock = o.clock ?? Date.now;
    this.logger = o.logger ?? silent;
    this.observer = o.observer ?? {};
    this.states = o.sources.map((s) => new SourceState(s.name, o.backoff ?? DEFAULT_BACKOFF));
  }

  /** Load the stored chain (or initialise an empty store with the root) and rebuild the in-memory HeaderChain. */
  static async open(options: HeaderSyncOptions): Promise<HeaderSync> {
    const sync = new HeaderSync(options);
    await sync.reload();
    return sync;
  }

  get tip(): HeaderEntry {
    return this.chain.tip;
  }

  get network(): string {
    return this.params.name;
  }

  status(): SyncStatus {
    const tip = this.chain.tip;
    return {
      network: this.params.name,
      tip: { height: tip.height, hash: tip.hash },
      root: { height: this.chain.root.height, hash: this.chain.root.hash },
      sources: this.states.map((s) => s.status(tip.height)),
    };
  }

  private newChain(checkpoint: Checkpoint | undefined): HeaderChain {
    return new HeaderChain(this.params, {
      ...(checkpoint ? { checkpoint } : {}),
      ...(this.o.retainDepth !== undefined ? { retainDepth: this.o.retainDepth } : {}),
      ...(this.o.now ? { now: this.o.now } : {}),
    });
  }

  private async reload(): Promise<void> {
    const stored = await this.o.store.load();
    if (!stored) {
      const chain = this.newChain(this.o.checkpoint);
      const root = chain.root;
      const builder = new ChainUpdateBuilder(this.params.name);
      builder.addRoot(root);
      const origin = { height: root.height, hash: root.hash };
      await this.o.store.apply(builder.build(root, { root: chain.checkpointAt(root.height), origin }));
      this.chain = chain;
      this.rootHash = root.hash;
      this.logger.info({ network: this.params.name, height: root.height, hash: root.hash }, 'header store initialised');
    } else {
      this.chain = this.rebuild(stored);
      this.rootHash = this.chain.root.hash;
      this.logger.info(
        { network: this.params.name, root: this.chain.root.height, tip: this.chain.tip.height, hash: this.chain.tip.hash },
        'header chain rebuilt from the store',
      );
      await this.addStoredSideBranches(stored);
    }
    this.needsReload = false;
  }

  private rebuild(stored: StoredChain): HeaderChain {
    const expected = this.o.checkpoint
      ? { height: this.o.checkpoint.height, hash: this.o.checkpoint.hash.toLowerCase() }
      : { height: 0, hash: this.params.genesisHash };
    if (stored.origin.height !== expected.height || stored.origin.hash !== expected.hash)
      throw new HeaderStoreMismatchError(
        `the header store was synced from ${stored.origin.height}/${stored.origin.hash} but ${this.params.name} is configured to start at ` +
          `${expected.height}/${expected.hash} (${this.o.checkpoint ? 'HEADER_CHECKPOINT' : 'genesis'}); use a fresh database or the original start`,
      );
    let chain: HeaderChain;
    try {
      chain = this.newChain(stored.root);
    } catch (err) {
      throw new HeaderStoreMismatchError(`the stored root checkpoint is not valid on ${this.params.name}: ${(err as Error).message}`);
    }
    for (const raw of stored.best) {
      let status: string;
      try {
        status = chain.add(raw).status;
      } catch (err) {
        throw new HeaderStoreMismatchError(`a stored best-chain header fails validation on restart: ${(err as Error).message}`);
      }
      if (status !== 'connected')
        throw new HeaderStoreMismatchError(`stored best-chain header at height ${chain.tip.height + 1} does not extend the chain (${status})`);
    }
    return chain;
  }

  /** Stored forks come back into memory so a branch that grows later can still win. */
  private async addStoredSideBranches(stored: StoredChain): Promise<void> {
    const builder = new ChainUpdateBuilder(this.params.name);
    for (const raw of stored.side) {
      try {
        const r = this.chain.add(raw);
        // Equal or less work than the stored best: a side branch again. More work would mean the store missed a
        // reorg; apply it like any other.
        if (r.status === 'reorg') builder.add(r);
      } catch {
        // Its parent was pruned from memory: too deep to matter for fork choice.
      }
    }
    if (!builder.isEmpty) await this.commit(builder);
  }

  /**
   * Store one batch atomically. The update is built now, from the chain as it stands; the write may finish later
   * (see followSource). If the store fails, memory is ahead of it, so the next round rebuilds from the store.
   */
  private commit(builder: ChainUpdateBuilder): Promise<void> {
    return this.prepare(builder)();
  }

  /** Builds the update from the chain as it stands now; the returned function writes it. */
  private prepare(builder: ChainUpdateBuilder): () => Promise<void> {
    if (builder.isEmpty) return () => Promise.resolve();
    const root = this.chain.root;
    const moved = root.hash !== this.rootHash;
    const update = builder.build(this.chain.tip, moved ? { root: this.chain.checkpointAt(root.height) } : {});
    if (moved) this.rootHash = root.hash;
    const reorgs = builder.reorgs;
    return () => this.o.store.apply(update).then(
      () => {
        for (const r of reorgs) this.logger.warn({ ...r }, 'reorganisation');
        this.observer.applied?.(update, reorgs);
      },
      (err: unknown) => {
        this.needsReload = true;
        throw err;
      },
    );
  }

  /** One pass: ask every source that is not benched for its tip, and take whatever it has that we lack. */
  syncOnce(): Promise<RoundResult> {
    // Rounds never overlap: the loop and a caller (tests, an admin trigger) share one.
    this.round ??= this.runRound().finally(() => (this.round = undefined));
    return this.round;
  }

  private async runRound(): Promise<RoundResult> {
    if (this.needsReload) await this.reload();
    const result: RoundResult = { accepted: 0, reorgs: 0, failedSources: 0 };
    const nowMs = this.clock();
    const active = this.states.map((state, i) => ({ state, source: this.o.sources[i]! })).filter((s) => !s.state.isBenched(nowMs));
    const polled = await Promise.all(
      active.map(async ({ state, source }) => {
        try {
          const tip = await this.call(() => source.getTip());
          if (!Number.isSafeInteger(tip?.height) || tip.height < 0 || typeof tip.hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(tip.hash))
            throw new SourceCallError(`getTip returned ${JSON.stringify(tip)?.slice(0, 200)}`);
          const clean = { height: tip.height, hash: tip.hash.toLowerCase() };
          state.tip = clean;
          state.lastPolledAt = this.clock();
          this.observer.sourcePolled?.(source.name, clean);
          return { state, source, tip: clean };
        } catch (err) {
          this.fail(state, err);
          result.failedSources++;
          return undefined;
        }
      }),
    );
    const answered = polled.filter((p) => p !== undefined);
    this.reportTipDisagreements(answered.map((p) => ({ name: p.source.name, tip: p.tip })));
    // The highest claim first: most of the catch-up comes from one source, the others then only confirm.
    answered.sort((a, b) => b.tip.height - a.tip.height);
    for (const { state, source, tip } of answered) {
      if (this.stopping) break;
      try {
        const r = await this.followSource(source, tip);
        result.accepted += r.accepted;
        result.reorgs += r.reorgs;
        state.clear();
      } catch (err) {
        if (!this.isSourceFault(err)) throw err;
        if (err instanceof SourceDataError) this.reject({ source: err.source, rule: err.rule, height: err.height, hash: err.hash, detail: err.message });
        this.fail(state, err);
        result.failedSources++;
      }
    }
    return result;
  }

  private isSourceFault(err: unknown): boolean {
    return err instanceof SourceCallError || err instanceof SourceDataError || err instanceof HeaderRuleError;
  }

  /** Runs a source call; whatever it throws becomes a SourceCallError (store errors must not bench a source). */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SourceDataError) throw err;
      throw new SourceCallError((err as Error)?.message ?? String(err));
    }
  }

  private fail(state: SourceState, err: unknown): void {
    const message = (err as Error)?.message ?? String(err);
    const benchedMs = state.strike(message, this.clock());
    this.observer.sourceFailed?.(state.name, message);
    this.logger.warn({ source: state.name, error: message, strikes: state.strikes, benchedMs }, 'source failed; skipping it for a while');
  }

  /** Reported once per distinct pair of claims, not every poll while two sources sit on competing tips. */
  private reportTipDisagreements(tips: Array<{ name: string; tip: SourceTip }>): void {
    const current = new Set<string>();
    for (let i = 0; i < tips.length; i++)
      for (let j = i + 1; j < tips.length; j++) {
        const a = tips[i]!;
        const b = tips[j]!;
        if (a.tip.height !== b.tip.height || a.tip.hash === b.tip.hash) continue;
        const key = `${a.name}\n${a.tip.hash}\n${b.name}\n${b.tip.hash}`;
        current.add(key);
        if (!this.reportedTipDisagreements.has(key))
          this.disagree({ height: a.tip.height, source: a.name, hash: a.tip.hash, versus: b.name, versusHash: b.tip.hash });
      }
    this.reportedTipDisagreements = current;
  }

  private disagree(d: Disagreement): void {
    this.logger.warn({ ...d }, 'sources disagree');
    this.observer.disagreement?.(d);
  }

  /**
   * Take the source's chain from where it meets ours up to its claimed tip, one batch at a time. Batch n is
   * written while batch n+1 is fetched and validated (Postgres and the validation run on different cores); writes
   * stay in order, and nothing is reported done before its write has committed.
   */
  private async followSource(source: HeaderSource, tip: SourceTip): Promise<{ accepted: number; reorgs: number }> {
    let writing: Promise<void> = Promise.resolve();
    try {
      return await this.followSourceBatches(source, tip, (builder) => {
        const previous = writing;
        const persist = this.prepare(builder);
        writing = previous.then(persist);
        // Keep a failure from being reported as unhandled before the loop awaits it.
        writing.catch(() => undefined);
        return previous;
      });
    } finally {
      await writing;
    }
  }

  private async followSourceBatches(
    source: HeaderSource,
    tip: SourceTip,
    write: (builder: ChainUpdateBuilder) => Promise<void>,
  ): Promise<{ accepted: number; reorgs: number }> {
    let accepted = 0;
    let reorgs = 0;
    // The next height to fetch. Found once by the fork search; after that the batches follow each other, so a
    // branch longer than one batch that has not yet outweighed our best chain is still taken to its end.
    let next: number | undefined;
    // A source may switch branches between our requests: a header whose parent we do not know then sends us back
    // to the fork search, a few times per round before it counts against the source.
    let searchesLeft = MAX_FORK_SEARCHES;
    // The next batch is fetched while this one is validated and the one before is written; it is dropped when the
    // loop goes elsewhere (a fork search) or stops.
    let prefetched: { from: number; to: number; raws: Promise<Uint8Array[]> } | undefined;
    const fetch = (from: number, to: number): Promise<Uint8Array[]> => {
      const hit = prefetched !== undefined && prefetched.from === from && prefetched.to === to ? prefetched.raws : undefined;
      prefetched = undefined;
      return hit ?? this.call(() => fetchHeaderRange(source, from, to, this.concurrency));
    };
    while (!this.stopping && !this.chain.get(tip.hash)) {
      if (next === undefined) {
        searchesLeft--;
        next = (await this.findFork(source, tip.height)) + 1;
      }
      // It moved below what it claimed since getTip: nothing to take until the next poll.
      if (next > tip.height) break;
      const from = next;
      const to = Math.min(tip.height, from + this.batchSize - 1);
      const raws = await fetch(from, to);
      if (to < tip.height) {
        const ahead = { from: to + 1, to: Math.min(tip.height, to + this.batchSize) };
        prefetched = { ...ahead, raws: this.call(() => fetchHeaderRange(source, ahead.from, ahead.to, this.concurrency)) };
        // An unused prefetch may fail without anyone waiting for it.
        prefetched.raws.catch(() => undefined);
      }
      const builder = new ChainUpdateBuilder(this.params.name);
      let rejected: HeaderRuleError | undefined;
      let searchAgain = false;
      for (let i = 0; i < raws.length; i++) {
        try {
          builder.add(this.chain.add(raws[i]!));
        } catch (err) {
          if (!(err instanceof HeaderRuleError)) throw err;
          if (err.rule === 'prev-blk-not-found' && searchesLeft > 0) {
            searchAgain = true;
            break;
          }
          rejected = err;
          this.reject({ source: source.name, rule: err.rule, height: err.height ?? from + i, hash: err.hash, detail: err.detail });
          break;
        }
      }
      const added = builder.size;
      // Wait for the previous batch's write (a failure stops here), then let this one write in the background.
      await write(builder);
      if (added > 0) this.observer.validated?.(added);
      accepted += added;
      reorgs += builder.reorgs.length;
      if (rejected) throw rejected;
      next = searchAgain ? undefined : to + 1;
      // Its headers reached the height it claimed without reaching the tip it named there (e.g. bulk pages and
      // tip answered from different branches): it switched branches, or it is lying. Never end such a round
      // silently as if nothing were to be taken: search again, then blame it.
      if (next === to + 1 && to === tip.height && !this.chain.get(tip.hash)) {
        const last = raws.length > 0 ? headerHashHex(raws[raws.length - 1]!) : '';
        if (searchesLeft <= 0)
          throw new SourceDataError(source.name, 'hash-mismatch', tip.height, tip.hash, `its headers up to its tip height end at ${last}, not at the tip it named`);
        next = undefined;
      }
    }
    return { accepted, reorgs };
  }

  private reject(r: Rejection): void {
    this.logger.warn({ ...r }, 'header rejected');
    this.observer.rejected?.(r);
  }

  /**
   * The highest height, at or below min(our tip, its tip), up to which the source's chain is already known to us
   * (on our best chain or a stored branch: a known header's ancestors are all known, so the test is monotone).
   * Steps back exponentially from there, then bisects. A source that disagrees even at our root is on another
   * chain (or lying) below anything we can reorganise to.
   */
  private async findFork(source: HeaderSource, sourceHeight: number): Promise<number> {
    const rootHeight = this.chain.root.height;
    const probe = Math.min(this.chain.tip.height, sourceHeight);
    if (probe < rootHeight) throw new SourceCallError(`claims height ${sourceHeight}, below our root at ${rootHeight}`);
    const known = async (height: number): Promise<boolean> => {
      const theirs = await this.call(() => blockHashAt(source, height));
      const entry = this.chain.get(theirs);
      return entry !== undefined && entry.height === height;
    };
    const theirs = await this.call(() => blockHashAt(source, probe));
    const ours = this.chain.atHeight(probe)!.hash;
    if (theirs !== ours) this.disagree({ height: probe, source: source.name, hash: theirs, versus: 'best-chain', versusHash: ours });
    const atProbe = this.chain.get(theirs);
    if (atProbe !== undefined && atProbe.height === probe) return probe;
    let bad = probe;
    let good: number | undefined;
    for (let step = 1; good === undefined; step *= 2) {
      if (bad === rootHeight)
        throw new SourceCallError(`its chain does not contain our root ${rootHeight}/${this.chain.root.hash}: another chain, or a fork deeper than we retain`);
      const h = Math.max(rootHeight, bad - step);
      if (await known(h)) good = h;
      else bad = h;
    }
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (await known(mid)) good = mid;
      else bad = mid;
    }
    return good;
  }

  /** Poll every `pollIntervalMs`; immediately again after a round that made progress. */
  start(pollIntervalMs: number): void {
    if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1) throw new RangeError(`pollIntervalMs must be a positive integer, got ${pollIntervalMs}`);
    if (this.loop) return;
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        let progressed = false;
        try {
          progressed = (await this.syncOnce()).accepted > 0;
        } catch (err) {
          this.logger.error({ err: (err as Error).message }, 'sync round failed; retrying');
        }
        if (!progressed && !this.stopping) await this.sleep(pollIntervalMs);
      }
    })();
  }

  /** Finish the batch in hand and stop polling. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSleep?.();
    await this.loop;
    await this.round?.catch(() => undefined);
    this.loop = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeSleep = done;
    });
  }
}
