// The watcher's read API in one place, transport-free: REST (headers.controller.ts) and rpc.btc.headers.*
// (headers.rpc.ts) both call it, so validation and answers are the same on both.
import { Inject, Injectable } from '@nestjs/common';
import { HeaderSync } from '@tapbridge/light-client';
import { DomainError } from '@tapbridge/runtime/nest';
import type { ForkTip, HeaderRange, HeaderView, SyncStatus } from './header-dto.js';
import { HeaderQueries } from './header-queries.js';

/** Largest span one range request serves. */
export const MAX_RANGE = 2_000;

/** REST 400/404 and RPC error codes bad_request/not_found (ProblemFilter). */
export class HeaderApiError extends DomainError {
  override name = 'HeaderApiError';
  constructor(
    override readonly code: 'bad_request' | 'not_found',
    message: string,
  ) {
    super(code, message);
  }
}

const HEIGHT = /^(0|[1-9][0-9]{0,9})$/;
const HASH = /^[0-9a-fA-F]{64}$/;

function parseHeight(value: string | number | undefined, name: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (text === undefined || text === '') throw new HeaderApiError('bad_request', `${name} is required`);
  if (!HEIGHT.test(text) || Number(text) > 0x7fffffff)
    throw new HeaderApiError('bad_request', `${name} must be a block height (a whole number ≥ 0), got "${text.slice(0, 80)}"`);
  return Number(text);
}

@Injectable()
export class HeaderApi {
  constructor(
    @Inject(HeaderQueries) private readonly queries: HeaderQueries,
    @Inject(HeaderSync) private readonly sync: HeaderSync,
  ) {}

  async tip(): Promise<HeaderView> {
    const tip = await this.queries.tip();
    if (!tip) throw new HeaderApiError('not_found', 'no headers stored yet');
    return tip;
  }

  /** A best-chain header by height, or any stored header by hash (display hex). */
  async header(heightOrHash: string | number): Promise<HeaderView> {
    const key = String(heightOrHash);
    const byHash = HASH.test(key);
    const found = byHash ? await this.queries.byHash(key) : await this.queries.byHeight(parseHeight(key, 'height'));
    if (!found) throw new HeaderApiError('not_found', `no header ${byHash ? 'with hash' : 'on the best chain at height'} ${key}`);
    return found;
  }

  async range(fromRaw: string | number | undefined, toRaw: string | number | undefined): Promise<HeaderRange> {
    const from = parseHeight(fromRaw, 'from');
    const to = parseHeight(toRaw, 'to');
    if (to < from) throw new HeaderApiError('bad_request', `to (${to}) is below from (${from})`);
    if (to - from + 1 > MAX_RANGE) throw new HeaderApiError('bad_request', `at most ${MAX_RANGE} headers per request, asked for ${to - from + 1}`);
    return { from, to, headers: await this.queries.range(from, to) };
  }

  forks(): Promise<ForkTip[]> {
    return this.queries.forkTips();
  }

  status(): SyncStatus {
    const s = this.sync.status();
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      network: s.network,
      bestHeight: s.tip.height,
      bestHash: s.tip.hash,
      rootHeight: s.root.height,
      sources: s.sources.map((src) => ({
        name: src.name,
        ...(src.tip ? { height: src.tip.height, hash: src.tip.hash } : {}),
        ...(src.lag !== undefined ? { lag: src.lag } : {}),
        ...(src.lastPolledAt !== undefined ? { lastPolledAt: iso(src.lastPolledAt) } : {}),
        ...(src.lastError !== undefined ? { lastError: src.lastError, lastErrorAt: iso(src.lastErrorAt) } : {}),
        strikes: src.strikes,
        ...(src.skippedUntil !== undefined && src.skippedUntil > Date.now() ? { skippedUntil: iso(src.skippedUntil) } : {}),
      })),
    };
  }
}
