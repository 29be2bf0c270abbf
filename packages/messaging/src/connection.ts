import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Naming } from './catalog.js';

export interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  naming: Naming;
  close(): Promise<void>;
}

/** Connects to NATS with reconnects forever (a broker restart is normal) and opens JetStream. */
export async function connectMessaging(options: { url: string; prefix: string; name?: string } & Partial<ConnectionOptions>): Promise<Messaging> {
  const { url, prefix, ...rest } = options;
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 500, ...rest });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  return {
    nc,
    js,
    jsm,
    naming: new Naming(prefix),
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
