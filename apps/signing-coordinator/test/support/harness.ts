// End-to-end harness: the built signing-coordinator and signers as child processes (so tests can kill them), each
// with its own test database, one unique stream prefix on the shared NATS, and signer data dirs in a temp folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, repoRoot, waitForPort, type TestDatabase } from '@tapbridge/testing';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const MAINS = { coordinator: 'apps/signing-coordinator/dist/main.js', signer: 'apps/signer/dist/main.js' } as const;

/** Builds both apps and what they import (turbo caches unchanged packages). */
export function buildApps(): void {
  const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@tapbridge/signer', '--filter=@tapbridge/signing-coordinator', '--output-logs=errors-only'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) throw new Error(`building the apps failed:\n${r.stdout}\n${r.stderr}`);
}

/** One service process started from its build; `restart` starts it again with the same (or changed) env. */
export class AppProcess {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    private readonly main: keyof typeof MAINS,
    private env: Record<string, string>,
    readonly port: number,
  ) {}

  async start(overrides: Record<string, string | undefined> = {}): Promise<this> {
    const env: Record<string, string> = { ...this.env };
    for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete env[k];
    else env[k] = v;
    const child = spawn(process.execPath, [path.join(repoRoot, MAINS[this.main])], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', NATS_URL, REDIS_URL, LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info', ...env, HTTP_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => this.output.push(d.toString()));
    await Promise.race([
      waitForPort(this.port, 30_000),
      this.exited.then((code) => {
        throw new Error(`${this.name} exited with ${code} before listening:\n${this.logs()}`);
      }),
    ]);
    return this;
  }

  /** SIGKILL: no graceful shutdown, in-memory state (secret nonces) is gone. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  logs(): string {
    return this.output.join('');
  }

  async request<T = unknown>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${p}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }

  get<T = unknown>(p: string) {
    return this.request<T>('GET', p);
  }
}

export interface Cluster {
  coordinator: AppProcess;
  signers: AppProcess[];
  databases: TestDatabase[];
  dataRoot: string;
  close(): Promise<void>;
}

export async function startCluster(o: { prefix: string; n: number; t: number; coordinatorHostKey: string; coordinatorPubkey: string; coordinatorEnv?: Record<string, string> }): Promise<Cluster> {
  const databases = await Promise.all(Array.from({ length: o.n + 1 }, () => createTestDatabase()));
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-signers-'));
  const common = { STREAM_PREFIX: o.prefix, SIGNER_COUNT: String(o.n), SIGNER_THRESHOLD: String(o.t) };
  const coordinator = new AppProcess('signing-coordinator', 'coordinator', {
    ...common,
    DATABASE_URL: (databases[0] as TestDatabase).url,
    COORDINATOR_HOST_KEY: o.coordinatorHostKey,
    BITCOIN_NETWORK: 'regtest',
    SIGNER_REQUEST_TIMEOUT_MS: '2000',
    SIGNER_RETRY_MS: '500',
    ATTEMPT_STALL_MS: '5000',
    HEARTBEAT_INTERVAL_MS: '2000',
    ...o.coordinatorEnv,
  }, await freePort());
  const signers: AppProcess[] = [];
  for (let i = 1; i <= o.n; i++) {
    signers.push(
      new AppProcess(`signer-${i}`, 'signer', {
        ...common,
        SIGNER_INDEX: String(i),
        DATABASE_URL: (databases[i] as TestDatabase).url,
        SIGNER_KEY_PASSPHRASE: `devnet passphrase ${i}`,
        SIGNER_DATA_DIR: path.join(dataRoot, `signer-${i}`),
        COORDINATOR_PUBKEY: o.coordinatorPubkey,
        SIGNER_ALLOW_RAW_MESSAGES: 'true',
        ANNOUNCE_INTERVAL_MS: '500',
      }, await freePort()),
    );
  }
  await Promise.all([coordinator.start(), ...signers.map((s) => s.start())]);
  return {
    coordinator,
    signers,
    databases,
    dataRoot,
    async close() {
      await Promise.all([coordinator, ...signers].map((p) => p.stop().catch(() => undefined)));
      await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
      fs.rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}
