import { MerkleStateManager } from '@ethereumjs/statemanager';
import { bytesToUnprefixedHex, createAccountFromRLP, type Account, type Address } from '@ethereumjs/util';

/**
 * The state manager of the call workers. Every eth_call runs inside a checkpoint that is reverted afterwards, and
 * @ethereumjs reverts its caches with it: the accounts, code and storage a call read are gone for the next call, so
 * each call walked the tries again (fresh storage-trie objects included), the bulk of a simple view call's cost.
 *
 * Reads that reach the tries are remembered here by what determines them, never by address alone: an account by
 * (state root, address), a storage slot by (storage root, slot). Those pairs never change value, so reverting a
 * call cannot make them stale, and a write within a call still wins because the regular caches hold it and are
 * asked first.
 */
export class CallStateManager extends MerkleStateManager {
  private readonly reads = new Map<string, Uint8Array | null>();
  private readonly limit = 200_000;

  override async getAccount(address: Address): Promise<Account | undefined> {
    const elem = this._caches?.account?.get(address);
    if (elem !== undefined) return elem.accountRLP !== undefined ? createAccountFromRLP(elem.accountRLP) : undefined;
    const key = `a${bytesToUnprefixedHex(this._trie.root())}${bytesToUnprefixedHex(address.bytes)}`;
    let rlp = this.reads.get(key);
    if (rlp === undefined) {
      rlp = await this._trie.get(address.bytes);
      this.remember(key, rlp);
    }
    const account = rlp !== null ? createAccountFromRLP(rlp) : undefined;
    this._caches?.account?.put(address, account);
    return account;
  }

  override async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    if (slot.length !== 32 || this._caches?.storage?.get(address, slot) !== undefined) return super.getStorage(address, slot);
    const account = await this.getAccount(address);
    if (account === undefined) return new Uint8Array();
    const key = `s${bytesToUnprefixedHex(account.storageRoot)}${bytesToUnprefixedHex(slot)}`;
    let value = this.reads.get(key);
    if (value === undefined || value === null) {
      // The regular path: the account's storage trie (its result also lands in the call-scoped storage cache).
      value = await super.getStorage(address, slot);
      this.remember(key, value);
    }
    // A copy: the interpreter owns what it is handed.
    return value.slice();
  }

  private remember(key: string, value: Uint8Array | null): void {
    if (this.reads.size >= this.limit) this.reads.delete(this.reads.keys().next().value!);
    this.reads.set(key, value);
  }
}
