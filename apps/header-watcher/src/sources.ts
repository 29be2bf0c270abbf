// BTC_SOURCES specs → @tapbridge/chain-source clients. A ChainSource is a HeaderSource as it is; the sync loop
// validates whatever they return.
import { createChainSources, type SourceSpec } from '@tapbridge/chain-source';
import type { HeaderSource } from '@tapbridge/light-client';

export function createSources(specs: readonly SourceSpec[], options: { timeoutMs?: number } = {}): HeaderSource[] {
  return createChainSources(specs, options);
}
