// End-to-end harness: the built header-watcher and deposit-indexer as child processes against one test database
// (each in its own schema), a unique JetStream prefix and an in-process devnet chain; plus a stream reader.
import { startTestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { connectMessaging, type Messaging, type StreamName } from '@tapbridge/messaging';
import { buildApps as buildAppsFromSource, ServiceProcess as BuiltService, uniquePrefix } from '@tapbridge/testing';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type AppName = 'header-watcher' | 'deposit-indexer';

/** Builds both apps and what they import (turbo caches unchanged packages). */
export function buildApps(): void {
  buildAppsFromSource('header-watcher', 'deposit-indexer');
}

export const startChain = startTestDevnetChain;

/** One service process, started from its build with this suite's regtest defaults. */
export class ServiceProcess {
  private constructor(readonly service: BuiltService) {}

  static async start(app: AppName, env: Record<string, string>): Promise<ServiceProcess> {
    const service = await BuiltService.start({
      app,
      env: { NATS_URL, REDIS_URL, BITCOIN_NETWORK: 'regtest', POLL_INTERVAL_MS: '100', ...env },
      ...(env.HTTP_PORT !== undefined ? { port: Number(env.HTTP_PORT) } : {}),
    });
    return new ServiceProcess(service);
  }

  get port(): number {
    return this.service.port;
  }

  logs(): string {
    return this.service.output;
  }

  request<T = unknown>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    return this.service.request<T>(method, p, body);
  }

  get<T = unknown>(p: string): Promise<{ status: number; body: T }> {
    return this.service.get<T>(p);
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
