import { pino, type Logger } from 'pino';
import { DevnetChain } from './devnet-chain.js';
import { startEsploraServer } from './esplora/server.js';
import { DEVNET_WARNING } from './rpc/methods.js';
import { startRpcServer } from './rpc/server.js';

export interface StartDevnetChainOptions {
  dataDir: string;
  /** 0 picks a free port. Defaults: 18443 (Core's regtest RPC port) and 3030. */
  rpcPort?: number;
  esploraPort?: number;
  host?: string;
  rpcUser?: string;
  rpcPassword?: string;
  /** Mine one block to a wallet address every this many milliseconds; omit to mine only on request. */
  blockTimeMs?: number;
  clock?: () => number;
  logger?: Logger;
  /** Devnet extensions (also settable at run time over RPC): see DevnetChainOptions. */
  mempoolMinFeeSatPerVb?: number;
  miningFloorSatPerVb?: number;
}

export interface DevnetChainHandle {
  node: DevnetChain;
  rpcPort: number;
  esploraPort: number;
  rpcUrl: string;
  esploraUrl: string;
  /** Core-style `.cookie` in the data dir. */
  cookieFile: string;
  close(): Promise<void>;
}

export const DEFAULT_RPC_PORT = 18443;
export const DEFAULT_ESPLORA_PORT = 3030;

/** Opens the chain in `dataDir` and serves Bitcoin Core JSON-RPC and Esplora REST on it. */
export async function startDevnetChain(options: StartDevnetChainOptions): Promise<DevnetChainHandle> {
  if (typeof options.dataDir !== 'string' || options.dataDir.length === 0) throw new TypeError('dataDir is required');
  if (options.blockTimeMs !== undefined && !(Number.isFinite(options.blockTimeMs) && options.blockTimeMs >= 50))
    throw new RangeError('blockTimeMs must be at least 50');
  if ((options.rpcUser === undefined) !== (options.rpcPassword === undefined)) throw new TypeError('give both rpcUser and rpcPassword, or neither (cookie auth)');
  const logger = options.logger ?? pino({ name: 'devnet-chain', level: process.env.LOG_LEVEL ?? 'info' });
  logger.warn(DEVNET_WARNING);
  const node = DevnetChain.open({
    dataDir: options.dataDir,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.mempoolMinFeeSatPerVb !== undefined ? { mempoolMinFeeSatPerVb: options.mempoolMinFeeSatPerVb } : {}),
    ...(options.miningFloorSatPerVb !== undefined ? { miningFloorSatPerVb: options.miningFloorSatPerVb } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const rpc = await startRpcServer(node, {
    port: options.rpcPort ?? DEFAULT_RPC_PORT,
    host,
    cookieDir: node.dataDir!,
    logger,
    ...(options.rpcUser !== undefined ? { user: options.rpcUser, password: options.rpcPassword! } : {}),
  });
  const esplora = await startEsploraServer(node, { port: options.esploraPort ?? DEFAULT_ESPLORA_PORT, host, logger }).catch(async (e: unknown) => {
    await rpc.close();
    throw e;
  });
  let timer: NodeJS.Timeout | undefined;
  if (options.blockTimeMs !== undefined) {
    const address = node.getNewAddress('bech32', 'auto-mine');
    timer = setInterval(() => {
      try {
        node.generateToAddress(1, address);
      } catch (e) {
        logger.error({ err: e }, 'auto-mine failed');
      }
    }, options.blockTimeMs);
    timer.unref();
  }
  const displayHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    node,
    rpcPort: rpc.port,
    esploraPort: esplora.port,
    rpcUrl: `http://${displayHost}:${rpc.port}`,
    esploraUrl: `http://${displayHost}:${esplora.port}`,
    cookieFile: rpc.cookieFile!,
    close: async () => {
      if (timer) clearInterval(timer);
      await Promise.all([rpc.close(), esplora.close()]);
      node.close();
    },
  };
}
