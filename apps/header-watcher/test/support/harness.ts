// End-to-end harness: the built watcher as a child process against a test database, a unique JetStream prefix and
// an in-process devnet chain, plus a reader for what reached the stream.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevnetChain, type DevnetChainHandle } from '@tapbridge/devnet-chain';
import { connectMessaging, type Messaging } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { freePort, repoRoot, uniquePrefix, waitFor, waitForPort } from '@tapbridge/testing';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP = path.join(repoRoot, 'apps/header-watcher/dist/main.js');

/** Builds the app and what it imports (turbo caches unchanged packages). */
export function buildApp(): void {
  if (process.env.HEADER_WATCHER_SKIP_BUILD === '1' && fs.existsSync(APP)) return;
  const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@tapbridge/header-watcher', '--output-logs=errors-only'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building header-watcher failed:\n${r.stdout}\n${r.stderr}`);
}

export async function startChain(blocks: number): Promise<DevnetChainHandle & { address: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-hw-chain-'));
  const handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, logger: createLogger('devnet-chain', { level: 'silent' }) });
  const address = handle.node.getNewAddress('bech32');
  if (blocks > 0) handle.node.generateToAddress(blocks, address);
  return Object.assign(handle, { address });
}

export class Watcher {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => this.output.push(d.toString()));
  }

  static async start(env: Record<string, string>): Promise<Watcher> {
    const port = Number(env.HTTP_PORT ?? (await freePort()));
    const child = spawn(process.execPath, [APP], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        NATS_URL,
        REDIS_URL,
        BITCOIN_NETWORK: 'regtest',
        POLL_INTERVAL_MS: '100',
        LOG_LEVEL: 'info',
        ...env,
        HTTP_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const w = new Watcher(child, port);
    const exitedEarly = w.exited.then((code) => {
      throw new Error(`watcher exited with ${code} before listening:\n${w.logs()}`);
    });
    // It only matters while racing the port; a later exit (a test killing it) must not surface as unhandled.
    exitedEarly.catch(() => undefined);
    await Promise.race([waitForPort(port, 30_000), exitedEarly]);
    return w;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  logs(): string {
    return this.output.join('');
  }

  /** Parsed JSON log lines. */
  logLines(): Array<Record<string, unknown>> {
    return this.logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async get<T = unknown>(p: string): Promise<{ status: number; body: T }> {
    const res = await fetch(this.url + p);
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }

  async tipHeight(): Promise<number> {
    const r = await this.get<{ height: number }>('/headers/tip');
    return r.status === 200 ? r.body.height : -1;
  }

  async waitForTip(hash: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`watcher tip ${hash}`, async () => (await this.get<{ hash: string }>('/headers/tip')).body.hash === hash, timeoutMs, 50);
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
  payload: { height: number; hash: string; prevHash: string; reorgId?: string; network: string };
}

/** Everything on the prefix's BTC stream, in stream order. */
export async function readStream(messaging: Messaging): Promise<StreamEvent[]> {
  const stream = messaging.naming.stream('BTC');
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
    out.push({
      seq,
      id: m.header.get('Nats-Msg-Id'),
      subject: messaging.naming.unprefix(m.subject),
      payload: JSON.parse(Buffer.from(m.data).toString('utf8')) as StreamEvent['payload'],
    });
  }
  return out;
}

export async function connectStream(): Promise<{ prefix: string; messaging: Messaging }> {
  const prefix = uniquePrefix('hw');
  return { prefix, messaging: await connectMessaging({ url: NATS_URL, prefix }) };
}
