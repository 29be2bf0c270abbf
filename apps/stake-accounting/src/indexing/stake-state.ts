/**
 * The stake book as the rules read it: rebuilt at start from the indexed staking logs (in chain order) plus the
 * jail terms of recorded slashes (the contract does not jail; stake-accounting does), then advanced by the indexer
 * after each committed batch. Nothing here is the source of truth: the tables are, so a restart rebuilds the same book.
 */
import { applyStakingEvent, EMPTY_BOOK, withPendingSlashes, type PendingSlash, type StakeBook, type StakingEvent } from '@tapbridge/stake';

export class StakeState {
  #indexed: StakeBook = EMPTY_BOOK;
  #jail = new Map<string, number>();
  /** Decided slashes, and the evidence id hashes the L2 has applied (its Slashed logs): the difference counts at once. */
  #pending: PendingSlash[] = [];
  #applied = new Set<string>();
  #cursor: { blockNumber: bigint; blockHash: string } | null = null;
  /** The highest releaseUnbonding(below) decided (unbonding_release): entries below it no longer count as collateral. */
  #releasedBelow = 0n;

  /** Replays stored events; a sequence the contract could not have produced throws (the index is corrupt: stop). */
  load(events: Iterable<StakingEvent>, jail: Iterable<{ signer: string; jailedUntilEpoch: number }>, cursor: { blockNumber: bigint; blockHash: string } | null, slashes: Iterable<PendingSlash> = []): void {
    let book = EMPTY_BOOK;
    this.#applied = new Set();
    for (const e of events) {
      book = applyStakingEvent(book, e);
      this.#noteApplied(e);
    }
    this.#indexed = book;
    this.#pending = [...slashes];
    this.#jail = new Map();
    for (const j of jail) this.jail(j.signer, j.jailedUntilEpoch);
    this.#cursor = cursor;
  }

  /** The book after a committed batch (the indexer computed it before committing). */
  advance(book: StakeBook, cursor: { blockNumber: bigint; blockHash: string }, events: Iterable<StakingEvent> = []): void {
    for (const e of events) this.#noteApplied(e);
    this.#indexed = book;
    this.#cursor = cursor;
  }

  /** A slash just decided (committed): it counts until the L2's Slashed log for it is indexed. */
  slashDecided(slash: PendingSlash): void {
    this.#pending.push(slash);
  }

  #noteApplied(e: StakingEvent): void {
    if (e.type === 'Slashed' || e.type === 'StakeSlashed') this.#applied.add(e.evidenceIdHash.toLowerCase());
  }

  /** What decided slashes still take off a signer's stake until the L2 applies them. */
  pendingSlashOf(signer: string): bigint {
    let total = 0n;
    for (const p of this.#pending) if (p.signer === signer && !this.#applied.has(p.evidenceIdHash.toLowerCase())) for (const d of p.debits) total += d.amount;
    return total;
  }

  /** A release decided (or, at start, the highest recorded): it counts at once, before the L2's log is indexed. */
  releaseDecided(below: bigint): void {
    if (below > this.#releasedBelow) this.#releasedBelow = below;
  }

  jail(signer: string, untilEpoch: number): void {
    const s = signer.toLowerCase();
    this.#jail.set(s, Math.max(this.#jail.get(s) ?? 0, untilEpoch));
  }

  /** The indexed book without jail terms (what the L2 holds). */
  get indexed(): StakeBook {
    return this.#indexed;
  }

  /**
   * The book with decided-but-unapplied slashes taken off and decided releases applied (what counts as collateral
   * now), without jail terms.
   */
  get collateral(): StakeBook {
    const slashed = this.#pending.length === 0 ? this.#indexed : withPendingSlashes(this.#indexed, this.#pending, this.#applied);
    const below = this.#releasedBelow;
    if (below === 0n || !slashed.unbonding.some((u) => u.id < below && !u.released)) return slashed;
    return { ...slashed, unbonding: slashed.unbonding.map((u) => (u.id < below && !u.released ? { ...u, released: true } : u)) };
  }

  /** The collateral book with jail terms applied: what epochs, capacity, slashing and the API read. */
  get book(): StakeBook {
    const base = this.collateral;
    if (this.#jail.size === 0) return base;
    const signers = new Map(base.signers);
    for (const [address, until] of this.#jail) {
      const s = signers.get(address);
      if (s !== undefined) signers.set(address, { ...s, jailedUntilEpoch: Math.max(s.jailedUntilEpoch, until) });
    }
    return { ...base, signers };
  }

  get cursor(): { blockNumber: bigint; blockHash: string } | null {
    return this.#cursor;
  }
}
