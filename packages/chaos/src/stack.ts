// The private stack of a chaos run: its own Postgres cluster, NATS (JetStream) and Redis (infra.ts), the devnet
// chain as its own process, and every service as its own process, each reaching NATS and Postgres through a
// TcpProxy of its own so a fault can cut one service off. Started the way scripts/stack-services.sh starts the
// devnet (host keys made first and pinned both ways, DKG on start, the indexer told the custody the DKG made).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { addressToOutputScript, bytesToHex } from '@tapbridge/bitcoin';
import { buildApps, freePort, repoRoot, ServiceProcess, TcpProxy, waitFor, waitForPort } from '@tapbridge/testing';
import { childPids, makeTempRoot, NatsServer, PostgresCluster, Proc, RedisServer } from './infra.js';
import { BtcRpc, EvmRpc } from './rpc.js';
import { SERVICES, type ServiceName } from './schedule.js';

export const APPS = ['header-watcher', 'deposit-indexer', 'evm-gateway', 'signing-coordinator', 'signer', 'sweep-coordinator', 'api-gateway'] as const;

export const PAYOUT_CONFIRMATIONS = 2;
export const EVM_FINALITY_DEPTH = 2;

/** One service: its process, its own proxies to NATS and Postgres, and what it printed across restarts. */
export class Service {
  private current: ServiceProcess | undefined;
  private earlier = '';
  restarts = 0;
  /** Set while a fault holds it down (a kill-service), so the supervisor does not bring it back early. */
  held = false;
  constructor(
    readonly name: ServiceName,
    readonly app: (typeof APPS)[number],
    readonly port: number,
    readonly env: Record<string, string>,
    readonly natsProxy: TcpProxy,
    readonly pgProxy: TcpProxy,
  ) {}
  /** Set by stop(): a supervisor or a fault must not bring it back while the stack is being torn down. */
  private stopped = false;
  async start(): Promise<void> {
    if (this.stopped) throw new AbortedError();
    if (this.current) this.earlier += this.current.output;
    this.current = await ServiceProcess.start({ app: this.app, env: this.env, port: this.port, readyTimeoutMs: 300_000 });
  }
  get running(): boolean {
    return this.current?.running ?? false;
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** kill -9, as a crash. */
  async crash(): Promise<void> {
    await this.current?.kill('SIGKILL');
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.stop(5_000);
  }
  logs(): string {
    return this.earlier + (this.current?.output ?? '');
  }
  /** The last lines it printed (why it exited). */
  tail(lines = 5): string {
    return (this.current?.output ?? '').trim().split('\n').slice(-lines).join('\n');
  }
}

/** A service that exited without being killed by a fault, as a supervisor (Kubernetes, systemd) would see it. */
export interface SelfExit {
  service: ServiceName;
  atMs: number;
  lastOutput: string;
  restarted: boolean;
}

export interface Custody {
  groupKey: string;
  address: string;
  scriptPubKey: string;
}

/**
 * What a run has started so far, filled in as it starts: an interrupt during start-up (before ChaosStack.start has
 * returned) must stop all of it and delete the temp dir, not only a stack that finished starting.
 */
export interface Teardown {
  aborted: boolean;
  root?: string;
  pg?: PostgresCluster;
  nats?: NatsServer;
  redis?: RedisServer;
  stack?: ChaosStack;
}

export class AbortedError extends Error {
  constructor() {
    super('the chaos run was interrupted');
    this.name = 'AbortedError';
  }
}

const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/**
 * Stops everything `t` holds, then (`ownChildren`: only in the CLI process, where every child is the run's) kills by
 * pid whatever direct children are left — a service still starting is not yet in the stack's list — and deletes the
 * temp dir. Nothing new is started once `t.aborted` is set. Never throws.
 */
export async function tearDown(t: Teardown, ownChildren: boolean): Promise<void> {
  t.aborted = true;
  if (t.stack) await t.stack.close().catch(() => undefined);
  else {
    await t.pg?.stop().catch(() => undefined);
    await t.nats?.stop().catch(() => undefined);
    await t.redis?.stop().catch(() => undefined);
  }
  if (ownChildren) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const left = childPids(process.pid).filter(alive);
      if (left.length === 0 || Date.now() > deadline) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (t.root) fs.rmSync(t.root, { recursive: true, force: true });
}

export class ChaosStack {
  readonly services = new Map<ServiceName, Service>();
  custody!: Custody;
  btc!: BtcRpc;
  evm!: EvmRpc;
  evmRpcUrl!: string;
  /** The public API the load and the checker use: the api-gateway's /v1, or (when it cannot be built) the owning services' own public HTTP APIs. */
  api!: { mode: 'gateway' | 'services'; register: string; deposit: (txid: string, vout: number) => string; withdrawal: (id: string) => string; reserves: string };
  minerAddress!: string;
  chainProc: Proc | undefined;
  private proxies: TcpProxy[] = [];
  /** Set by close(): the boot stops starting things. */
  private closing = false;
  private constructor(
    readonly root: string,
    readonly pg: PostgresCluster,
    readonly nats: NatsServer,
    readonly redis: RedisServer,
    private readonly log: (line: string) => void,
  ) {}

