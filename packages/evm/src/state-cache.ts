import { MerkleStateManager } from '@ethereumjs/statemanager';
import type { Account, Address } from '@ethereumjs/util';

/**
 * The block producer's state manager, noting every address a block writes (accounts, code, storage), so the flat
 * cache can be brought to the new head from exactly those once the block is committed.
 */
export class TrackingStateManager extends MerkleStateManager {
  readonly touched = new Set<string>();

  override async putAccount(address: Address, account: Account | undefined): Promise<void> {
    this.touched.add(address.toString());
    return super.putAccount(address, account);
  }

  override async deleteAccount(address: Address): Promise<void> {
    this.touched.add(address.toString());
    return super.deleteAccount(address);
  }

  override async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.touched.add(address.toString());
    return super.putCode(address, value);
  }

  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.touched.add(address.toString());
    return super.putStorage(address, key, value);
  }

  override async clearStorage(address: Address): Promise<void> {
    this.touched.add(address.toString());
    return super.clearStorage(address);
  }
}

/**
 * The head state's accounts as a flat map (address → account, or null for none) in front of the trie: a balance,
 * nonce or sender check at the head is one map lookup instead of a walk down the trie, whose node cache belongs to
 * a fresh state view after every block. Filled lazily from the trie; after each committed block the addresses the
 * block wrote are replaced with their new accounts (read from the block producer's own cache), all in one step
 * with the head switch. A trie read that started before a block and finishes after it is not kept (the
 * generation check), so the map never goes back to an older head.
 */
export class FlatStateCache {
  private readonly accounts = new Map<string, Account | null>();
  private generation = 0;

  constructor(private readonly limit = 1_000_000) {}

  /** The account at the head: from the map, else from `readTrie` (the head state's trie), remembered. */
  async get(address: Address, readTrie: (address: Address) => Promise<Account | undefined>): Promise<Account | undefined> {
    const key = address.toString();
    const hit = this.accounts.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const generation = this.generation;
    const account = await readTrie(address);
    if (generation === this.generation) this.remember(key, account ?? null);
    return account;
  }

  /** The head moved: these are the accounts the new block wrote, as they are now (undefined: no account). */
  applyBlock(changed: Map<string, Account | undefined>): void {
    this.generation++;
    for (const [key, account] of changed) this.remember(key, account ?? null);
  }

  /** Forgets everything (the head went somewhere this cache cannot follow block by block). */
  clear(): void {
    this.generation++;
    this.accounts.clear();
  }

  get size(): number {
    return this.accounts.size;
  }

  private remember(key: string, account: Account | null): void {
    this.accounts.delete(key);
    if (this.accounts.size >= this.limit) {
      // Oldest insertion first: addresses a block wrote are re-inserted, so active accounts stay.
      const oldest = this.accounts.keys().next().value;
      if (oldest !== undefined) this.accounts.delete(oldest);
    }
    this.accounts.set(key, account);
  }
}
