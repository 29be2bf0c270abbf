// BTC_SOURCES specs → @tapbridge/chain-source clients. A ChainSource is a HeaderSource as it is; the sync loop
// validates whatever they return.
import { BitcoinCoreRpcSource, EsploraSource } from '@tapbridge/chain-source';
import type { HeaderSource } from '@tapbridge/light-client';
import type { SourceSpec } from './source-spec.js';

export interface SourceClientOptions {
  /** Per-request deadline (ms). */
  timeoutMs?: number;
}

export function createSources(specs: readonly SourceSpec[], options: SourceClientOptions = {}): HeaderSource[] {
  const common = { ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
  return specs.map((spec) =>
    spec.kind === 'core'
      ? new BitcoinCoreRpcSource({ url: spec.url, auth: spec.auth, name: spec.name, ...common })
      : new EsploraSource({ url: spec.url, name: spec.name, ...common }),
  );
}
