// JSON-RPC clients for the two chains: Bitcoin Core's dialect (the devnet chain, basic auth) and Ethereum's (the
// L2 node). Plain fetch: the checker reads the chains the way any outside observer would.

export class RpcError extends Error {
  constructor(readonly method: string, readonly code: number | undefined, message: string) {
    super(`${method}: ${message}`);
    this.name = 'RpcError';
  }
}

export class BtcRpc {
  constructor(readonly url: string, private readonly auth: string) {}

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(this.auth).toString('base64')}` },
      body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await res.json()) as { result: T; error: { code: number; message: string } | null };
    if (body.error) throw new RpcError(method, body.error.code, body.error.message);
    return body.result;
  }

  /** One HTTP request for many calls (the devnet chain takes JSON-RPC batches, as Core does). */
  async batch<T = unknown>(calls: Array<[string, unknown[]]>): Promise<T[]> {
    if (calls.length === 0) return [];
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(this.auth).toString('base64')}` },
      body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '1.0', id, method, params }))),
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await res.json()) as Array<{ id: number; result: T; error: { code: number; message: string } | null }>;
    return calls.map(([method], i) => {
      const r = body.find((b) => b.id === i);
      if (!r) throw new RpcError(method, undefined, 'no answer in the batch');
      if (r.error) throw new RpcError(method, r.error.code, r.error.message);
      return r.result;
    });
  }
}

export class EvmRpc {
  constructor(readonly url: string) {}
  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { result: T; error?: { code: number; message: string } };
    if (body.error) throw new RpcError(method, body.error.code, body.error.message);
    return body.result;
  }
}

/** Retries `fn` until it succeeds or `timeoutMs` passes (services come and go during a chaos run). */
export async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 300_000, delayMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: gave up after ${timeoutMs} ms: ${(last as Error)?.message ?? last}`);
    await new Promise((r) => setTimeout(r, Math.min(5_000, delayMs * (1 + attempt * 0.5))));
  }
}
