// BTC_SOURCES specs → clients from @tapbridge/chain-source (each a HeaderSource as it is).
import type { HeaderSource } from '@tapbridge/light-client';
import type { SourceSpec } from './source-spec.js';

export function createSources(specs: readonly SourceSpec[]): HeaderSource[] {
  return specs.map((spec) => {
    throw new Error(`source ${spec.name}: chain-source clients are not available yet`);
  });
}
