// End-to-end harness: the built watcher as a child process against a test database, a unique JetStream prefix and
// an in-process devnet chain, plus a reader for what reached the stream.
import { startTestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { connectMessaging, type Messaging } from '@tapbridge/messaging';
import { buildApps, ServiceProcess, uniquePrefix, waitFor } from '@tapbridge/testing';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Builds the app and what it imports (turbo caches unchanged packages). */
export function buildApp(): void {
  buildApps('header-watcher');
}

export const startChain = startTestDevnetChain;

/** The built watcher, with the queries its tests make. */
export class Watcher {
  private constructor(readonly service: ServiceProcess) {}

  static async start(env: Record<string, string>): Promise<Watcher> {
    const service = await ServiceProcess.start({
      app: 'header-watcher',
      env: { NATS_URL, REDIS_URL, BITCOIN_NETWORK: 'regtest', POLL_INTERVAL_MS: '100', ...env },
      ...(env.HTTP_PORT !== undefined ? { port: Number(env.HTTP_PORT) } : {}),
    });
    return new Watcher(service);
  }

  get port(): number {
    return this.service.port;
  }

  get url(): string {
    return this.service.url;
  }

  logs(): string {
    return this.service.output;
  }

  /** Parsed JSON log lines. */
  logLines(): Array<Record<string, unknown>> {
    return this.logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  get<T = unknown>(p: string): Promise<{ status: number; body: T }> {
    return this.service.get<T>(p);
  }

  async tipHeight(): Promise<number> {
    const r = await this.get<{ height: number }>('/headers/tip');
    return r.status === 200 ? r.body.height : -1;
  }

  async waitForTip(hash: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`watcher tip ${hash}`, async () => (await this.get<{ hash: string }>('/headers/tip')).body.hash === hash, timeoutMs, 50);
  }

  /** The exit code (null when the signal ended it). */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    return (await this.service.kill(signal)).code;
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
