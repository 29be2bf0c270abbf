// The channel service in process for e2e tests: its own test database and stream prefix, the stand-in coordinator
// with five real FROST signers, a devnet chain served over Esplora, and (for the shared service) the real L2: the
// evm-gateway from its build on the same stream prefix, which applies the service's channel.system.call (payments
// credited, returns burned as L2 BTC) and answers rpc.evm.system_call.get / rpc.evm.supply.get.
import type { INestApplication } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { taprootOutput } from '@tapbridge/bitcoin';
import { loadConfig } from '@tapbridge/config';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { connectMessaging, deleteStreams, type Messaging } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { buildApps, createTestDatabase, freePort, ServiceProcess, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { fileURLToPath } from 'node:url';
import { AppModule } from '../../src/app.module.js';
import { WatchService } from '../../src/channels/watch.service.js';
import { channelServiceConfig } from '../../src/config.js';
import { TestCoordinator } from './coordinator.js';
import { secret } from './user.js';

export const CHALLENGE = 10;
export const PENALTY_FEE = 600n;
export const custodyPayout = taprootOutput(schnorr.getPublicKey(secret('custody payout'))).scriptPubKey;

export interface Service {
  runtime: ServiceRuntime;
  app: INestApplication;
  base: string;
  watch: WatchService;
  client: Messaging;
  coordinator: TestCoordinator;
  db: TestDatabase;
  prefix: string;
  stopped: boolean;
  /** The L2 (evm-gateway) when started with one. */
  l2?: L2;
}

export interface L2 {
  gateway: ServiceProcess;
  db: TestDatabase;
  rpcUrl: string;
}

/** The evm-gateway from its build on the service's stream prefix (its own database), ready once JSON-RPC answers. */
async function startL2(prefix: string): Promise<L2> {
  buildApps('evm-gateway');
  const db = await createTestDatabase();
  const rpcPort = await freePort();
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  const gateway = await ServiceProcess.start({
    app: 'evm-gateway',
    env: { DATABASE_URL: db.url, STREAM_PREFIX: prefix, RPC_PORT: String(rpcPort), RPC_HOST: '127.0.0.1', EVM_BLOCK_TIME_MS: '300', EVM_FINALITY_DEPTH: '1', LOG_LEVEL: 'warn' },
    ready: async () => (await l2Rpc(rpcUrl, 'eth_blockNumber', []).catch(() => undefined)) !== undefined,
    readyTimeoutMs: 120_000,
  });
  return { gateway, db, rpcUrl };
}

export async function l2Rpc(rpcUrl: string, method: string, params: unknown[]): Promise<unknown> {
  const r = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** An address's L2 balance in satoshis (wei / 10^10). */
export const l2BalanceSats = async (l2: L2, address: string): Promise<bigint> => BigInt((await l2Rpc(l2.rpcUrl, 'eth_getBalance', [address, 'latest'])) as string) / 10_000_000_000n;

export async function startService(chain: TestDevnetChain, o: { l2?: boolean } = {}): Promise<Service> {
  const db = await createTestDatabase();
  const prefix = uniquePrefix('chn');
  // Started first: its streams and consumer exist before the service publishes.
  const l2 = o.l2 ? await startL2(prefix) : undefined;
  try {
    return await startChannelService(chain, db, prefix, l2);
  } catch (err) {
    // A start that fails half way leaves no gateway process or database behind.
    await l2?.gateway.stop().catch(() => undefined);
    await l2?.db.drop().catch(() => undefined);
    throw err;
  }
}

async function startChannelService(chain: TestDevnetChain, db: TestDatabase, prefix: string, l2: L2 | undefined): Promise<Service> {
  const config = loadConfig(channelServiceConfig, {
    DATABASE_URL: db.url, NATS_URL: process.env.NATS_URL, REDIS_URL: process.env.REDIS_URL, STREAM_PREFIX: prefix, LOG_LEVEL: 'silent',
    BITCOIN_NETWORK: 'regtest', BTC_SOURCES: `esplora+${chain.esploraUrl}`,
    CHANNEL_SEED_SECRET: bytesToHex(secret('seed')), CHANNEL_REVOCATION_SECRET: bytesToHex(secret('revocation')),
    CHANNEL_CHALLENGE_PERIOD: String(CHALLENGE), CHANNEL_COMMITMENT_FEE: '1000', CHANNEL_PENALTY_FEE: PENALTY_FEE.toString(), CHANNEL_MIN_CONFIRMATIONS: '1',
    CHANNEL_CUSTODY_PAYOUT_SCRIPT: bytesToHex(custodyPayout),
    // Passes are driven by the tests (WatchService.pass); the loop's own first pass runs at start.
    WATCH_INTERVAL_MS: '3600000', SIGNING_TIMEOUT_MS: '300000', RPC_TIMEOUT_MS: '60000',
  });
  const client = await connectMessaging({ url: config.NATS_URL, prefix });
  const coordinator = await TestCoordinator.start(client);
  const runtime = await ServiceRuntime.start({
    service: 'channel-service', schema: 'channel_service', databaseUrl: db.url, natsUrl: config.NATS_URL, redisUrl: config.REDIS_URL, streamPrefix: prefix,
    logger: createLogger('channel-service-test', { level: 'silent' }), migrationsDir: fileURLToPath(new URL('../../prisma/migrations', import.meta.url)),
  });
  const port = await freePort();
  const app = await bootstrapService({ module: AppModule.forRoot(config, runtime), runtime, port, host: '127.0.0.1', title: 'channel-service test' });
  return { runtime, app, base: `http://127.0.0.1:${port}`, watch: app.get(WatchService), client, coordinator, db, prefix, stopped: false, ...(l2 ? { l2 } : {}) };
}

export async function stopService(s: Service): Promise<void> {
  if (s.stopped) return;
  s.stopped = true;
  s.coordinator.stop();
  await s.app.close();
  if (s.l2) {
    await s.l2.gateway.stop();
    await s.l2.db.drop();
  }
  await deleteStreams(s.runtime.messaging.jsm, s.runtime.messaging.naming).catch(() => undefined);
  // The rate limiter's counters live under the run's prefix.
  await s.runtime.redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${s.prefix}:*`);
  await s.runtime.close();
  await s.client.close();
}

export interface Harness {
  chain: TestDevnetChain;
  svc: Service;
  /** Runs watch passes until the channel's funding is proven and its L2 account open. */
  openUntilProven(channelId: string): Promise<void>;
  stopService(): Promise<void>;
}

export async function setup(): Promise<Harness> {
  const chain = await startTestDevnetChain(101);
  const svc = await startService(chain, { l2: true });
  return {
    chain,
    svc,
    async openUntilProven(channelId) {
      for (let i = 0; i < 60; i++) {
        const c = await svc.app.get(WatchService).pass().then(() => fetch(`${svc.base}/v1/channels/${channelId}`)).then((r) => r.json() as Promise<{ status: string }>);
        if (c.status === 'open') return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`channel ${channelId} did not open`);
    },
    stopService: () => stopService(svc),
  };
}

export async function teardown(h: Harness | undefined): Promise<void> {
  if (!h) return;
  await stopService(h.svc);
  await h.svc.db.drop();
  await h.chain.close();
}

export const mine = (h: Harness, n = 1): void => void h.chain.node.generateToAddress(n, h.chain.address);

export const paidTo = (h: Harness, txid: string, script: Uint8Array): bigint =>
  h.chain.node.lookupTransaction(txid)!.tx.outs.filter((o) => bytesToHex(o.script) === bytesToHex(script)).reduce((s, o) => s + o.value, 0n);
