import { EvmEngine, MemoryChainStore, toHex, type ChainConfig } from '@tapbridge/evm';
import type { PrismaClient } from '../generated/prisma/client.js';

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
export async function assertChainIdentity(prisma: Pick<PrismaClient, 'chainIdentity'>, configured: ChainIdentity): Promise<void> {
  // skipDuplicates: the first start writes the row, every later one (or a racing replica) leaves it as it is.
  await prisma.chainIdentity.createMany({
    data: [{ id: 1, chainId: configured.chainId, genesisHash: Buffer.from(configured.genesisHash.slice(2), 'hex') }],
    skipDuplicates: true,
  });
  const recorded = await prisma.chainIdentity.findUnique({ where: { id: 1 } });
  if (recorded === null) throw new ChainIdentityError('chain_identity is empty right after writing it');
  const recordedHash = toHex(recorded.genesisHash);
  if (recorded.chainId !== configured.chainId || recordedHash !== configured.genesisHash) {
    throw new ChainIdentityError(
      `the database holds chain ${recorded.chainId} with genesis ${recordedHash}, but the configuration describes chain ` +
        `${configured.chainId} with genesis ${configured.genesisHash}; start with the EVM_CHAIN_ID / EVM_GENESIS_FILE the chain was created with, or use another database`,
    );
  }
}
