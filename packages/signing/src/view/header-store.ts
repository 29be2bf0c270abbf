// The signer's header store: the light client's in-memory store plus a best-chain index, so a block hash is
// placed on (or off) the signer's own best chain in O(1). Memory only: the signer re-syncs its headers from its
// checkpoint (or genesis) on every start. That is seconds on a devnet chain; a mainnet signer should start from a
// recent HEADER_CHECKPOINT. A signer refuses sweeps until the sync has reached its sources' tips.
import { InMemoryHeaderStore, type ChainUpdate } from '@tapbridge/light-client';

export class SignerHeaderStore extends InMemoryHeaderStore {
  #tip: { height: number; hash: string } | undefined;

  override async apply(update: ChainUpdate): Promise<void> {
    await super.apply(update);
    this.#tip = { height: update.tip.height, hash: update.tip.hash };
  }

  /** The best tip stored (the light client's validated chain), or undefined before the first update. */
  get tip(): { height: number; hash: string } | undefined {
    return this.#tip;
  }

  /** Height of `hash` if it is on the best chain, else undefined (unknown or on a side branch). */
  bestHeightOf(hash: string): number | undefined {
    const h = this.headers.get(hash.toLowerCase());
    return h?.inBest ? h.height : undefined;
  }
}
