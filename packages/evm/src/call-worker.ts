// The body of a call worker (a worker_threads thread): eth_call and eth_estimateGas run here, never on the engine's
// event loop. The worker holds no state of its own: trie nodes and block hashes are asked from the engine's thread
// over the port, and kept in a local cache because trie nodes are content-addressed (a key never changes value).
import { parentPort, workerData } from 'node:worker_threads';
import { Caches } from '@ethereumjs/statemanager';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { bytesToHex, KECCAK256_RLP, ValueEncoding, type BatchDBOp, type DB } from '@ethereumjs/util';
import { createVM } from '@ethereumjs/vm';
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm';
import { CallStateManager } from './call-state.js';
import { createChainCommon, type ChainConfig } from './chain-config.js';
import { EvmEngineError } from './errors.js';
import { ExecutionFailedError, MessageCaller, type CallGasLimits, type CallRequest, type CallTarget } from './message-call.js';
import type { ToWorker, FromWorker, WorkerFailure } from './call-protocol.js';

export interface CallWorkerData {
  config: ChainConfig;
  gas: CallGasLimits;
  /** Trie nodes kept in the worker. */
  nodeCacheSize: number;
}

const port = parentPort;
if (port === null) throw new Error('call-worker.ts runs only as a worker thread');
const data = workerData as CallWorkerData;

let nextAsk = 0;
const asks = new Map<number, (value: unknown) => void>();
type Ask = { type: 'trieGet'; key: string } | { type: 'blockHash'; number: number };
function ask<T>(message: Ask): Promise<T> {
  const id = nextAsk++;
  return new Promise<T>((resolve) => {
    asks.set(id, resolve as (value: unknown) => void);
    port!.postMessage({ ...message, ask: id } as FromWorker);
  });
}

const EMPTY_TRIE_ROOT = bytesToHex(KECCAK256_RLP).slice(2);

function keyHex(key: string | Uint8Array | number): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return key.toString(16);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

/**
 * The engine's trie DB seen from a worker: a call's own writes (an overlay, dropped after each call), then a local
 * cache of committed nodes, then the engine's StagedTrieDB (which falls back to the store). Nothing is written back.
 */
class RemoteTrieDB implements DB<string, Uint8Array> {
  private readonly cache = new Map<string, Uint8Array>();
  private overlay = new Map<string, Uint8Array>();
  constructor(private readonly limit: number) {}
  /** Forgets what the last call wrote (its state changes are reverted anyway). */
  resetOverlay(): void {
    this.overlay = new Map();
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    const k = keyHex(key);
    const hit = this.overlay.get(k) ?? this.cache.get(k);
    if (hit !== undefined) return hit;
    // The empty trie's root is looked up for every account without storage and is never stored: no round trip.
    if (k === EMPTY_TRIE_ROOT) return undefined;
    const value = await ask<Uint8Array | undefined>({ type: 'trieGet', key: k });
    if (value !== undefined) {
      if (this.cache.size >= this.limit) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, value);
    }
    return value;
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    this.overlay.set(keyHex(key), value);
  }
  async del(): Promise<void> {}
  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.overlay.set(keyHex(op.key), op.value);
  }
  shallowCopy(): DB<string, Uint8Array> {
    return this;
  }
  async open(): Promise<void> {}
}

class RemoteBlockHashes implements EVMMockBlockchainInterface {
  async getBlock(blockId: number): Promise<{ hash(): Uint8Array }> {
    const hash = await ask<Uint8Array>({ type: 'blockHash', number: blockId });
    return { hash: () => hash };
  }
  async putBlock(): Promise<void> {}
  shallowCopy(): this {
    return this;
  }
}

const common = createChainCommon(data.config);
const db = new RemoteTrieDB(data.nodeCacheSize);
const trie = new MerklePatriciaTrie({ db, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common });
// Keeps what calls read across calls (each call's own caches are reverted with it): see call-state.ts.
const state = new CallStateManager({ common, trie, caches: new Caches() });
const vm = await createVM({ common, stateManager: state, blockchain: new RemoteBlockHashes() });
const caller = new MessageCaller(common, vm, state, data.gas);

function failure(err: unknown): WorkerFailure {
  if (err instanceof ExecutionFailedError) return { kind: 'execution-failed', message: err.message, ...(err.revertData !== undefined ? { revertData: err.revertData } : {}) };
  if (err instanceof EvmEngineError) return { kind: 'engine', message: err.message };
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** Jobs arrive ahead of time (the pool pipelines them) but run strictly one after another, each on a clean overlay. */
let previous: Promise<unknown> = Promise.resolve();
function run(op: 'call' | 'estimateGas', request: CallRequest, target: CallTarget): Promise<unknown> {
  const job = previous.then((): Promise<unknown> => {
    db.resetOverlay();
    return op === 'call' ? caller.call(request, target) : caller.estimateGas(request, target);
  });
  previous = job.catch(() => undefined);
  return job;
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'answer') {
    const resolve = asks.get(message.ask);
    asks.delete(message.ask);
    resolve?.(message.value);
    return;
  }
  run(message.op, message.request, message.target).then(
    (value) => port.postMessage({ type: 'done', job: message.job, ok: true, value } satisfies FromWorker),
    (err: unknown) => port.postMessage({ type: 'done', job: message.job, ok: false, error: failure(err) } satisfies FromWorker),
  );
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
