/**
 * The mint's capacity gate (the rule is mint-capacity.ts): every deposit on its way to a mint passes here. Deposits
 * that do not fit are held (state held_capacity) in a durable store, in confirmation order, and minted later from
 * there when capacity returns; a new deposit never overtakes a held one. Admission and the mint it allows run under
 * one lock, with what is owed read inside it after the previous mint committed, so two admissions can never spend
 * the same room (deposits racing capacity events, the drain racing new deposits).
 */
import { admitInOrder, confirmationOrder, latestCapacity, mintAllowanceSats, type StakeCapacityView, type WaitingDeposit } from './mint-capacity.js';

/** A deposit that passed its checks (proof, custody) and waits for, or gets, its mint. */
export interface GatedDeposit extends WaitingDeposit {
  recipient: string;
  /** The Bitcoin block that confirmed it (display hex). */
  blockHash: string;
}

export interface HeldDeposit extends GatedDeposit {
  heldAt: Date;
}

/** Where held deposits live (the gateway's database); every method idempotent by deposit id. */
export interface HeldDepositStore {
  /** Every held deposit (any order; the gate sorts). */
  list(): Promise<HeldDeposit[]>;
  hold(deposits: readonly HeldDeposit[]): Promise<void>;
  /** No longer held: minted, or gone (reorged out, reclaimed on Bitcoin). */
  release(depositIds: readonly string[]): Promise<void>;
}

export interface CapacityGateOptions {
  store: HeldDepositStore;
  /** What the bridge owes now, in sats (the L2 supply: minted − burned). */
  owedSats: () => Promise<bigint>;
  /** The latest stake.capacity when the gate has none (after a restart: rpc.stake.capacity.get); null if unknown. */
  fetchCapacity?: () => Promise<StakeCapacityView | null>;
  now?: () => Date;
}

/** What `mint` asks the caller to do: credit these (in this order) and report back when committed. */
export type MintDeposits = (deposits: readonly GatedDeposit[]) => Promise<void>;

export class CapacityGate {
  private view: StakeCapacityView | null = null;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: CapacityGateOptions) {}

  /** A stake.capacity event (or an answer to rpc.stake.capacity.get): kept if newer than what the gate has. */
  onCapacity(view: StakeCapacityView): void {
    this.view = latestCapacity(this.view, view);
  }

  get capacity(): StakeCapacityView | null {
    return this.view;
  }

  /**
   * Admits deposits (already checked): the held line plus these, in confirmation order, minted as far as capacity
   * allows through `mint` (which must return only once the credits are committed); the rest is held. Deposits already
   * held are not held twice. Returns what was minted now and what is held after.
   */
  admit(deposits: readonly GatedDeposit[], mint: MintDeposits): Promise<{ minted: GatedDeposit[]; held: HeldDeposit[] }> {
    return this.exclusive(async () => {
      const held = await this.o.store.list();
      const heldIds = new Set(held.map((h) => h.depositId));
      const now = (this.o.now ?? (() => new Date()))();
      const fresh = dedupe(deposits).filter((d) => !heldIds.has(d.depositId)).map((d): HeldDeposit => ({ ...d, heldAt: now }));
      const line = [...held, ...fresh].sort(confirmationOrder);
      if (this.view === null && this.o.fetchCapacity !== undefined) {
        const fetched = await this.o.fetchCapacity().catch(() => null);
        if (fetched !== null) this.onCapacity(fetched);
      }
      const allowance = mintAllowanceSats(this.view, await this.o.owedSats());
      const { mint: admitted, hold } = admitInOrder(allowance, line);
      const byId = new Map(line.map((d) => [d.depositId, d]));
      const toMint = admitted.map((w) => byId.get(w.depositId)!);
      const toHold = hold.map((w) => byId.get(w.depositId)!);
      // Held first, so a crash during the mint loses no deposit that did not fit.
      const newlyHeld = toHold.filter((d) => !heldIds.has(d.depositId));
      if (newlyHeld.length > 0) await this.o.store.hold(newlyHeld);
      if (toMint.length > 0) {
        await mint(toMint.map(gated));
        const wasHeld = toMint.filter((d) => heldIds.has(d.depositId)).map((d) => d.depositId);
        if (wasHeld.length > 0) await this.o.store.release(wasHeld);
      }
      return { minted: toMint.map(gated), held: toHold };
    });
  }

  /** Mints held deposits that fit now (after a capacity event, a burn, or on a timer). */
  drain(mint: MintDeposits): Promise<GatedDeposit[]> {
    return this.admit([], mint).then((r) => r.minted);
  }

  /** A held deposit that can no longer be minted (its block left the best chain, or its owner reclaimed it). */
  drop(depositIds: readonly string[]): Promise<void> {
    return this.exclusive(() => this.o.store.release(depositIds));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

function gated(d: GatedDeposit): GatedDeposit {
  return { depositId: d.depositId, amountSats: d.amountSats, blockHeight: d.blockHeight, position: d.position, vout: d.vout, recipient: d.recipient, blockHash: d.blockHash };
}

function dedupe(deposits: readonly GatedDeposit[]): GatedDeposit[] {
  const seen = new Map<string, GatedDeposit>();
  for (const d of deposits) if (!seen.has(d.depositId)) seen.set(d.depositId, d);
  return [...seen.values()];
}

/** In-memory store: tests, and the reference the database store must behave like. */
export class MemoryHeldDepositStore implements HeldDepositStore {
  private readonly rows = new Map<string, HeldDeposit>();

  list(): Promise<HeldDeposit[]> {
    return Promise.resolve([...this.rows.values()]);
  }

  hold(deposits: readonly HeldDeposit[]): Promise<void> {
    for (const d of deposits) if (!this.rows.has(d.depositId)) this.rows.set(d.depositId, { ...d });
    return Promise.resolve();
  }

  release(depositIds: readonly string[]): Promise<void> {
    for (const id of depositIds) this.rows.delete(id);
    return Promise.resolve();
  }
}
