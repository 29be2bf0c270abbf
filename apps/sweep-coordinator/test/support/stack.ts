// The whole bridge for the sweep pipeline's end-to-end tests, as real processes on real Postgres, NATS and Redis:
// an in-process devnet chain; the signing-coordinator and 5 signers (t = 3, DKG on start; the signers then run with
// their own Bitcoin and L2 view for the sweep policy); header-watcher, deposit-indexer, evm-gateway; and the
// sweep-coordinator under test. Helpers deposit BTC to a user's L2 address, burn it back to a Bitcoin address, and mine.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addressToOutputScript, buildOpReturnDepositScript, bytesToHex, depositAddress, hexToBytes, NUMS_INTERNAL_KEY } from '@tapbridge/bitcoin';
import { signP2wpkhInput } from '@tapbridge/devnet-chain';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { Transaction } from 'bitcoinjs-lib';
import { BRIDGE_ABI, BRIDGE_ADDRESS, WEI_PER_SAT } from '@tapbridge/evm';
import { connectMessaging, deleteStreams, request, type Messaging } from '@tapbridge/messaging';
import { generateHostKey, hostPublicKey, sealKeyFile } from '@tapbridge/signing';
import { buildApps, createTestDatabase, deleteRedisKeys, freePort, ServiceProcess, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { Contract, JsonRpcProvider, Wallet, type ContractTransactionResponse, type InterfaceAbi } from 'ethers';
import { z } from 'zod';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function buildStack(): void {
  buildApps('signing-coordinator', 'signer', 'header-watcher', 'deposit-indexer', 'evm-gateway', 'sweep-coordinator');
}

/** One app from its build; `restart` stops (or, with kill, SIGKILLs) it and starts it again with changed env. */
export class App {
  private current: ServiceProcess | undefined;
  private earlier = '';
  constructor(
    readonly app: string,
    private env: Record<string, string>,
    readonly port: number,
  ) {}
  async start(overrides: Record<string, string | undefined> = {}): Promise<this> {
    for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete this.env[k];
    else this.env[k] = v;
    if (this.current) this.earlier += this.current.output;
    this.current = await ServiceProcess.start({ app: this.app, env: { NATS_URL, REDIS_URL, ...this.env }, port: this.port, readyTimeoutMs: 90_000 });
    return this;
  }
  get running(): boolean {
    return this.current?.running ?? false;
  }
  /** Resolves when the process has exited (a crash point kills it). */
  async exited(timeoutMs: number): Promise<void> {
    await waitFor(`${this.app} to exit`, () => !this.running, timeoutMs, 100);
  }
  async kill(): Promise<void> {
    await this.current?.kill('SIGKILL');
  }
  async stop(): Promise<void> {
    await this.current?.stop();
  }
  logs(): string {
    return this.earlier + (this.current?.output ?? '');
  }
  get<T = unknown>(p: string) {
    return this.current!.get<T>(p);
  }
  request<T = unknown>(method: string, p: string, body?: unknown) {
    return this.current!.request<T>(method, p, body);
  }
}

const custodySchema = z.object({ groupKey: z.string(), outputKey: z.string(), address: z.string(), scriptPubKey: z.string() }).passthrough();
export type Custody = z.infer<typeof custodySchema>;

export interface Cluster {
  coordinator: App;
  signers: App[];
  dataRoot: string;
}

const N = 5;
const T = 3;

/**
 * The signing-coordinator and N signers (t = T), as an operator provisions them: each signer's host key made first,
 * so both sides start with real pins (as apps/signing-coordinator/test/support/harness.ts does); the signers get
 * their own Bitcoin sources and L2 node for the sweep policy. DKG runs on start.
 */
async function startSigners(o: { prefix: string; db: () => Promise<string>; up: (a: App) => Promise<App>; signerEnv: Record<string, string> }): Promise<Cluster> {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-sweep-signers-'));
  const passphrase = (i: number) => `devnet passphrase ${i}`;
  const pubkeys: string[] = [];
  for (let i = 1; i <= N; i++) {
    const seckey = generateHostKey();
    const dir = path.join(dataRoot, `signer-${i}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'host.key'), await sealKeyFile({ kind: 'host-key', signerIndex: i, groupKey: null, secret: seckey }, passphrase(i)), { mode: 0o600 });
    pubkeys.push(bytesToHex(hostPublicKey(seckey)));
  }
  const coordinatorKey = generateHostKey();
  const common = { STREAM_PREFIX: o.prefix, SIGNER_COUNT: String(N), SIGNER_THRESHOLD: String(T), BITCOIN_NETWORK: 'regtest', SIGNER_HOST_PUBKEYS: pubkeys.join(',') };
  const coordinator = new App('signing-coordinator', {
    ...common, DATABASE_URL: await o.db(), COORDINATOR_HOST_KEY: bytesToHex(coordinatorKey),
    SIGNER_REQUEST_TIMEOUT_MS: '3000', SIGNER_RETRY_MS: '500', ATTEMPT_STALL_MS: '8000', HEARTBEAT_INTERVAL_MS: '2000', SIGNING_TIMEOUT_MS: '60000',
  }, await freePort());
  const signers: App[] = [];
  for (let i = 1; i <= N; i++)
    signers.push(new App('signer', {
      ...common, ...o.signerEnv, SIGNER_INDEX: String(i), DATABASE_URL: await o.db(), SIGNER_KEY_PASSPHRASE: passphrase(i), SIGNER_DATA_DIR: path.join(dataRoot, `signer-${i}`),
      COORDINATOR_PUBKEY: bytesToHex(hostPublicKey(coordinatorKey)), ANNOUNCE_INTERVAL_MS: '500',
    }, await freePort()));
  // One at a time: a loaded machine starts six Node processes at once slowly enough to miss readiness timeouts.
  await o.up(coordinator);
  for (const s of signers) await o.up(s);
  return { coordinator, signers, dataRoot };
}

export interface Stack {
  chain: TestDevnetChain;
  prefix: string;
  messaging: Messaging;
  cluster: Cluster;
  custody: Custody;
  watcher: App;
  indexer: App;
  gateway: App;
  sweeper: App;
  provider: JsonRpcProvider;
  rpcUrl: string;
  close(): Promise<void>;
}

export const SWEEPER_ENV = {
  PAYOUT_CONFIRMATIONS: '2',
  RBF_AFTER_BLOCKS: '2',
  WITHDRAWAL_STUCK_BLOCKS: '50',
  PIPELINE_TICK_MS: '500',
  REBROADCAST_MS: '2000',
  FEE_POLL_MS: '2000',
  RESERVES_CHECK_MS: '2000',
  FEE_RATE_MIN_SAT_VB: '1',
  FEE_RATE_MAX_SAT_VB: '100',
  RPC_TIMEOUT_MS: '10000',
};

/**
 * `outflowLimitBps`: the signers' SWEEP_OUTFLOW_LIMIT_BPS, and the sweeper's (one setting, both sides). By default
 * 10000 (no limit): most tests pay out most of what came in within minutes.
 */
export async function startStack(o: { sweeperEnv?: Record<string, string>; signerEnv?: Record<string, string>; outflowLimitBps?: number } = {}): Promise<Stack> {
  const outflow = String(o.outflowLimitBps ?? 10_000);
  const chain = await startTestDevnetChain(110);
  const prefix = uniquePrefix('sw');
  const messaging = await connectMessaging({ url: NATS_URL, prefix });
  const databases: TestDatabase[] = [];
  const db = async () => {
    const d = await createTestDatabase();
    databases.push(d);
    return d.url;
  };
  const sources = `esplora+${chain.esploraUrl},core+${chain.rpcUrl}#cookie=${chain.cookieFile}`;
  const rpcPort = await freePort();
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  const common = { STREAM_PREFIX: prefix, BITCOIN_NETWORK: 'regtest' };
  const started: App[] = [];
  const up = async (app: App) => {
    started.push(app);
    return app.start();
  };
  let dataRoot: string | undefined;
  try {
    const gateway = await up(new App('evm-gateway', { ...common, DATABASE_URL: await db(), RPC_PORT: String(rpcPort), EVM_FINALITY_DEPTH: '1', EVM_BLOCK_TIME_MS: '300', EVM_DEPOSIT_MIN_CONFIRMATIONS: '1' }, await freePort()));
    const watcher = await up(new App('header-watcher', { ...common, DATABASE_URL: await db(), BTC_SOURCES: `core+${chain.rpcUrl}#cookie=${chain.cookieFile}`, POLL_INTERVAL_MS: '200' }, await freePort()));
    const cluster = await startSigners({ prefix, db, up, signerEnv: {
      BTC_SOURCES: sources, EVM_RPC_URL: rpcUrl, EVM_FINALITY_DEPTH: '1', DEPOSIT_CONFIRMATIONS: '1', BTC_POLL_INTERVAL_MS: '300',
      SWEEP_OUTFLOW_LIMIT_BPS: outflow, ...o.signerEnv,
    } });
    dataRoot = cluster.dataRoot;
    const custody = await waitFor('the DKG and the custody address', async () => {
      try {
        return await request(messaging, 'signing.custody.get', {}, { response: custodySchema, timeoutMs: 3_000 });
      } catch {
        return undefined;
      }
    }, 240_000, 1_000);
    const indexer = await up(new App('deposit-indexer', {
      ...common, DATABASE_URL: await db(), BTC_SOURCES: sources, DEPOSIT_CONFIRMATIONS: '1', CUSTODY_GROUP_KEY: custody.groupKey, CUSTODY_ADDRESS: custody.address,
    }, await freePort()));
    const sweeper = await up(new App('sweep-coordinator', { ...common, DATABASE_URL: await db(), BTC_SOURCES: sources, EVM_RPC_URL: rpcUrl, EVM_FINALITY_DEPTH: '1', ...SWEEPER_ENV, SWEEP_OUTFLOW_LIMIT_BPS: outflow, ...o.sweeperEnv }, await freePort()));
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 200 });
    return {
      chain, prefix, messaging, cluster, custody, watcher, indexer, gateway, sweeper, provider, rpcUrl,
      async close() {
        provider.destroy();
        await teardown();
      },
    };
  } catch (err) {
    await teardown();
    throw err;
  }

  async function teardown(): Promise<void> {
    await Promise.all(started.map((a) => a.stop().catch(() => undefined)));
    if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    await deleteStreams(messaging.jsm, messaging.naming).catch(() => undefined);
    await messaging.close();
    // Every Redis key the stack made: BullMQ (`<prefix>:bull:*`) and the rate limiter (`<prefix>:throttle:*`); the prefix is this stack's own.
    await deleteRedisKeys(`${prefix}:*`, REDIS_URL).catch(() => undefined);
    await chain.close();
  }
}

/** Mines one block to the devnet wallet. */
export const mine = (stack: Stack, n = 1): string[] => stack.chain.node.generateToAddress(n, stack.chain.address);

/** Mines a block every `everyMs` until `check` returns a value. */
export async function mineUntil<T>(stack: Stack, what: string, check: () => Promise<T | undefined | false>, timeoutMs = 240_000, everyMs = 1_500): Promise<T> {
  let last = 0;
  return waitFor(what, async () => {
    const r = await check();
    if (r !== undefined && r !== false) return r;
    if (Date.now() - last >= everyMs) {
      mine(stack);
      last = Date.now();
    }
    return undefined;
  }, timeoutMs, 200);
}

export interface User {
  wallet: Wallet;
  /** Where this user's BTC comes back to (a devnet wallet address) and its scriptPubKey. */
  btcAddress: string;
  btcScript: string;
}

export function newUser(stack: Stack): User {
  const wallet = new Wallet(`0x${randomBytes(32).toString('hex')}`, stack.provider);
  const btcAddress = stack.chain.node.getNewAddress('bech32');
  return { wallet, btcAddress, btcScript: bytesToHex(addressToOutputScript(btcAddress, 'regtest')) };
}

export interface DepositRef {
  txid: string;
  vout: number;
  amountSats: bigint;
}

/** Pays a per-deposit address for `user`, registers it with the indexer; mine afterwards to confirm it. */
export async function deposit(stack: Stack, user: User, amountSats: bigint, maxFee = 20_000n): Promise<DepositRef> {
  // Nobody reclaims in these tests: any valid x-only key will do for the reclaim leaf.
  const reclaimKey = NUMS_INTERNAL_KEY;
  const addr = depositAddress({ network: 'regtest', groupKey: hexToBytes(stack.custody.groupKey), recipient: user.wallet.address, maxFee, reclaimKey, lockBlocks: 500 });
  const txid = stack.chain.node.sendToAddress(addr.address, amountSats);
  const tx = stack.chain.node.lookupTransaction(txid)!.tx;
  const vout = tx.outs.findIndex((o) => Buffer.from(o.script).toString('hex') === bytesToHex(addr.scriptPubKey));
  if (vout < 0) throw new Error('deposit output not found');
  const res = await stack.indexer.request('POST', '/deposits', { txid, vout, depositScript: bytesToHex(addr.depositLeaf.script), reclaimScript: bytesToHex(addr.reclaimLeaf.script) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { txid, vout, amountSats };
}

/**
 * A simple-form deposit: `amountSats` to the custody address itself plus `OP_RETURN <recipient>` (no registration:
 * the indexer finds it by the custody script). Funded from a fresh devnet wallet key; mine afterwards to confirm it.
 */
export function opReturnDeposit(stack: Stack, recipient: string, amountSats: bigint): DepositRef {
  const node = stack.chain.node;
  const fee = 2_000n;
  const funding = node.getNewAddress('bech32');
  const fundingTxid = node.sendToAddress(funding, amountSats + fee);
  const fundingTx = node.lookupTransaction(fundingTxid)!.tx;
  const fundingScript = node.decodeAddress(funding);
  const fundingVout = fundingTx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(fundingScript));
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(Uint8Array.from(hexToBytes(fundingTxid)).reverse(), fundingVout, 0xfffffffd);
  tx.addOutput(hexToBytes(stack.custody.scriptPubKey), amountSats);
  tx.addOutput(buildOpReturnDepositScript({ recipient }), 0n);
  tx.setWitness(0, signP2wpkhInput(tx, 0, node.dumpPrivKey(funding), amountSats + fee));
  const txid = node.sendRawTransaction(tx.toHex());
  return { txid, vout: 0, amountSats };
}

/** The L2 balance, in whole sats (rounded down). */
export async function l2Sats(stack: Stack, address: string): Promise<bigint> {
  return (await stack.provider.getBalance(address)) / WEI_PER_SAT;
}

/** Burns `amountSats` through the bridge to the user's Bitcoin address; returns the withdrawal id. */
export async function withdraw(user: User, amountSats: bigint, maxFeeSats = 20_000n): Promise<string> {
  const bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI as InterfaceAbi, user.wallet);
  let tx: ContractTransactionResponse | undefined;
  for (let attempt = 1; !tx; attempt++) {
    // The nonce of the mined state: a 'pending' count served just after a block can lag by one.
    const nonce = await user.wallet.provider!.getTransactionCount(user.wallet.address, 'latest');
    try {
      tx = (await bridge.getFunction('withdraw')(`0x${user.btcScript}`, maxFeeSats, { value: amountSats * WEI_PER_SAT, nonce })) as ContractTransactionResponse;
    } catch (err) {
      if (attempt >= 5 || !/nonce/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const receipt = (await tx.wait())!;
  const event = receipt.logs.map((l) => bridge.interface.parseLog(l)).find((l) => l?.name === 'WithdrawalRequested');
  if (!event) throw new Error('no WithdrawalRequested');
  return (event.args[0] as bigint).toString();
}

export interface WithdrawalBody {
  id: string;
  status: string;
  txid?: string;
  vout?: number;
  amountSats: string;
  feeSats?: string;
  amountReceivedSats?: string;
  confirmations: number;
  waitingReason?: string;
}

export interface SweepBody {
  txid: string;
  status: string;
  version: number;
  familyId: number;
  withdrawalIds: string[];
  payouts: Array<{ withdrawalId: string; vout: number; scriptPubKey: string; paidSats: string }>;
  deposits: Array<{ txid: string; vout: number; amountSats: string }>;
  custodyInput: { txid: string; vout: number } | null;
  custodyOutputSats: string;
  feeSats: string;
  rawTransaction: string | null;
  block: { hash: string; height: number } | null;
}
