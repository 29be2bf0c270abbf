import type { Logger } from 'pino';
import { broadcastArgument } from './broadcast.js';
import type { BroadcastResult, CallOptions, ChainSource, ChainTipInfo, FeeEstimates, OutspendStatus, SourceBroadcastReport, TxStatus, TxStatusOptions } from './chain-source.js';
import { BroadcastError, ChainSourceError, mostTellingError } from './errors.js';

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

  getHeaderRange(from: number, count: number, options?: CallOptions): Promise<Uint8Array[]> {
    return this.firstSuccess(async (s) => {
      if (s.getHeaderRange) return s.getHeaderRange(from, count, options);
      const out: Uint8Array[] = [];
      for (let h = from; h < from + count; h++) out.push(await s.getHeader(h, options));
      return out;
    });
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

  /** Sent to every source (see broadcastTransaction); resolves to the txid when at least one took it. */
  async broadcast(rawTx: Uint8Array, options?: CallOptions): Promise<string> {
    return (await this.broadcastTransaction(rawTx, options)).txid;
  }

  /**
   * Sends the transaction to EVERY source at once, so one lagging or censoring backend cannot hold a payment
   * back. Succeeds when any source accepted it or already had it; `sources` reports each one. Fails with a
   * BroadcastError (every report, and the most telling refusal as its failure) when none did.
   */
  async broadcastTransaction(rawTx: Uint8Array | string, options?: CallOptions): Promise<BroadcastResult> {
    const { bytes, txid } = broadcastArgument(rawTx);
    const settled = await Promise.allSettled(this.sources.map((s) => s.broadcastTransaction(bytes, options)));
    const reports: SourceBroadcastReport[] = [];
    settled.forEach((r, i) => {
      const name = this.sources[i]!.name;
      if (r.status === 'fulfilled') reports.push(...r.value.sources);
      else if (r.reason instanceof BroadcastError) reports.push(...(r.reason.reports as SourceBroadcastReport[]));
      else if (r.reason instanceof ChainSourceError) reports.push({ source: name, ok: false, error: r.reason });
      else reports.push({ source: name, ok: false, error: new ChainSourceError(name, { kind: 'network', cause: String(r.reason) }, { cause: r.reason }) });
    });
    for (const r of reports) if (!r.ok) this.reportFallback(r.source, r.error);
    const taken = reports.filter((r) => r.ok);
    if (taken.length === 0) {
      const errors = reports.flatMap((r) => (r.ok ? [] : [r.error]));
      throw new BroadcastError(this.name, txid, reports, mostTellingError(errors)!.failure);
    }
    return { txid, status: taken.some((r) => r.status === 'accepted') ? 'accepted' : 'already-known', sources: reports };
  }

  /** Every source answers; the result is the median (the mean of the two middle answers for an even count). */
  async estimateFeeRate(targetBlocks: number, options?: CallOptions): Promise<number> {
    const answers = await this.askAll((s) => s.estimateFeeRate(targetBlocks, options));
    const rates = answers.map((a) => a.value).sort((a, b) => a - b);
    const mid = Math.floor(rates.length / 2);
    if (rates[rates.length - 1]! > 2 * rates[0]!) this.options.logger?.warn({ answers: answers.map((a) => ({ source: a.source, satPerVb: a.value })) }, 'chain sources disagree on the fee rate');
    return rates.length % 2 === 1 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
  }

  /**
   * Every source answers; the most advanced view wins: confirmed (the highest block) over in the mempool over
   * unknown. A source can claim a confirmation falsely: prove it with a merkle proof against your own headers.
   */
  async txStatus(txid: string, options?: TxStatusOptions): Promise<TxStatus> {
    const answers = await this.askAll((s) => s.txStatus(txid, options));
    const rank = (t: TxStatus): number => (t.confirmed ? 2 : t.inMempool ? 1 : 0);
    const best = answers.reduce((a, b) => (rank(b.value) > rank(a.value) || (b.value.confirmed && a.value.confirmed && b.value.blockHeight! > a.value.blockHeight!) ? b : a));
    if (new Set(answers.map((a) => `${rank(a.value)}:${a.value.blockHash ?? ''}`)).size > 1)
      this.options.logger?.warn({ txid, answers: answers.map((a) => ({ source: a.source, ...a.value })) }, 'chain sources disagree on a transaction');
    return best.value;
  }

  /**
   * Every source answers; a spend any source sees wins (a confirmed spend, then one naming the spending
   * transaction), so a conflicting spend of custody is noticed even if only one backend has it.
   */
  async outspend(txid: string, vout: number, options?: CallOptions): Promise<OutspendStatus> {
    const answers = await this.askAll((s) => s.outspend(txid, vout, options));
    const rank = (o: OutspendStatus): number => (!o.spent ? 0 : (o.confirmed === true ? 4 : o.confirmed === false ? 2 : 1) + (o.txid !== undefined ? 1 : 0));
    const best = answers.reduce((a, b) => (rank(b.value) > rank(a.value) ? b : a)).value;
    if (!best.spent || best.txid !== undefined) return best;
    // Core knows a spend but not its txid; another source may name it.
    const named = answers.find((a) => a.value.spent && a.value.txid !== undefined)?.value;
    return named?.spent ? { ...best, txid: named.txid!, ...(named.vin !== undefined ? { vin: named.vin } : {}) } : best;
  }

  /** Asks every source in parallel; the answers of those that gave one, or the most telling error when none did. */
  private async askAll<T>(call: (source: ChainSource) => Promise<T>): Promise<Array<{ source: string; value: T }>> {
    const settled = await Promise.allSettled(this.sources.map((s) => call(s)));
    const answers: Array<{ source: string; value: T }> = [];
    const errors: ChainSourceError[] = [];
    let other: unknown;
    settled.forEach((r, i) => {
      const name = this.sources[i]!.name;
      if (r.status === 'fulfilled') return void answers.push({ source: name, value: r.value });
      // The caller's own mistakes (bad arguments) are the same at every source.
      if (r.reason instanceof TypeError) throw r.reason;
      if (r.reason instanceof ChainSourceError) errors.push(r.reason);
      else other = r.reason;
      this.reportFallback(name, r.reason);
    });
    if (answers.length > 0) return answers;
    const telling = mostTellingError(errors);
    if (telling) throw telling;
    throw new ChainSourceError(this.name, { kind: 'network', cause: `every source failed: ${String(other)}` }, { cause: other });
  }
}
