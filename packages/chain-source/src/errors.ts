/** What went wrong talking to a chain source, as a discriminated union callers can switch on. */
export type ChainSourceFailure =
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'network'; cause: string }
  | { kind: 'http'; status: number; body: string }
  | { kind: 'rpc'; code: number; rpcMessage: string }
  | { kind: 'malformed'; what: string }
  | { kind: 'not-found'; what: string };

export type ChainSourceErrorKind = ChainSourceFailure['kind'];

export class ChainSourceError extends Error {
  override readonly name = 'ChainSourceError';

  constructor(
    /** The source's name, so logs say which backend failed. */
    readonly source: string,
    readonly failure: ChainSourceFailure,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${describe(failure)}`, options);
  }

  get kind(): ChainSourceErrorKind {
    return this.failure.kind;
  }

  /** Transient failures worth another attempt: network errors, HTTP 5xx and 429, and Core warming up (-28). */
  get retryable(): boolean {
    const f = this.failure;
    return f.kind === 'network' || (f.kind === 'http' && (f.status >= 500 || f.status === 429)) || (f.kind === 'rpc' && f.code === -28);
  }
}

function describe(f: ChainSourceFailure): string {
  switch (f.kind) {
    case 'timeout':
      return `request timed out after ${f.timeoutMs} ms`;
    case 'network':
      return `network error: ${f.cause}`;
    case 'http':
      return `HTTP ${f.status}${f.body ? `: ${f.body.slice(0, 200)}` : ''}`;
    case 'rpc':
      return `RPC error ${f.code}: ${f.rpcMessage}`;
    case 'malformed':
      return `malformed response: ${f.what}`;
    case 'not-found':
      return `not found: ${f.what}`;
  }
}

/**
 * No source took a broadcast. `failure` is the most telling refusal (a node's rejection before an HTTP error,
 * before a transport failure); `reports` holds every source's answer.
 */
export class BroadcastError extends ChainSourceError {
  constructor(
    source: string,
    readonly txid: string,
    readonly reports: ReadonlyArray<{ source: string; ok: boolean; error?: ChainSourceError }>,
    failure: ChainSourceFailure,
  ) {
    super(source, failure);
    this.message = `${source}: no source accepted ${txid}: ${reports.map((r) => (r.ok ? `${r.source} ok` : (r.error?.message ?? `${r.source} failed`))).join('; ')}`;
  }
}

const FAILURE_RANK: Record<ChainSourceErrorKind, number> = { rpc: 5, http: 4, malformed: 3, 'not-found': 2, timeout: 1, network: 0 };

/** Of several sources' errors, the one that says most about the request itself (a rejection over an outage). */
export function mostTellingError(errors: readonly ChainSourceError[]): ChainSourceError | undefined {
  return errors.reduce<ChainSourceError | undefined>((best, e) => (best === undefined || FAILURE_RANK[e.kind] > FAILURE_RANK[best.kind] ? e : best), undefined);
}
