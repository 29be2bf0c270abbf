import type { EVMMockBlockchainInterface } from '@ethereumjs/evm';

/** Hashes of the last 256 blocks, which is all the BLOCKHASH opcode may see. */
export class RecentBlockHashes implements EVMMockBlockchainInterface {
  private readonly hashes = new Map<number, Uint8Array>();

  remember(number: bigint, hash: Uint8Array): void {
    this.hashes.set(Number(number), hash);
    this.hashes.delete(Number(number) - 257);
  }

  async getBlock(blockId: number): Promise<{ hash(): Uint8Array }> {
    const hash = this.hashes.get(blockId) ?? new Uint8Array(32);
    return { hash: () => hash };
  }

  async putBlock(): Promise<void> {}

  shallowCopy(): this {
    return this;
  }
}
