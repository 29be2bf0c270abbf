import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm';
import type { ChainConfig } from './chain-config.js';
import type { CallWorkerData } from './call-worker.js';
import type { FromWorker, ToWorker, WorkerFailure } from './call-protocol.js';
import { EvmEngineError } from './errors.js';
import { ExecutionFailedError, type CallGasLimits, type CallRequest, type CallResult, type CallTarget } from './message-call.js';

/** How eth_call / eth_estimateGas are bounded. */
export interface CallLimits {
  /** geth --rpc.gascap: most gas one call may use, whatever it asks for. Default 50,000,000. */
  rpcGasCap: bigint;
  /** geth --rpc.evmtimeout: a call still running after this is aborted. Default 5 s. */
  timeoutMs: number;
  /** Worker threads running calls (at least 1). Default: one less than the cores, at most 2, at least 1. */
  workers: number;
  /** Calls waiting for a worker beyond which new ones are refused at once. */
  maxQueued: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = {
  rpcGasCap: 50_000_000n,
  timeoutMs: 5_000,
  workers: Math.max(1, Math.min(2, os.availableParallelism() - 1)),
  maxQueued: 1_000,
};

/** A call aborted by the time limit; the message is geth's ("execution aborted (timeout = 5s)"). */
export class CallTimeoutError extends EvmEngineError {}

/** Go's time.Duration formatting for whole milliseconds, so the timeout message reads as geth's does. */
export function goDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const totalSeconds = ms / 1_000;
  const h = Math.floor(totalSeconds / 3_600);
  const m = Math.floor((totalSeconds % 3_600) / 60);
  const s = Number((totalSeconds % 60).toFixed(3));
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

export interface CallPoolDeps {
  config: ChainConfig;
  blockGasLimit: bigint;
  limits: CallLimits;
  /** Trie nodes and code by key, as the engine's StagedTrieDB serves them. */
  trieGet(key: string): Promise<Uint8Array | undefined>;
  blockHashes: EVMMockBlockchainInterface;
}

interface Job {
  id: number;
  op: 'call' | 'estimateGas';
  request: CallRequest;
  target: CallTarget;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  isReady: boolean;
  /** Settles when the worker is ready or gone. */
  started: Promise<void>;
  /** Jobs sent to the worker, in the order it runs them; the first is running. */
  jobs: Job[];
  /** Time limit of the running job. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * Jobs handed to one worker at once. The worker runs them one after another either way; sending the next ones ahead
 * saves a thread hand-off per call, which on a loaded machine costs more than the call itself.
 */
const PIPELINE_DEPTH = 8;

/** Call outcomes kept (oldest dropped first); each is one request's answer at one block. */
const CALL_OUTCOMES_KEPT = 4_096;

/**
 * The worker's entry: the compiled .js next to this file; or, running from TypeScript sources (tests, tsx), a small
 * bootstrap that registers tsx's loader in the worker (loader hooks are per thread) and imports the .ts source.
 */
export function workerEntry(name = 'call-worker'): { entry: URL | string; eval: boolean; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL(`./${name}.js`, import.meta.url), eval: false, execArgv: [] };
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  const source = new URL(`./${name}.ts`, import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return { entry: bootstrap, eval: true, execArgv: ['--conditions=@tapbridge/source'] };
}

/**
 * Runs message calls on worker threads, so arbitrary contract code never blocks block production, JSON-RPC or
 * health checks. Each call gets `timeoutMs` from the moment a worker takes it; past that the worker is terminated
 * (the only way to stop a running interpreter) and replaced, and the caller gets geth's timeout error. Workers read
 * state through the engine (trie nodes by key, block hashes by number); they never write.
 */
export class CallPool {
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Job[] = [];
  private nextJob = 0;
  private closed = false;
  /** Outcomes by block hash and request (see memoized). */
  private readonly outcomes = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: CallPoolDeps) {
    if (!Number.isInteger(deps.limits.workers) || deps.limits.workers < 1) throw new EvmEngineError('call workers must be at least 1');
    if (!(deps.limits.timeoutMs > 0)) throw new EvmEngineError('call timeout must be positive');
    if (deps.limits.rpcGasCap <= 0n) throw new EvmEngineError('RPC gas cap must be positive');
    this.slots = Array.from({ length: deps.limits.workers }, () => undefined);
  }

  /**
   * Starts every worker now rather than at the first call (a worker takes a moment to load the EVM), and resolves
   * once they can take calls. A worker that fails to start is reported again by the first call.
   */
  async warmUp(): Promise<void> {
    if (this.closed) return;
    for (let i = 0; i < this.slots.length; i++) this.slots[i] ??= this.spawn(i);
    await Promise.all(this.slots.map((slot) => slot?.started));
  }

  call(request: CallRequest, target: CallTarget): Promise<CallResult> {
    return this.memoized('call', request, target) as Promise<CallResult>;
  }

  estimateGas(request: CallRequest, target: CallTarget): Promise<bigint> {
    return this.memoized('estimateGas', request, target) as Promise<bigint>;
  }

  /**
   * A call's outcome depends only on the block it runs on (state root, header: named by the block hash) and the
   * request, so the same request on the same block is answered once: wallets and dapps poll the same view functions
   * (balanceOf, allowance…) every block. Concurrent identical requests share one run. Only outcomes are kept
   * (a result, a revert, an estimate, a failed estimate); timeouts and engine errors are not.
   */
  private memoized(op: Job['op'], request: CallRequest, target: CallTarget): Promise<unknown> {
    const key = `${op}|${target.hash}|${request.from ?? ''}|${request.to ?? ''}|${request.data === undefined ? '' : Buffer.from(request.data).toString('hex')}|${request.value ?? ''}|${request.gas ?? ''}`;
    const known = this.outcomes.get(key);
    if (known !== undefined) return known;
    const run = this.submit(op, request, target);
    this.remember(key, run);
    run.catch((err: unknown) => {
      if (!(err instanceof ExecutionFailedError)) this.outcomes.delete(key);
    });
    return run;
  }

