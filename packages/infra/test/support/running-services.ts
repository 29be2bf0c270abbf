// Every service started once from its build on a throwaway test stack (own databases, stream prefix, devnet chain,
// Redis keys), so tests can read what the services really serve (e.g. /metrics).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { connectMessaging, deleteStreams } from '@tapbridge/messaging';
import { buildApps, createTestDatabase, freePort, ServiceProcess, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { Redis } from 'ioredis';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What one app needs beyond DATABASE_URL, STREAM_PREFIX, BITCOIN_NETWORK=regtest and BTC_SOURCES to start. */
type ExtraEnv = (ctx: { dataDir: string; evmRpcPort: number }) => Record<string, string>;

/**
 * The one place a new app's start-up settings go. An app not listed starts with the common settings only; if that
 * is not enough, it exits with its config error and the test shows it.
 */
const EXTRA_ENV: Record<string, ExtraEnv> = {
  'deposit-indexer': () => ({
    // Any valid regtest custody: the test reads what is exported, not what is indexed (the devnet placeholder of compose).
    CUSTODY_GROUP_KEY: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
    CUSTODY_ADDRESS: 'bcrt1p8h5fh3dp0t0yqrv7z7p9jehjargja35al299vtut97v2ct527zmsh9e7y2',
  }),
  'signing-coordinator': () => ({ COORDINATOR_HOST_KEY: randomBytes(32).toString('hex'), SIGNER_COUNT: '5', SIGNER_THRESHOLD: '3' }),
  // With BTC_SOURCES the sweep policy's view also needs the L2 (the evm-gateway, started before it).
  signer: ({ dataDir, evmRpcPort }) => ({
    SIGNER_INDEX: '1', SIGNER_COUNT: '5', SIGNER_THRESHOLD: '3', SIGNER_KEY_PASSPHRASE: 'infra test passphrase', SIGNER_DATA_DIR: dataDir,
    EVM_RPC_URL: `http://127.0.0.1:${evmRpcPort}`,
  }),
  'evm-gateway': ({ evmRpcPort }) => ({ RPC_PORT: String(evmRpcPort), EVM_BLOCK_TIME_MS: '1000' }),
  // The devnet price (set by hand) instead of three HTTP feeds; the staking contract is read from the evm-gateway.
  'stake-accounting': ({ evmRpcPort }) => ({ DEVNET: 'true', PRICE_SOURCES: 'devnet', EVM_RPC_URL: `http://127.0.0.1:${evmRpcPort}` }),
  // Its two secrets (any 32 bytes for a test run).
  'channel-service': () => ({ CHANNEL_SEED_SECRET: randomBytes(32).toString('hex'), CHANNEL_REVOCATION_SECRET: randomBytes(32).toString('hex') }),
};

export interface RunningServices {
  services: Map<string, ServiceProcess>;
  close(): Promise<void>;
}

export async function startEveryService(apps: string[]): Promise<RunningServices> {
  buildApps(...apps);
  const prefix = uniquePrefix('infra');
  const databases: TestDatabase[] = [];
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-infra-'));
  const services = new Map<string, ServiceProcess>();
  let chain: TestDevnetChain | undefined;
  const close = async () => {
    await Promise.all([...services.values()].map((s) => s.stop().catch(() => undefined)));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    const messaging = await connectMessaging({ url: NATS_URL, prefix });
    await deleteStreams(messaging.jsm, messaging.naming).catch(() => undefined);
    await messaging.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
    await chain?.close();
    fs.rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    chain = await startTestDevnetChain(10);
    const sources = `core+${chain.rpcUrl}#cookie=${chain.cookieFile},esplora+${chain.esploraUrl}`;
    const evmRpcPort = await freePort();
    // One at a time: a loaded 2-core machine starts several Node processes at once slowly enough to miss timeouts.
    for (const app of apps) {
      const db = await createTestDatabase();
      databases.push(db);
      const dataDir = path.join(dataRoot, app);
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const extra = EXTRA_ENV[app]?.({ dataDir, evmRpcPort }) ?? {};
      const env = { NATS_URL, REDIS_URL, DATABASE_URL: db.url, STREAM_PREFIX: prefix, BITCOIN_NETWORK: 'regtest', BTC_SOURCES: sources, ...extra };
      services.set(app, await ServiceProcess.start({ app, env, readyTimeoutMs: 120_000 }));
    }
    return { services, close };
  } catch (err) {
    await close();
    throw err;
  }
}
