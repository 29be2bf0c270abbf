import { ChainSourceError } from './errors.js';

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
    const body = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, body, text: () => Buffer.from(body).toString('utf8') };
  } catch (e) {
    if (timeout.aborted) throw new ChainSourceError(source, { kind: 'timeout', timeoutMs }, { cause: e });
    if (signal?.aborted) throw e;
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new ChainSourceError(source, { kind: 'network', cause }, { cause: e });
  }
}
