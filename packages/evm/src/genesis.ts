import { createBlock, type Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { genesisAlloc, type ChainConfig } from './chain-config.js';
import { fromHex } from './hex.js';

/** Writes the genesis allocation (bridge included) into `stateManager` and returns block 0. */
export async function buildGenesis(config: ChainConfig, common: Common, stateManager: MerkleStateManager): Promise<Block> {
  for (const [address, spec] of genesisAlloc(config)) {
    const addr = createAddressFromString(address);
    await stateManager.putAccount(addr, new Account(spec.nonce, spec.balance));
    if (spec.code !== undefined) await stateManager.putCode(addr, spec.code);
    for (const [slot, value] of spec.storage ?? []) await stateManager.putStorage(addr, fromHex(slot, 32), value);
  }
  const stateRoot = await stateManager.getStateRoot();
  return createBlock(
    {
      header: {
        number: 0n,
        stateRoot,
        gasLimit: config.blockGasLimit,
        timestamp: config.genesisTimestamp,
        baseFeePerGas: config.baseFee.initialBaseFeePerGas,
        coinbase: createAddressFromString(config.coinbase),
        blobGasUsed: 0n,
        excessBlobGas: 0n,
        parentBeaconBlockRoot: new Uint8Array(32),
      },
      withdrawals: [],
    },
    { common },
  );
}
