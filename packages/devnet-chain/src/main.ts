import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_ESPLORA_PORT, DEFAULT_RPC_PORT, startDevnetChain, type DevnetChainHandle } from './start.js';

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`${name} must be a port number, got "${raw}"`);
  return n;
}

function feeRateFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a fee rate in sat/vB, got "${raw}"`);
  return n;
}

/**
 * Process entry point (Docker: `node dist/main.js`). Configured from the environment: DEVNET_DATA_DIR,
 * DEVNET_RPC_PORT, DEVNET_ESPLORA_PORT, DEVNET_HOST, DEVNET_RPC_USER, DEVNET_RPC_PASSWORD, DEVNET_BLOCK_TIME_S, and the devnet extensions DEVNET_MEMPOOL_MIN_FEE_SAT_VB and
 * DEVNET_MINING_FLOOR_SAT_VB.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<DevnetChainHandle> {
  const blockTime = env.DEVNET_BLOCK_TIME_S ? Number(env.DEVNET_BLOCK_TIME_S) : undefined;
  if (blockTime !== undefined && !(blockTime > 0)) throw new RangeError(`DEVNET_BLOCK_TIME_S must be positive, got "${env.DEVNET_BLOCK_TIME_S}"`);
  const mempoolMinFee = feeRateFromEnv(env, 'DEVNET_MEMPOOL_MIN_FEE_SAT_VB');
  const miningFloor = feeRateFromEnv(env, 'DEVNET_MINING_FLOOR_SAT_VB');
  const handle = await startDevnetChain({
    dataDir: path.resolve(env.DEVNET_DATA_DIR ?? '.devnet/chain'),
    rpcPort: intFromEnv(env, 'DEVNET_RPC_PORT', DEFAULT_RPC_PORT),
    esploraPort: intFromEnv(env, 'DEVNET_ESPLORA_PORT', DEFAULT_ESPLORA_PORT),
    host: env.DEVNET_HOST ?? '127.0.0.1',
    ...(env.DEVNET_RPC_USER && env.DEVNET_RPC_PASSWORD ? { rpcUser: env.DEVNET_RPC_USER, rpcPassword: env.DEVNET_RPC_PASSWORD } : {}),
    ...(blockTime !== undefined ? { blockTimeMs: blockTime * 1000 } : {}),
    ...(mempoolMinFee !== undefined ? { mempoolMinFeeSatPerVb: mempoolMinFee } : {}),
    ...(miningFloor !== undefined ? { miningFloorSatPerVb: miningFloor } : {}),
  });
  const stop = (): void => {
    void handle.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return handle;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
