// What the loop knows about each source: its last claimed tip, its last error, and whether it is benched.
import type { SourceTip } from './source.js';

export interface SourceStatus {
  name: string;
  /** The last tip it claimed (not validated). */
  tip: SourceTip | undefined;
  /** Blocks our validated best chain is behind this source's claim (0 when we are level or ahead). */
  lag: number | undefined;
  lastPolledAt: number | undefined;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  /** Consecutive failed rounds (errors or rejected data). */
  strikes: number;
  /** While set and in the future, the source is skipped. */
  skippedUntil: number | undefined;
}

export interface BackoffPolicy {
  /** Skip time after the first strike; doubles with each further strike. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

export class SourceState {
  tip: SourceTip | undefined;
  lastPolledAt: number | undefined;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  strikes = 0;
  skippedUntil: number | undefined;

  constructor(
    readonly name: string,
    private readonly backoff: BackoffPolicy,
  ) {}

  isBenched(nowMs: number): boolean {
    return this.skippedUntil !== undefined && nowMs < this.skippedUntil;
  }

  /** A failed round: remember why and bench the source for an exponentially growing while. */
  strike(reason: string, nowMs: number): number {
    this.strikes++;
    this.lastError = reason;
    this.lastErrorAt = nowMs;
    const ms = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(this.strikes - 1, 30));
    this.skippedUntil = nowMs + ms;
    return ms;
  }

  /** A clean round: the source is trusted to be polled normally again (its last error stays for the record). */
  clear(): void {
    this.strikes = 0;
    this.skippedUntil = undefined;
  }

  status(bestHeight: number): SourceStatus {
    return {
      name: this.name,
      tip: this.tip,
      lag: this.tip ? Math.max(0, this.tip.height - bestHeight) : undefined,
      lastPolledAt: this.lastPolledAt,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      strikes: this.strikes,
      skippedUntil: this.skippedUntil,
    };
  }
}
