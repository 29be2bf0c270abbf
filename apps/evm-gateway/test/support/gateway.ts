// Runs the gateway from its build as a child process (so tests can SIGKILL it), with its own database, stream prefix
// and ports, plus the clients the tests talk to it with.
import { connectMessaging, deleteStreams, ensureStreams, type Messaging } from '@tapbridge/messaging';
import { buildApps, createTestDatabase, deleteRedisKeys, freePort, ServiceProcess, ServiceStartError, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { JsonRpcProvider, Network } from 'ethers';
import pg from 'pg';
import { serveFakeCoordinator, type CustodyAnswerMode } from './custody.js';
import { serveFakeHeaderWatcher } from './headers.js';

export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Builds the gateway and what it depends on (turbo caches unchanged packages). */
export function buildGateway(): void {
  buildApps('evm-gateway');
}

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** The gateway's JSON log lines (complete lines only), then whatever it wrote to stderr. */
function parseLogs(stdout: string, stderr: string): LogLine[] {
  const lines = stdout.split('\n');
  lines.pop(); // a line still being written
  const logs = lines.map((line): LogLine => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      return { level: 'raw', msg: line };
    }
  });
  if (stderr !== '') logs.push({ level: 'stderr', msg: stderr });
  return logs;
}

/** One test environment: database, stream prefix and ports, shared by every gateway process a test starts. */
export class GatewayEnv {
  private service: ServiceProcess | undefined;
  // Logs of the processes this environment ran before the current one (killed, or failed to start).
  private readonly earlierLogs: LogLine[] = [];
  provider: JsonRpcProvider;
  /** The header-watcher's NATS API, answered from the blocks the deposit helpers make up. */
  private readonly stopHeaderWatcher: () => void;
  /** The signing-coordinator's custody answer (support/custody.ts); a test may make it 'not_ready'. */
  custodyMode: CustodyAnswerMode = 'ready';
  private readonly stopCoordinator: () => void;

  private constructor(
    readonly db: TestDatabase,
    readonly prefix: string,
    readonly httpPort: number,
    readonly rpcPort: number,
    readonly env: Record<string, string>,
    readonly pool: pg.Pool,
    readonly messaging: Messaging,
  ) {
    this.provider = this.newProvider();
    this.stopHeaderWatcher = serveFakeHeaderWatcher(messaging);
    this.stopCoordinator = serveFakeCoordinator(messaging, () => this.custodyMode);
  }

  static async create(env: Record<string, string> = {}): Promise<GatewayEnv> {
    const db = await createTestDatabase();
    const prefix = uniquePrefix('gw');
    const messaging = await connectMessaging({ url: NATS_URL, prefix, name: 'evm-gateway-test' });
    await ensureStreams(messaging.jsm, messaging.naming);
    return new GatewayEnv(db, prefix, await freePort(), await freePort(), env, new pg.Pool({ connectionString: db.url, max: 3 }), messaging);
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.rpcPort}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get chainId(): bigint {
    return BigInt(this.env.EVM_CHAIN_ID ?? '29794');
  }

  /** Every log line of every gateway process this environment started, oldest first. */
  get logs(): LogLine[] {
    const current = this.service ? parseLogs(this.service.stdout, this.service.stderr) : [];
    return [...this.earlierLogs, ...current];
  }

  /** Starts the gateway and waits until it is ready (REST ready and JSON-RPC answering). */
  async start(overrides: Record<string, string> = {}): Promise<void> {
    if (this.service !== undefined) throw new Error('gateway already running');
    try {
      this.service = await ServiceProcess.start({
        app: 'evm-gateway',
        port: this.httpPort,
        env: {
          DATABASE_URL: this.db.url,
          NATS_URL,
          STREAM_PREFIX: this.prefix,
          RPC_PORT: String(this.rpcPort),
          RPC_HOST: '127.0.0.1',
          EVM_BLOCK_TIME_MS: '300',
          LOG_LEVEL: 'info',
          ...this.env,
          ...overrides,
        },
        ready: async () => {
          const health = await fetch(`${this.httpUrl}/health/ready`).then((r) => r.ok).catch(() => false);
          if (!health) return false;
          return (await this.rpc('eth_blockNumber', []).catch(() => undefined)) !== undefined;
        },
      });
    } catch (err) {
      // Start-up errors are fatal and exit; keep what the process said so tests can read its last words.
      if (err instanceof ServiceStartError) this.earlierLogs.push(...parseLogs(err.stdout, err.stderr));
      throw err;
    }
    this.provider.destroy();
    this.provider = this.newProvider();
  }

  /** SIGKILL: no shutdown hooks run, as if the machine lost power. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const service = this.service;
    if (service === undefined) return;
    this.service = undefined;
    await service.kill(signal);
    this.earlierLogs.push(...parseLogs(service.stdout, service.stderr));
  }

  get running(): boolean {
    return this.service !== undefined && this.service.running;
  }

  /** The running gateway's process id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.service?.child.pid;
  }

  async rpc(method: string, params: unknown[]): Promise<unknown> {
    const res = await fetch(this.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result;
  }

  async getJson<T>(route: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.httpUrl}${route}`);
    return { status: res.status, body: (await res.json()) as T };
  }

  async metric(name: string): Promise<number | undefined> {
    const text = await fetch(`${this.httpUrl}/metrics`).then((r) => r.text());
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  }

  tail(lines = 30): string {
    return this.logs.slice(-lines).map((l) => `${l.level} ${l.msg}`).join('\n');
  }

  async close(): Promise<void> {
    await this.kill('SIGTERM');
    this.provider.destroy();
    this.stopHeaderWatcher();
    this.stopCoordinator();
    await deleteStreams(this.messaging.jsm, this.messaging.naming).catch(() => undefined);
    // The gateway's rate-limit counters live under this environment's prefix; the process is stopped by now.
    await deleteRedisKeys(`${this.prefix}:*`);
    await this.messaging.close();
    await this.pool.end();
    await this.db.drop();
  }

  private newProvider(): JsonRpcProvider {
    return new JsonRpcProvider(this.rpcUrl, Network.from(this.chainId), { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  }
}
