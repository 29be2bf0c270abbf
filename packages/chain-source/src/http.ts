import http from 'node:http';
import https from 'node:https';
import { ChainSourceError } from './errors.js';

/**
 * The largest answer read from a source: a 4 MB block as hex in a JSON-RPC envelope is about 8 MB. A server that
 * sends more (or never stops) is cut off here instead of filling the heap.
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  body: Uint8Array;
  text(): string;
}

/** Keep-alive connections per origin, shared by every source (a catch-up makes thousands of requests). */
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * One HTTP exchange with a deadline, over node:http with keep-alive (undici's fetch cost about 1 ms of CPU per
 * request here, the bulk of a catch-up over Esplora). Maps transport failures to typed errors: the timeout to
 * `timeout`, anything else below HTTP (refused, reset, DNS) to `network`; an abort by the caller's signal rejects
 * with the signal's reason. HTTP statuses are left to the caller.
 */
export function httpRequest(
  source: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    let target: URL;
    try {
      target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`unsupported protocol ${target.protocol}`);
    } catch (e) {
      return reject(new ChainSourceError(source, { kind: 'network', cause: (e as Error).message }, { cause: e }));
    }
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    let settled = false;
    const finish = (err: unknown, value?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve(value!);
      else reject(err as Error);
    };
    const networkError = (e: Error) => new ChainSourceError(source, { kind: 'network', cause: e.message }, { cause: e });
    const tooLarge = () => new ChainSourceError(source, { kind: 'malformed', what: `response body larger than ${MAX_RESPONSE_BYTES} bytes` });
    const mod = target.protocol === 'https:' ? https : http;
    const req = mod.request(
      target,
      { method: init.method, agent: agents[target.protocol], headers: { ...init.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } },
      (res) => {
        if (Number(res.headers['content-length'] ?? '0') > MAX_RESPONSE_BYTES) {
          finish(tooLarge());
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            finish(tooLarge());
            req.destroy();
          } else chunks.push(chunk);
        });
        res.on('end', () => {
          const all = Buffer.concat(chunks, size);
          finish(undefined, { status: res.statusCode ?? 0, body: new Uint8Array(all.buffer, all.byteOffset, all.byteLength), text: () => all.toString('utf8') });
        });
        res.on('error', (e) => finish(networkError(e)));
        res.on('close', () => {
          if (!res.complete) finish(networkError(new Error('connection closed before the response ended')));
        });
      },
    );
    const timer = setTimeout(() => {
      finish(new ChainSourceError(source, { kind: 'timeout', timeoutMs }));
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish(signal!.reason);
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(networkError(e)));
    req.end(body);
  });
}