  /** Everything up, or everything that was started torn down and the error rethrown. */
  static async start(o: { lyingSigner: number; log: (line: string) => void; build?: boolean; teardown?: Teardown }): Promise<ChaosStack> {
    const t: Teardown = o.teardown ?? { aborted: false };
    const check = () => {
      if (t.aborted) throw new AbortedError();
    };
    let gateway = true;
    if (o.build !== false) {
      o.log('building the apps (turbo; cached when unchanged)');
      buildApps(...APPS.filter((a) => a !== 'api-gateway'));
      try {
        buildApps('api-gateway');
      } catch (err) {
        // Reads then go to the owning services' public APIs; the report says so.
        gateway = false;
        o.log(`WARNING: the api-gateway does not build (${(err as Error).message.split('\n').slice(0, 3).join(' ')}…); using the services' own public APIs`);
      }
    } else gateway = fs.existsSync(path.join(repoRoot, 'apps/api-gateway/dist/main.js'));
    check();
    const root = makeTempRoot();
    t.root = root;
    try {
      const pg = (t.pg = await PostgresCluster.start(root));
      check();
      const nats = (t.nats = await NatsServer.start(root));
      check();
      const redis = (t.redis = await RedisServer.start());
      check();
      o.log(`private Postgres :${pg.port}, NATS :${nats.port}, Redis :${redis.port} in ${root}`);
      const stack = (t.stack = new ChaosStack(root, pg, nats, redis, o.log));
      await stack.boot(o.lyingSigner, gateway);
      check();
      return stack;
    } catch (err) {
      await tearDown(t, false);
      throw err;
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new AbortedError();
  }

  private async boot(lyingSigner: number, gateway: boolean): Promise<void> {
    // The devnet chain, from source (its own process; never killed: it is the world the bridge runs in).
    this.assertOpen();
    const chainDir = path.join(this.root, 'chain');
    const rpcPort = await freePort();
    const esploraPort = await freePort();
    const auth = `chaos:${randomBytes(8).toString('hex')}`;
    this.chainProc = new Proc('devnet-chain', spawn(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/devnet-chain/src/main.ts'], {
      cwd: repoRoot, stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '', DEVNET_DATA_DIR: chainDir, DEVNET_RPC_PORT: String(rpcPort), DEVNET_ESPLORA_PORT: String(esploraPort), DEVNET_RPC_USER: auth.split(':')[0], DEVNET_RPC_PASSWORD: auth.split(':')[1], LOG_LEVEL: 'warn' },
    }));
    await waitForPort(rpcPort, 180_000);
    await waitForPort(esploraPort, 60_000);
    this.btc = new BtcRpc(`http://127.0.0.1:${rpcPort}`, auth);
    this.minerAddress = await this.btc.call<string>('getnewaddress', ['miner', 'bech32']);
    // Mature coins for the users' deposits (coinbase maturity 100).
    await this.btc.call('generatetoaddress', [110, this.minerAddress]);
    const sources = `esplora+http://127.0.0.1:${esploraPort},core+http://${auth}@127.0.0.1:${rpcPort}`;
    this.log(`devnet chain: RPC :${rpcPort}, Esplora :${esploraPort}, 110 blocks`);

