import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { AccessList2930Tx, Blob4844Tx, Capability, EOACode7702Tx, FeeMarket1559Tx, LegacyTx, type TypedTransaction } from '@ethereumjs/tx';
import { Address, bigIntToUnpaddedBytes, calculateSigRecovery, SECP256K1_ORDER_DIV_2, setLengthLeft } from '@ethereumjs/util';
import { workerEntry } from './call-pool.js';

const INPUT_BYTES = 97; // recovery-worker.ts: 32 hash, 32 r, 32 s, 1 recovery id

interface Pending {
  tx: TypedTransaction;
  resolve(): void;
}

/**
 * Recovers transaction senders on a worker thread, in batches: everything that arrives within one turn of the event
 * loop (a JSON-RPC batch of eth_sendRawTransaction, or concurrent requests) goes over in one message. Recovery is
 * the dearest step of admitting a transfer (~0.35 ms of libsecp256k1 in WebAssembly), so the engine's thread is
 * left with decoding and pool checks, and the second core does the curve work.
 *
 * `prime(tx)` only fills the transaction's own sender cache (what `getSenderPublicKey` reads first) with the key
 * libsecp256k1 recovers from the same inputs the synchronous path would use. Whatever it does not handle (unsigned,
 * high-s, bad recovery id, a signature that recovers nothing, a dead worker) it leaves alone, and the synchronous
 * path then recovers or throws exactly as before.
 */
export class SenderRecovery {
  private worker: Worker | undefined;
  private ready = false;
  private queue: Pending[] = [];
  private scheduled = false;
  private nextBatch = 0;
  private readonly inFlight = new Map<number, Pending[]>();
  private closed = false;
  private markStarted: () => void = () => {};
  /** Settles once the worker can take work (or there is none, or it failed to start). */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  /** `threads` 0 turns it off (every recovery stays synchronous); default: on when there is more than one core. */
  constructor(threads = os.availableParallelism() > 1 ? 1 : 0) {
    if (threads > 0) this.start();
    else this.markStarted();
  }

  /** Recovers the sender of a signed, frozen transaction into its cache; resolves when done (never rejects). */
  prime(tx: TypedTransaction): Promise<void> {
    if (this.worker === undefined || !Object.isFrozen(tx) || tx.cache.senderPubKey !== undefined) return Promise.resolve();
    const { v, r, s } = tx;
    if (v === undefined || r === undefined || s === undefined || s > SECP256K1_ORDER_DIV_2) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.queue.push({ tx, resolve });
      // A worker still loading takes the batch once ready (a moment after start), rather than losing it.
      if (!this.scheduled && this.ready) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): void {
    const { entry, eval: isEval, execArgv } = workerEntry('recovery-worker');
    const worker = new Worker(entry, { eval: isEval, execArgv, resourceLimits: { maxOldGenerationSizeMb: 128 } });
    worker.unref();
    this.worker = worker;
    worker.on('message', (message: { ready: true } | { id: number; keys: Uint8Array }) => {
      if ('ready' in message) {
        this.ready = true;
        this.markStarted();
        this.flush();
        return;
      }
      const batch = this.inFlight.get(message.id);
      this.inFlight.delete(message.id);
      batch?.forEach((item, i) => {
        const key = message.keys.subarray(i * 64, i * 64 + 64);
        // All zero: nothing recovered; the synchronous path will say why.
        if (key.some((b) => b !== 0)) item.tx.cache.senderPubKey = key.slice();
        item.resolve();
      });
    });
    const lost = () => {
      if (this.worker !== worker) return;
      const wasReady = this.ready;
      this.worker = undefined;
      this.ready = false;
      this.markStarted();
      this.failAll();
      // Keep serving synchronously. A worker that had been working is replaced; one that could not even start
      // would fail again, so recovery stays on this thread.
      if (!this.closed && wasReady) this.start();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.worker === undefined || !this.ready) {
      for (const item of batch) item.resolve();
      return;
    }
    const input = new Uint8Array(batch.length * INPUT_BYTES);
    const keep: Pending[] = [];
    for (const item of batch) {
      const { tx } = item;
      let recovery: bigint;
      try {
        recovery = calculateSigRecovery(tx.v!, tx.supports(Capability.EIP155ReplayProtection) ? tx.common.chainId() : undefined);
      } catch {
        item.resolve();
        continue;
      }
      if (recovery !== 0n && recovery !== 1n) {
        item.resolve();
        continue;
      }
      const at = keep.length * INPUT_BYTES;
      input.set(tx.getMessageToVerifySignature(), at);
      input.set(setLengthLeft(bigIntToUnpaddedBytes(tx.r!), 32), at + 32);
      input.set(setLengthLeft(bigIntToUnpaddedBytes(tx.s!), 32), at + 64);
      input[at + 96] = Number(recovery);
      keep.push(item);
    }
    if (keep.length === 0) return;
    const id = this.nextBatch++;
    this.inFlight.set(id, keep);
    const used = input.slice(0, keep.length * INPUT_BYTES);
    this.worker.postMessage({ id, input: used }, [used.buffer]);
  }

  private failAll(): void {
    for (const item of this.queue.splice(0)) item.resolve();
    for (const batch of this.inFlight.values()) for (const item of batch) item.resolve();
    this.inFlight.clear();
  }
}

/**
 * @ethereumjs caches a frozen transaction's sender public key but not its address: every `getSenderAddress()` (the
 * pool's check, then several times while the block runs the transaction) hashes the key again with the pure-JS
 * keccak, ~25 µs each. Remember the address per transaction object, once its public key is cached (so exactly when
 * the key can no longer change), and hand out a copy each time.
 */
function rememberSenderAddresses(): void {
  const known = new WeakMap<object, Uint8Array>();
  for (const cls of [LegacyTx, AccessList2930Tx, FeeMarket1559Tx, Blob4844Tx, EOACode7702Tx]) {
    const proto = cls.prototype as { getSenderAddress(this: TypedTransaction): Address };
    const original = proto.getSenderAddress;
    proto.getSenderAddress = function (this: TypedTransaction): Address {
      const bytes = known.get(this);
      if (bytes !== undefined) return new Address(bytes.slice());
      const address = original.call(this);
      if (Object.isFrozen(this) && this.cache.senderPubKey !== undefined) known.set(this, address.bytes.slice());
      return address;
    };
  }
}
rememberSenderAddresses();
