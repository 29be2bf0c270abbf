import type { Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import type { Messaging } from './connection.js';
import { NoRespondersError, RemoteError, RequestTimeoutError } from './errors.js';

type Envelope<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Serves queries on `<prefix>.rpc.<subject>` in a queue group, so replicas share the load. Requests are validated
 * with `request`; a handler throwing RemoteError answers with its code, anything else with 'internal'.
 */
export function serveRequests<Q extends z.ZodType, R>(
  messaging: Messaging,
  subject: string,
  requestSchema: Q,
  handler: (request: z.infer<Q>) => Promise<R>,
): Subscription {
  const wire = messaging.naming.subject(`rpc.${subject}`);
  return messaging.nc.subscribe(wire, {
    queue: wire,
    callback: (err, msg) => {
      if (err) return;
      void (async () => {
        let reply: Envelope<R>;
        try {
          const parsed = requestSchema.safeParse(JSON.parse(decoder.decode(msg.data)));
          if (!parsed.success) throw new RemoteError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
          reply = { ok: true, data: await handler(parsed.data) };
        } catch (e) {
          reply = e instanceof RemoteError
            ? { ok: false, error: { code: e.code, message: e.message } }
            : e instanceof SyntaxError
              ? { ok: false, error: { code: 'invalid_request', message: 'request is not JSON' } }
              : { ok: false, error: { code: 'internal', message: (e as Error).message } };
        }
        msg.respond(encoder.encode(JSON.stringify(reply)));
      })();
    },
  });
}

/** Sends a query and validates the answer. Throws RequestTimeoutError, NoRespondersError or RemoteError. */
export async function request<S extends z.ZodType>(
  messaging: Messaging,
  subject: string,
  payload: unknown,
  options: { timeoutMs?: number; response: S },
): Promise<z.infer<S>> {
  const wire = messaging.naming.subject(`rpc.${subject}`);
  let raw: Uint8Array;
  try {
    const msg = await messaging.nc.request(wire, encoder.encode(JSON.stringify(payload)), { timeout: options.timeoutMs ?? 5_000 });
    raw = msg.data;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (/no responders/i.test(e.message) || e.code === '503') throw new NoRespondersError(`no service answers ${subject}`);
    if (/timeout/i.test(e.message) || e.code === 'TIMEOUT') throw new RequestTimeoutError(`${subject} did not answer in ${options.timeoutMs ?? 5_000} ms`);
    throw err;
  }
  const envelope = JSON.parse(decoder.decode(raw)) as Envelope<unknown>;
  if (!envelope.ok) throw new RemoteError(envelope.error.code, envelope.error.message);
  const parsed = options.response.safeParse(envelope.data);
  if (!parsed.success) throw new RemoteError('invalid_response', `${subject} answered with an unexpected shape`);
  return parsed.data;
}
