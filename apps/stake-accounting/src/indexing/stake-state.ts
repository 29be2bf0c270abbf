/**
 * The stake book as the rules read it: rebuilt at start from the indexed staking logs (in chain order) plus the
 * jail terms of recorded slashes (the contract does not jail; stake-accounting does), then advanced by the indexer
 * after each committed batch. Nothing here is the source of truth: the tables are, so a restart rebuilds the same book.
 */
import { applyStakingEvent, EMPTY_BOOK, type StakeBook, type StakingEvent } from '@tapbridge/stake';

export class StakeState {
  #indexed: StakeBook = EMPTY_BOOK;
  #jail = new Map<string, number>();
  #cursor: { blockNumber: bigint; blockHash: string } | null = null;

  /** Replays stored events; a sequence the contract could not have produced throws (the index is corrupt: stop). */
  load(events: Iterable<StakingEvent>, jail: Iterable<{ signer: string; jailedUntilEpoch: number }>, cursor: { blockNumber: bigint; blockHash: string } | null): void {
    let book = EMPTY_BOOK;
    for (const e of events) book = applyStakingEvent(book, e);
    this.#indexed = book;
    this.#jail = new Map();
    for (const j of jail) this.jail(j.signer, j.jailedUntilEpoch);
    this.#cursor = cursor;
  }

  /** The book after a committed batch (the indexer computed it before committing). */
  advance(book: StakeBook, cursor: { blockNumber: bigint; blockHash: string }): void {
    this.#indexed = book;
    this.#cursor = cursor;
  }

  jail(signer: string, untilEpoch: number): void {
    const s = signer.toLowerCase();
    this.#jail.set(s, Math.max(this.#jail.get(s) ?? 0, untilEpoch));
  }

  /** The indexed book without jail terms (what the L2 holds). */
  get indexed(): StakeBook {
    return this.#indexed;
  }

  /** The book with jail terms applied: what epochs and slashing read. */
  get book(): StakeBook {
    if (this.#jail.size === 0) return this.#indexed;
    const signers = new Map(this.#indexed.signers);
    for (const [address, until] of this.#jail) {
      const s = signers.get(address);
      if (s !== undefined) signers.set(address, { ...s, jailedUntilEpoch: Math.max(s.jailedUntilEpoch, until) });
    }
    return { ...this.#indexed, signers };
  }

  get cursor(): { blockNumber: bigint; blockHash: string } | null {
    return this.#cursor;
  }
}
