// End-to-end harness: the built signing-coordinator and signers as child processes (so tests can kill them), each
// with its own test database, one unique stream prefix on the shared NATS, and signer data dirs in a temp folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiKey, withApiKeyDatabase } from '@tapbridge/runtime';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateHostKey, hostPublicKey, sealKeyFile } from '@tapbridge/signing';
import { buildApps as buildAppsFromSource, createTestDatabase, freePort, ServiceProcess, type TestDatabase } from '@tapbridge/testing';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const APPS = { coordinator: 'signing-coordinator', signer: 'signer' } as const;

/** Builds both apps and what they import (turbo caches unchanged packages). */
export function buildApps(): void {
  buildAppsFromSource('signer', 'signing-coordinator');
}

/** One service started from its build on a fixed port; `start` again restarts it with the same (or changed) env. */
export class AppProcess {
  private current: ServiceProcess | undefined;
  /** Started with env overrides (a fault, a policy): not the process the cluster was configured with. */
  private overridden = false;
  // Output of earlier runs, so logs() covers every restart.
  private earlierOutput = '';
  /** Sent with every request (the coordinator's API key for POST /signatures). */
  headers: Record<string, string> = {};

  constructor(
    readonly name: string,
    private readonly main: keyof typeof APPS,
    private env: Record<string, string>,
    readonly port: number,
  ) {}

  async start(overrides: Record<string, string | undefined> = {}): Promise<this> {
    const env: Record<string, string> = { NATS_URL, REDIS_URL, ...this.env };
    for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete env[k];
    else env[k] = v;
    if (this.current) this.earlierOutput += this.current.output;
    this.current = undefined;
    this.overridden = Object.keys(overrides).length > 0;
    try {
      // Generous: signers derive two scrypt (N = 2^17) keys at start, and the test machine may be loaded (120 s ran
      // out for a signer restart at a load of 28).
      this.current = await ServiceProcess.start({ app: APPS[this.main], env, port: this.port, readyTimeoutMs: 300_000 });
    } catch (err) {
      throw new Error(`${this.name} did not start: ${(err as Error).message}`, { cause: err });
    }
    return this;
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  /** Running with its configured env: restarted if it is down or was started with overrides (a test's fault). */
  async asConfigured(): Promise<void> {
    if (this.running && !this.overridden) return;
    await this.kill();
    await this.start();
  }

  /** SIGKILL: no graceful shutdown, in-memory state (secret nonces) is gone. */
  async kill(): Promise<void> {
    await this.current?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.current?.stop();
  }

  logs(): string {
    return this.earlierOutput + (this.current?.output ?? '');
  }

  async request<T = unknown>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    if (!this.current) throw new Error(`${this.name} was never started`);
    return this.current.request<T>(method, p, body, this.headers);
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
  /** An API key with scope signatures:create in the coordinator's database. */
  apiKey: string;
  close(): Promise<void>;
}

export const signerPassphrase = (i: number) => `devnet passphrase ${i}`;

/**
 * Creates each signer's host key file up front (as an operator would before the first start), so both sides can be
 * given the real pins: SIGNER_HOST_PUBKEYS on the coordinator and every signer, COORDINATOR_PUBKEY on the signers.
 */
async function provisionHostKeys(dataRoot: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, k) => {
      const i = k + 1;
      const seckey = generateHostKey();
      const dir = path.join(dataRoot, `signer-${i}`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'host.key'), await sealKeyFile({ kind: 'host-key', signerIndex: i, groupKey: null, secret: seckey }, signerPassphrase(i)), { mode: 0o600 });
      return bytesToHex(hostPublicKey(seckey));
    }),
  );
}

export async function startCluster(o: { prefix: string; n: number; t: number; coordinatorHostKey: string; coordinatorPubkey: string; coordinatorEnv?: Record<string, string> }): Promise<Cluster> {
  const databases = await Promise.all(Array.from({ length: o.n + 1 }, () => createTestDatabase()));
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-signers-'));
  const hostPubkeys = (await provisionHostKeys(dataRoot, o.n)).join(',');
  const common = { STREAM_PREFIX: o.prefix, SIGNER_COUNT: String(o.n), SIGNER_THRESHOLD: String(o.t), BITCOIN_NETWORK: 'regtest', SIGNER_HOST_PUBKEYS: hostPubkeys };
  const coordinator = new AppProcess('signing-coordinator', 'coordinator', {
    ...common,
    DATABASE_URL: (databases[0] as TestDatabase).url,
    COORDINATOR_HOST_KEY: o.coordinatorHostKey,
    SIGNER_REQUEST_TIMEOUT_MS: '2000',
    SIGNER_RETRY_MS: '500',
    ATTEMPT_STALL_MS: '5000',
    HEARTBEAT_INTERVAL_MS: '2000',
    ...o.coordinatorEnv,
  }, await freePort());
  const { key: apiKey } = await withApiKeyDatabase((databases[0] as TestDatabase).url, (db) => createApiKey(db, { name: 'e2e', scopes: ['signatures:create'] }));
  coordinator.headers = { 'x-api-key': apiKey };
  const signers: AppProcess[] = [];
  for (let i = 1; i <= o.n; i++) {
    signers.push(
      new AppProcess(`signer-${i}`, 'signer', {
        ...common,
        SIGNER_INDEX: String(i),
        DATABASE_URL: (databases[i] as TestDatabase).url,
        SIGNER_KEY_PASSPHRASE: signerPassphrase(i),
        SIGNER_DATA_DIR: path.join(dataRoot, `signer-${i}`),
        COORDINATOR_PUBKEY: o.coordinatorPubkey,
        // Regtest only (refused on any other network): the tests sign raw 32-byte messages.
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
    apiKey,
    async close() {
      await Promise.all([coordinator, ...signers].map((p) => p.stop().catch(() => undefined)));
      await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
      fs.rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}
