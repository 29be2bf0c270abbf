import { EvmEngine, MemoryChainStore, toHex, type ChainConfig } from '@tapbridge/evm';
import { qualified } from '@tapbridge/messaging';
import type { Pool } from 'pg';

export class ChainIdentityError extends Error {
  override readonly name = 'ChainIdentityError';
}

export interface ChainIdentity {
  chainId: bigint;
  /** 0x hash of block 0. */
  genesisHash: string;
}

/** The chain a configuration describes: its id and the hash of the genesis block it would build (in memory). */
export async function configuredChainIdentity(config: ChainConfig): Promise<ChainIdentity> {
  const scratch = await EvmEngine.open({ store: new MemoryChainStore(), config, autoMine: false });
  try {
    return { chainId: scratch.chainId, genesisHash: toHex(scratch.head.hash()) };
  } finally {
    await scratch.close();
  }
}

/**
 * Records which chain the database holds on first start; on every later start checks that the configuration
 * describes that chain (same chain id, same genesis block). Neither is visible in later blocks' headers, so a changed
 * EVM_CHAIN_ID or genesis file would otherwise serve the old chain under a new identity.
 */
export async function assertChainIdentity(pool: Pick<Pool, 'query'>, schema: string, configured: ChainIdentity): Promise<void> {
  const table = qualified(schema, 'chain_identity');
  await pool.query(`INSERT INTO ${table} (id, chain_id, genesis_hash) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [
    configured.chainId.toString(),
    Buffer.from(configured.genesisHash.slice(2), 'hex'),
  ]);
  const { rows } = await pool.query<{ chain_id: string; genesis_hash: Buffer }>(`SELECT chain_id, genesis_hash FROM ${table} WHERE id = 1`);
  const recorded = rows[0];
  if (recorded === undefined) throw new ChainIdentityError(`${table} is empty right after writing it`);
  const recordedHash = toHex(recorded.genesis_hash);
  if (BigInt(recorded.chain_id) !== configured.chainId || recordedHash !== configured.genesisHash) {
    throw new ChainIdentityError(
      `the database holds chain ${recorded.chain_id} with genesis ${recordedHash}, but the configuration describes chain ` +
        `${configured.chainId} with genesis ${configured.genesisHash}; start with the EVM_CHAIN_ID / EVM_GENESIS_FILE the chain was created with, or use another database`,
    );
  }
}
