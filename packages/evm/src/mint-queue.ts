import { BRIDGE_ADDRESS } from './chain-config.js';
import { MintError } from './errors.js';
import { satsToGwei } from './units.js';
import type { MintRecord } from './store/chain-store.js';

/** A confirmed Bitcoin deposit to credit on L2. */
export interface MintRequest {
  /** The deposit's deterministic id (e.g. `<txid>:<vout>`); at most one mint ever happens per id. */
  depositId: string;
  /** 0x EVM address that receives the BTC. */
  recipient: string;
  amountSats: bigint;
}

interface PendingMint {
  request: MintRequest;
  settle: { resolve: (r: MintRecord) => void; reject: (e: Error) => void };
  committed: Promise<MintRecord>;
}

const DEPOSIT_ID = /^[\x21-\x7e]{1,200}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Validates and normalises a mint request (lower-case recipient). */
export function checkMintRequest(request: MintRequest): MintRequest {
  if (typeof request.depositId !== 'string' || !DEPOSIT_ID.test(request.depositId)) {
    throw new MintError(`depositId must be 1-200 printable ASCII characters without spaces, got ${JSON.stringify(request.depositId)}`);
  }
  if (typeof request.recipient !== 'string' || !ADDRESS.test(request.recipient)) throw new MintError(`recipient is not an address: ${String(request.recipient)}`);
  if (request.recipient.toLowerCase() === BRIDGE_ADDRESS.toLowerCase()) throw new MintError('recipient is the bridge contract; BTC sent there can never leave');
  if (typeof request.amountSats !== 'bigint' || request.amountSats <= 0n) throw new MintError(`amountSats must be a positive bigint, got ${String(request.amountSats)}`);
  satsToGwei(request.amountSats); // range check
  return { depositId: request.depositId, recipient: request.recipient.toLowerCase(), amountSats: request.amountSats };
}

/**
 * Mints waiting for the next block, deduplicated by deposit id. Deduplication against what is already minted
 * is the engine's job (it asks the store); this queue only guarantees one pending entry per id.
 */
export class MintQueue {
  private readonly pending = new Map<string, PendingMint>();

  get size(): number {
    return this.pending.size;
  }

  /** Returns the promise of the pending entry for this deposit, creating it if new. */
  enqueue(request: MintRequest): Promise<MintRecord> {
    const existing = this.pending.get(request.depositId);
    if (existing !== undefined) {
      assertSameMint(existing.request, request);
      return existing.committed;
    }
    let settle!: PendingMint['settle'];
    const committed = new Promise<MintRecord>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Callers that only fire and forget must not trigger unhandled-rejection crashes.
    committed.catch(() => undefined);
    this.pending.set(request.depositId, { request, settle, committed });
    return committed;
  }

  has(depositId: string): boolean {
    return this.pending.has(depositId);
  }

  /** Up to `max` requests in arrival order, for the next block. */
  peek(max: number): MintRequest[] {
    const out: MintRequest[] = [];
    for (const p of this.pending.values()) {
      if (out.length >= max) break;
      out.push(p.request);
    }
    return out;
  }

  /** Called once the block holding these mints is committed. */
  settle(records: MintRecord[]): void {
    for (const record of records) {
      const p = this.pending.get(record.depositId);
      if (p === undefined) continue;
      this.pending.delete(record.depositId);
      p.settle.resolve(record);
    }
  }

  /** Drops a pending mint (its deposit was reorged out before it was minted). */
  cancel(depositId: string, reason: Error): boolean {
    const p = this.pending.get(depositId);
    if (p === undefined) return false;
    this.pending.delete(depositId);
    p.settle.reject(reason);
    return true;
  }

  rejectAll(reason: Error): void {
    for (const id of [...this.pending.keys()]) this.cancel(id, reason);
  }
}

/** The same deposit id with a different recipient or amount is a bug upstream, never something to mint. */
export function assertSameMint(a: { depositId: string; recipient: string; amountSats: bigint }, b: MintRequest): void {
  if (a.recipient !== b.recipient || a.amountSats !== b.amountSats) {
    throw new MintError(
      `deposit ${b.depositId} was already queued or minted as ${a.amountSats} sat to ${a.recipient}; refusing ${b.amountSats} sat to ${b.recipient}`,
    );
  }
}
