// BTC_SOURCES specs → @tapbridge/chain-source clients. Blocks are fetched from each source in turn (a served
// block is checked against its validated header, so a lying source is skipped); lookups for registration go
// through MultiSource, which falls back to the next source on any failure.
import { ChainSourceError, createChainSources, MultiSource, type ChainSource, type SourceSpec } from '@tapbridge/chain-source';
import type { Logger } from '@tapbridge/observability';

export function createSources(specs: readonly SourceSpec[]): ChainSource[] {
  return createChainSources(specs);
}

export interface ChainLookups {
  /** The blocks' sources, in configured order. */
  sources: readonly ChainSource[];
  /** One view over all of them for transaction lookups. */
  any: ChainSource;
}

export function chainLookups(sources: readonly ChainSource[], logger: Logger): ChainLookups {
  return { sources, any: sources.length === 1 ? sources[0]! : new MultiSource(sources, { logger }) };
}

/** A lookup that every source answered with "not there" (as opposed to failing). */
export function isNotFound(e: unknown): boolean {
  return e instanceof ChainSourceError && e.kind === 'not-found';
}
