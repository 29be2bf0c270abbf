// End-to-end harness: the built header-watcher and deposit-indexer as child processes against one test database
// (each in its own schema), a unique JetStream prefix and an in-process devnet chain; plus a stream reader.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevnetChain, type DevnetChainHandle } from '@tapbridge/devnet-chain';
import { connectMessaging, type Messaging, type StreamName } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { freePort, repoRoot, uniquePrefix, waitForPort } from '@tapbridge/testing';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const APPS = { 'header-watcher': 'apps/header-watcher/dist/main.js', 'deposit-indexer': 'apps/deposit-indexer/dist/main.js' } as const;
export type AppName = keyof typeof APPS;

/** Builds both apps and what they import (turbo caches unchanged packages). */
export function buildApps(): void {
  if (process.env.DEPOSIT_INDEXER_SKIP_BUILD === '1' && Object.values(APPS).every((p) => fs.existsSync(path.join(repoRoot, p)))) return;
  const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@tapbridge/header-watcher', '--filter=@tapbridge/deposit-indexer', '--output-logs=errors-only'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building the apps failed:\n${r.stdout}\n${r.stderr}`);
}

export async function startChain(blocks: number): Promise<DevnetChainHandle & { address: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-di-chain-'));
  const handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, logger: createLogger('devnet-chain', { level: 'silent' }) });
  const address = handle.node.getNewAddress('bech32');
  if (blocks > 0) handle.node.generateToAddress(blocks, address);
  return Object.assign(handle, { address });
}

/** One service process, started from its build. */
export class ServiceProcess {
  readonly output: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => this.output.push(d.toString()));
  }

  static async start(app: AppName, env: Record<string, string>): Promise<ServiceProcess> {
    const port = Number(env.HTTP_PORT ?? (await freePort()));
    const child = spawn(process.execPath, [path.join(repoRoot, APPS[app])], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', NATS_URL, REDIS_URL, BITCOIN_NETWORK: 'regtest', POLL_INTERVAL_MS: '100', LOG_LEVEL: 'info', ...env, HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new ServiceProcess(child, port);
    await Promise.race([
      waitForPort(port, 30_000),
      p.exited.then((code) => {
        throw new Error(`${app} exited with ${code} before listening:\n${p.output.join('')}`);
      }),
    ]);
    return p;
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

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export interface StreamEvent {
  seq: number;
  id: string;
  subject: string;
  payload: Record<string, unknown>;
}

/** Everything on one of the prefix's streams, in stream order. */
export async function readStream(messaging: Messaging, name: StreamName): Promise<StreamEvent[]> {
  const stream = messaging.naming.stream(name);
  let info;
  try {
    info = await messaging.jsm.streams.info(stream);
  } catch {
    return [];
  }
  const out: StreamEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await messaging.jsm.streams.getMessage(stream, { seq });
    if (!m) continue;
    out.push({ seq, id: m.header.get('Nats-Msg-Id'), subject: messaging.naming.unprefix(m.subject), payload: JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown> });
  }
  return out;
}

export async function connectStream(): Promise<{ prefix: string; messaging: Messaging }> {
  const prefix = uniquePrefix('di');
  return { prefix, messaging: await connectMessaging({ url: NATS_URL, prefix }) };
}
