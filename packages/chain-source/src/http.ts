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

/**
 * One HTTP exchange with a deadline. Maps transport failures to typed errors: the timeout to `timeout`,
 * anything else below HTTP (refused, reset, DNS) to `network`. HTTP statuses are left to the caller.
 */
export async function httpRequest(
  source: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  try {
    const res = await fetch(url, { ...init, signal: combined });
    const body = await readBounded(source, res);
    return { status: res.status, body, text: () => Buffer.from(body).toString('utf8') };
  } catch (e) {
    if (e instanceof ChainSourceError) throw e;
    if (timeout.aborted) throw new ChainSourceError(source, { kind: 'timeout', timeoutMs }, { cause: e });
    if (signal?.aborted) throw e;
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new ChainSourceError(source, { kind: 'network', cause }, { cause: e });
  }
}

async function readBounded(source: string, res: Response): Promise<Uint8Array> {
  const tooLarge = () => new ChainSourceError(source, { kind: 'malformed', what: `response body larger than ${MAX_RESPONSE_BYTES} bytes` });
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream (and so the download).
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) break;
    chunks.push(chunk);
  }
  if (size > MAX_RESPONSE_BYTES) throw tooLarge();
  return new Uint8Array(Buffer.concat(chunks, size));
}
