import type { Logger } from 'pino';
import type { CallOptions, ChainSource, ChainTipInfo, FeeEstimates } from './chain-source.js';
import { ChainSourceError } from './errors.js';

export type DisagreementKind = 'tip';

/**
 * Where MultiSource reports what it sees; the service wires this to its metrics (e.g. a prom-client
 * Counter). Kept as a small interface so this package does not depend on the observability package.
 */
export interface ChainSourceHooks {
  onDisagreement(kind: DisagreementKind, details: { answers: Array<{ source: string; height: number; hash: string }> }): void;
  onFallback?(source: string, error: unknown): void;
}

export interface MultiSourceOptions {
  name?: string;
  hooks?: ChainSourceHooks;
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Several sources behind one ChainSource. The tip is asked of all of them; when they disagree the
 * disagreement is logged and reported, and the highest tip wins (a lagging source must not hold the
 * watcher back, and a lying one only costs the headers the watcher then refuses). Every other call goes
 * to the sources in order, falling back to the next on any failure, including malformed answers.
 */
export class MultiSource implements ChainSource {
  readonly name: string;

  constructor(
    private readonly sources: readonly ChainSource[],
    private readonly options: MultiSourceOptions = {},
  ) {
    if (!Array.isArray(sources) || sources.length === 0) throw new TypeError('MultiSource needs at least one source');
    this.name = options.name ?? `multi(${sources.map((s) => s.name).join(',')})`;
  }

  async getTip(options: CallOptions = {}): Promise<ChainTipInfo> {
    const settled = await Promise.allSettled(this.sources.map((s) => s.getTip(options)));
    const answers: Array<{ source: string; height: number; hash: string }> = [];
    let lastError: unknown;
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') answers.push({ source: this.sources[i]!.name, ...r.value });
      else {
        lastError = r.reason;
        this.reportFallback(this.sources[i]!.name, r.reason);
      }
    });
    if (answers.length === 0) throw lastError;
    const distinct = new Set(answers.map((a) => `${a.height}:${a.hash}`));
    if (distinct.size > 1) {
      this.options.logger?.warn({ answers }, 'chain sources disagree on the tip');
      this.options.hooks?.onDisagreement('tip', { answers });
    }
    const best = answers.reduce((a, b) => (b.height > a.height ? b : a));
    return { height: best.height, hash: best.hash };
  }

  private reportFallback(source: string, error: unknown): void {
    this.options.logger?.warn({ source, err: error instanceof Error ? error.message : String(error) }, 'chain source failed, trying the next');
    this.options.hooks?.onFallback?.(source, error);
  }

  private async firstSuccess<T>(call: (source: ChainSource) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const source of this.sources) {
      try {
        return await call(source);
      } catch (e) {
        // The caller's own mistakes (bad arguments) will not get better at another source.
        if (e instanceof TypeError) throw e;
        lastError = e;
        this.reportFallback(source.name, e);
      }
    }
    if (lastError instanceof ChainSourceError) throw lastError;
    throw new ChainSourceError(this.name, { kind: 'network', cause: `every source failed: ${String(lastError)}` }, { cause: lastError });
  }

  getBlockHash(height: number, options?: CallOptions): Promise<string> {
    return this.firstSuccess((s) => s.getBlockHash(height, options));
  }

  getHeader(hashOrHeight: string | number, options?: CallOptions): Promise<Uint8Array> {
    return this.firstSuccess((s) => s.getHeader(hashOrHeight, options));
  }

  getRawBlock(hash: string, options?: CallOptions): Promise<Uint8Array> {
    return this.firstSuccess((s) => s.getRawBlock(hash, options));
  }

  getRawTransaction(txid: string, options?: CallOptions): Promise<Uint8Array> {
    return this.firstSuccess((s) => s.getRawTransaction(txid, options));
  }

  getTxMerkleProof(txid: string, blockHash?: string, options?: CallOptions): Promise<Uint8Array> {
    return this.firstSuccess((s) => s.getTxMerkleProof(txid, blockHash, options));
  }

  getFeeEstimates(options?: CallOptions): Promise<FeeEstimates> {
    return this.firstSuccess((s) => s.getFeeEstimates(options));
  }

  broadcast(rawTx: Uint8Array, options?: CallOptions): Promise<string> {
    return this.firstSuccess((s) => s.broadcast(rawTx, options));
  }
}
