// Runs the gateway from its build as a child process (so tests can SIGKILL it), with its own database, stream prefix
// and ports, plus the clients the tests talk to it with.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { connectMessaging, deleteStreams, ensureStreams, type Messaging } from '@tapbridge/messaging';
import { createTestDatabase, freePort, repoRoot, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { JsonRpcProvider, Network } from 'ethers';
import pg from 'pg';

export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const MAIN = path.join(repoRoot, 'apps/evm-gateway/dist/main.js');

/** Builds the gateway and what it depends on (turbo caches; a lock keeps parallel test files from racing on dist/). */
export function buildGateway(): void {
  execFileSync('flock', ['/tmp/tapbridge-evm-gateway-build.lock', 'pnpm', 'exec', 'turbo', 'run', 'build', '--filter=@tapbridge/evm-gateway', '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
}

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** One test environment: database, stream prefix and ports, shared by every gateway process a test starts. */
export class GatewayEnv {
  private child: ChildProcess | undefined;
  readonly logs: LogLine[] = [];
  provider: JsonRpcProvider;

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

  /** Starts the gateway and waits until it is ready (REST ready and JSON-RPC answering). */
  async start(overrides: Record<string, string> = {}): Promise<void> {
    if (this.child !== undefined) throw new Error('gateway already running');
    const child = spawn(process.execPath, [MAIN], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: this.db.url,
        NATS_URL,
        STREAM_PREFIX: this.prefix,
        HTTP_PORT: String(this.httpPort),
        RPC_PORT: String(this.rpcPort),
        RPC_HOST: '127.0.0.1',
        EVM_BLOCK_TIME_MS: '300',
        LOG_LEVEL: 'info',
        ...this.env,
        ...overrides,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 'raw', msg: line });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => this.logs.push({ level: 'stderr', msg: chunk.toString('utf8') }));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = waitFor(
      'the gateway to be ready',
      async () => {
        const health = await fetch(`${this.httpUrl}/health/ready`).then((r) => r.ok).catch(() => false);
        if (!health) return false;
        return (await this.rpc('eth_blockNumber', []).catch(() => undefined)) !== undefined;
      },
      30_000,
      100,
    );
    // Whichever comes first: ready, or the process gave up (start-up errors are fatal and exit).
    const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then((code) => ({ code }))]).catch(async (err: unknown) => {
      child.kill('SIGKILL');
      await exited;
      throw err;
    });
    if (outcome !== 'ready') {
      this.child = undefined;
      ready.catch(() => undefined);
      throw new Error(`gateway exited with ${outcome.code} during start-up:\n${this.tail()}`);
    }
    this.provider.destroy();
    this.provider = this.newProvider();
  }

  /** SIGKILL: no shutdown hooks run, as if the machine lost power. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
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
    await deleteStreams(this.messaging.jsm, this.messaging.naming).catch(() => undefined);
    await this.messaging.close();
    await this.pool.end();
    await this.db.drop();
  }

  private newProvider(): JsonRpcProvider {
    return new JsonRpcProvider(this.rpcUrl, Network.from(this.chainId), { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  }
}