    const evmRpcPort = await freePort();
    this.evmRpcUrl = `http://127.0.0.1:${evmRpcPort}`;
    this.evm = new EvmRpc(this.evmRpcUrl);
    // The load registers every deposit from one address: the production write limit (60/min) would refuse it.
    const common = { BITCOIN_NETWORK: 'regtest', STREAM_PREFIX: 'chaos', REDIS_URL: this.redis.url, LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn', RATE_LIMIT_WRITE: '1000000' };

    // Host keys first, pinned both ways (as scripts/stack-services.sh does): `host-key` creates the encrypted key.
    const passphrase = (i: number) => `chaos signer passphrase ${i}`;
    const pubkeys: string[] = [];
    for (let i = 1; i <= 5; i++) {
      this.assertOpen();
      const dir = path.join(this.root, `signer-${i}`);
      fs.mkdirSync(dir, { mode: 0o700 });
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'apps/signer/dist/host-key.js')], {
        cwd: repoRoot, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', SIGNER_INDEX: String(i), SIGNER_DATA_DIR: dir, SIGNER_KEY_PASSPHRASE: passphrase(i) },
      });
      if (r.status !== 0) throw new Error(`signer ${i} host key: ${r.stderr}`);
      pubkeys.push(r.stdout.trim());
    }
    const coordinatorKey = secp256k1.utils.randomSecretKey();
    const coordinatorPub = bytesToHex(secp256k1.getPublicKey(coordinatorKey, true));
    const signerCommon = { SIGNER_COUNT: '5', SIGNER_THRESHOLD: '3', SIGNER_HOST_PUBKEYS: pubkeys.join(',') };

    const env = (name: ServiceName): Record<string, string> => {
      switch (name) {
        case 'evm-gateway':
          return { RPC_PORT: String(evmRpcPort), EVM_FINALITY_DEPTH: String(EVM_FINALITY_DEPTH), EVM_BLOCK_TIME_MS: '1000', EVM_DEPOSIT_MIN_CONFIRMATIONS: '1' };
        case 'header-watcher':
          return { BTC_SOURCES: `core+http://${auth}@127.0.0.1:${rpcPort}`, POLL_INTERVAL_MS: '300' };
        case 'signing-coordinator':
          return { ...signerCommon, COORDINATOR_HOST_KEY: bytesToHex(coordinatorKey), SIGNER_REQUEST_TIMEOUT_MS: '3000', SIGNER_RETRY_MS: '500', ATTEMPT_STALL_MS: '8000', HEARTBEAT_INTERVAL_MS: '2000', SIGNING_TIMEOUT_MS: '120000' };
        case 'deposit-indexer':
          return { BTC_SOURCES: sources, DEPOSIT_CONFIRMATIONS: '1', CUSTODY_GROUP_KEY: this.custody.groupKey, CUSTODY_ADDRESS: this.custody.address };
        case 'sweep-coordinator':
          return {
            BTC_SOURCES: sources, PAYOUT_CONFIRMATIONS: String(PAYOUT_CONFIRMATIONS), RBF_AFTER_BLOCKS: '2', WITHDRAWAL_STUCK_BLOCKS: '100', PIPELINE_TICK_MS: '500',
            REBROADCAST_MS: '2000', FEE_POLL_MS: '2000', RESERVES_CHECK_MS: '2000', FEE_RATE_MIN_SAT_VB: '1', FEE_RATE_MAX_SAT_VB: '100', RPC_TIMEOUT_MS: '10000', SWEEP_OUTFLOW_LIMIT_BPS: '10000',
          };
        case 'api-gateway':
          return { UPSTREAM_TIMEOUT_MS: '10000' };
        default: {
          const i = Number(name.slice('signer-'.length));
          return {
            ...signerCommon, SIGNER_INDEX: String(i), SIGNER_KEY_PASSPHRASE: passphrase(i), SIGNER_DATA_DIR: path.join(this.root, `signer-${i}`), COORDINATOR_PUBKEY: coordinatorPub,
            ANNOUNCE_INTERVAL_MS: '500', BTC_SOURCES: sources, EVM_RPC_URL: this.evmRpcUrl, EVM_FINALITY_DEPTH: String(EVM_FINALITY_DEPTH), DEPOSIT_CONFIRMATIONS: '1',
            BTC_POLL_INTERVAL_MS: '300', SWEEP_OUTFLOW_LIMIT_BPS: '10000', ...(i === lyingSigner ? { SIGNER_FAULT: 'bad-partial' } : {}),
          };
        }
      }
    };
    const make = async (name: ServiceName): Promise<Service> => {
      this.assertOpen();
      const natsProxy = await TcpProxy.start({ host: '127.0.0.1', port: this.nats.port });
      const pgProxy = await TcpProxy.start({ host: '127.0.0.1', port: this.pg.port });
      this.proxies.push(natsProxy, pgProxy);
      const db = name.replace(/-/g, '_');
      await this.pg.createDatabase(db);
      const app = (name.startsWith('signer-') ? 'signer' : name) as Service['app'];
      const s = new Service(name, app, await freePort(), {
        ...common, ...env(name), NATS_URL: `nats://127.0.0.1:${natsProxy.port}`, DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgProxy.port}/${db}`,
      }, natsProxy, pgProxy);
      this.services.set(name, s);
      return s;
    };
    // Start order of scripts/stack-services.sh, each group at once (readiness waits are 5 minutes: a loaded machine
    // starts many Node processes slowly, but one after another is slower still).
    const group = async (names: readonly ServiceName[]) => {
      const made = [];
      for (const name of names) made.push(await make(name));
      await Promise.all(made.map(async (s) => {
        this.assertOpen();
        await s.start();
        this.log(`started ${s.name}${s.name === `signer-${lyingSigner}` ? ' (SIGNER_FAULT=bad-partial: the lying signer)' : ''}`);
      }));
    };
    await group(['evm-gateway', 'header-watcher', 'signing-coordinator']);
    await group(['signer-1', 'signer-2', 'signer-3', 'signer-4', 'signer-5']);
    const coordinator = this.services.get('signing-coordinator')!;
    const custody = await waitFor('the DKG and the custody address', async () => {
      try {
        const r = await fetch(`${coordinator.url}/custody`);
        return r.ok ? ((await r.json()) as { groupKey: string; address: string }) : undefined;
      } catch {
        return undefined;
      }
    }, 600_000, 1_000);
    this.custody = { groupKey: custody.groupKey, address: custody.address, scriptPubKey: bytesToHex(addressToOutputScript(custody.address, 'regtest')) };
    this.log(`DKG done: custody ${custody.address}`);
    await group(gateway ? ['deposit-indexer', 'sweep-coordinator', 'api-gateway'] : ['deposit-indexer', 'sweep-coordinator']);
    const indexer = this.services.get('deposit-indexer')!.url;
    const sweeper = this.services.get('sweep-coordinator')!.url;
    const v1 = gateway ? `${this.services.get('api-gateway')!.url}/v1` : undefined;
    this.api = v1
      ? { mode: 'gateway', register: `${v1}/deposits`, deposit: (t, v) => `${v1}/deposits/${t}/${v}`, withdrawal: (id) => `${v1}/withdrawals/${id}`, reserves: `${v1}/reserves` }
      : { mode: 'services', register: `${indexer}/deposits`, deposit: (t, v) => `${indexer}/deposits/${t}/${v}`, withdrawal: (id) => `${sweeper}/withdrawals/${id}`, reserves: `${sweeper}/reserves` };
    for (const name of SERVICES) if (!this.services.has(name) && (gateway || name !== 'api-gateway')) throw new Error(`service ${name} was not started`);
  }

  /**
   * Restarts services that exited by themselves (a production supervisor would), every 2 s, and records each exit:
   * a service that dies of a short outage is worth knowing about even when the restart heals it.
   */
  supervise(runStart: number, onExit: (e: SelfExit) => void): () => void {
    let stopped = false;
    let busy = false;
    const timer = setInterval(() => {
      if (stopped || busy) return;
      busy = true;
      void (async () => {
        for (const s of this.services.values()) {
          if (stopped || this.closing || s.held || s.running) continue;
          const exit: SelfExit = { service: s.name, atMs: Date.now() - runStart, lastOutput: s.tail(40), restarted: false };
          try {
            await s.start();
            exit.restarted = true;
          } catch {
            // tried again at the next round
          }
          onExit(exit);
        }
      })().finally(() => (busy = false));
    }, 2_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  service(name: ServiceName): Service {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  }

  /** Every service's output (warn level and above), for a failing run's evidence. */
  saveLogs(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const s of this.services.values()) fs.writeFileSync(path.join(dir, `${s.name}.log`), s.logs());
  }

  /** Stops everything it started and deletes the temp root; never throws. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.services.values()].map((s) => s.stop().catch(() => undefined)));
    await Promise.all(this.proxies.map((p) => p.close().catch(() => undefined)));
    await this.chainProc?.kill('SIGKILL').catch(() => undefined);
    await this.nats.stop().catch(() => undefined);
    await this.redis.stop().catch(() => undefined);
    await this.pg.stop().catch(() => undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