  private remember(key: string, outcome: Promise<unknown>): void {
    if (this.outcomes.size >= CALL_OUTCOMES_KEPT) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.outcomes.set(key, outcome);
  }

  async close(): Promise<void> {
    this.closed = true;
    const error = new EvmEngineError('engine closed');
    for (const job of this.queue.splice(0)) job.reject(error);
    await Promise.all(
      this.slots.map(async (slot, i) => {
        if (slot === undefined) return;
        this.slots[i] = undefined;
        if (slot.timer !== undefined) clearTimeout(slot.timer);
        for (const job of slot.jobs.splice(0)) job.reject(error);
        await slot.worker.terminate();
      }),
    );
  }

  private submit(op: Job['op'], request: CallRequest, target: CallTarget): Promise<unknown> {
    if (this.closed) return Promise.reject(new EvmEngineError('engine closed'));
    if (this.queue.length >= this.deps.limits.maxQueued) {
      return Promise.reject(new EvmEngineError(`too many calls in progress (${this.deps.limits.maxQueued} waiting); try again later`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextJob++, op, request, target, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands queued jobs to workers: idle ones first, then deeper into each pipeline. */
  private dispatch(): void {
    for (let depth = 1; depth <= PIPELINE_DEPTH && this.queue.length > 0; depth++) {
      for (let i = 0; i < this.slots.length && this.queue.length > 0; i++) {
        const slot = this.slots[i] ?? (this.slots[i] = this.spawn(i));
        if (!slot.isReady || slot.jobs.length >= depth) continue;
        const job = this.queue.shift()!;
        slot.jobs.push(job);
        slot.worker.postMessage({ type: 'run', job: job.id, op: job.op, request: job.request, target: job.target } satisfies ToWorker);
        if (slot.jobs.length === 1) this.startTimer(i, slot);
      }
    }
  }

  /** The limit counts from when the running job started (as geth's does), not from when it was queued. */
  private startTimer(index: number, slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.abort(index, slot, new CallTimeoutError(`execution aborted (timeout = ${goDuration(this.deps.limits.timeoutMs)})`)), this.deps.limits.timeoutMs);
  }

  private spawn(index: number): Slot {
    const { entry, eval: isEval, execArgv } = workerEntry();
    const data: CallWorkerData = {
      // The genesis allocation is only needed to build genesis; calls read state from the trie.
      config: { ...this.deps.config, alloc: new Map() },
      gas: { rpcGasCap: this.deps.limits.rpcGasCap, blockGasLimit: this.deps.blockGasLimit } satisfies CallGasLimits,
      nodeCacheSize: 100_000,
    };
    // A heap limit: a call's memory is bounded by gas, but a worker must never take the node down with it.
    const worker = new Worker(entry, { eval: isEval, workerData: data, execArgv, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    worker.unref();
    let settle!: () => void;
    const slot: Slot = { worker, isReady: false, started: new Promise<void>((r) => (settle = r)), jobs: [], timer: undefined };
    worker.once('exit', () => settle());
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          slot.isReady = true;
          settle();
          this.dispatch();
          return;
        case 'trieGet':
          this.deps.trieGet(message.key).then(
            (value) => worker.postMessage({ type: 'answer', ask: message.ask, value } satisfies ToWorker),
            (err: unknown) => this.abort(index, slot, new EvmEngineError(`state read failed: ${(err as Error).message}`)),
          );
          return;
        case 'blockHash':
          this.deps.blockHashes.getBlock(message.number).then(
            (block) => worker.postMessage({ type: 'answer', ask: message.ask, value: block.hash() } satisfies ToWorker),
            (err: unknown) => this.abort(index, slot, new EvmEngineError(`block hash read failed: ${(err as Error).message}`)),
          );
          return;
        case 'done': {
          const job = slot.jobs[0];
          if (job === undefined || job.id !== message.job) return;
          slot.jobs.shift();
          if (slot.timer !== undefined) clearTimeout(slot.timer);
          slot.timer = undefined;
          // The worker went straight on to the next job it holds.
          if (slot.jobs.length > 0) this.startTimer(index, slot);
          if (message.ok) job.resolve(message.value);
          else job.reject(rebuild(message.error));
          this.dispatch();
          return;
        }
      }
    });
    const lost = (reason: string) => {
      if (this.slots[index] !== slot) return;
      this.abort(index, slot, new EvmEngineError(`call worker ${reason}`));
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    return slot;
  }

  /**
   * Ends a slot's running job with `error` and replaces the worker (terminating it is the only way to stop a call).
   * The jobs waiting behind it in that worker never started: they go back to the front of the queue.
   */
  private abort(index: number, slot: Slot, error: Error): void {
    if (this.slots[index] !== slot) return;
    this.slots[index] = undefined;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    const [running, ...waiting] = slot.jobs.splice(0);
    running?.reject(error);
    this.queue.unshift(...waiting);
    // A worker that died before it could take work would die again: fail what waits instead of respawning for ever.
    if (!slot.isReady) for (const job of this.queue.splice(0)) job.reject(error);
    void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }
}

function rebuild(failure: WorkerFailure): Error {
  if (failure.kind === 'execution-failed') return new ExecutionFailedError(failure.message, failure.revertData);
  if (failure.kind === 'engine') return new EvmEngineError(failure.message);
  return new Error(failure.message);
}
