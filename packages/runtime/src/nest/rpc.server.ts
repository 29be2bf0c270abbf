// rpc.* request/reply between services, served by @nestjs/microservices' NATS transport with @MessagePattern
// handlers, on the project's existing wire format so every client (packages/messaging request(), the CLI) works
// unchanged:
//   subject   <prefix>.rpc.<pattern>   (@MessagePattern('btc.headers.tip') serves <prefix>.rpc.btc.headers.tip)
//   queue     the subject itself, so replicas share the load
//   request   plain JSON (Nest's own transport wraps it in {pattern, data, id})
//   reply     { ok: true, data } or { ok: false, error: { code, message } }
// The server reuses the runtime's NATS connection: it has the service's identity, and the per-service permissions
// (packages/messaging permissions.ts) let exactly that identity serve its rpc.* subjects.
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
import { NatsContext, ServerNats, type OutgoingResponse } from '@nestjs/microservices';
import type { Messaging } from '@tapbridge/messaging';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type RpcEnvelope<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** Nest's response packet → the reply envelope. Errors arrive as `{ code, message }` from ProblemFilter. */
export class RpcEnvelopeSerializer {
  serialize(packet: OutgoingResponse): { data: Uint8Array } {
    return { data: encoder.encode(JSON.stringify(envelopeOf(packet))) };
  }
}

export function envelopeOf(packet: OutgoingResponse): RpcEnvelope {
  if (packet.err === undefined || packet.err === null) return { ok: true, data: packet.response };
  const err = packet.err as { code?: unknown; message?: unknown };
  return {
    ok: false,
    error: { code: typeof err.code === 'string' ? err.code : 'internal', message: typeof err.message === 'string' ? err.message : String(packet.err) },
  };
}

/**
 * Nest's NATS server on the runtime's connection (bootstrapService connects it with the app's global pipe, filter
 * and interceptors). Handlers return one value or promise: a request has one reply.
 */
export class RpcServer extends ServerNats {
  private readonly rpcSubscriptions: Subscription[] = [];

  constructor(private readonly messaging: Messaging) {
    super({ serializer: new RpcEnvelopeSerializer() });
  }

  /** The subject a pattern is served on in this run. */
  subjectOf(pattern: string): string {
    return this.messaging.naming.subject(`rpc.${pattern}`);
  }

  override async createNatsClient(): Promise<NatsConnection> {
    return this.messaging.nc;
  }

  // The runtime owns the connection and watches its status; a second watcher would only log everything twice.
  override async handleStatusUpdates(): Promise<void> {}

  override bindEvents(client: NatsConnection): void {
    for (const pattern of this.messageHandlers.keys()) {
      const subject = this.subjectOf(pattern);
      const handle = this.getMessageHandler(pattern) as (err: Error | null, msg: Msg) => Promise<void>;
      this.rpcSubscriptions.push(client.subscribe(subject, { queue: subject, callback: (err, msg) => void handle.call(this, err, msg) }));
    }
  }

  override async handleMessage(pattern: string, msg: Msg): Promise<void> {
    const context = new NatsContext([msg.subject, msg.headers]);
    let data: unknown;
    try {
      data = JSON.parse(decoder.decode(msg.data));
    } catch {
      msg.respond(encoder.encode(JSON.stringify({ ok: false, error: { code: 'invalid_request', message: 'request is not JSON' } } satisfies RpcEnvelope)));
      return;
    }
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) return;
    const publish = this.getPublisher(msg, 'rpc', context);
    await this.handleRequest(context, async () => this.transformToObservable(await handler(data, context)), publish);
  }

  /** Stops taking requests (replies in flight still go out); the connection stays open for the runtime to close. */
  override async close(): Promise<void> {
    const subs = this.rpcSubscriptions.splice(0);
    await Promise.all(subs.map((s) => s.drain().catch(() => s.unsubscribe())));
  }
}
