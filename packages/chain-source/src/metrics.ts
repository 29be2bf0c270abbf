import { Counter, type Registry } from 'prom-client';
import { ChainSourceError } from './errors.js';
import type { ChainSourceHooks } from './multi-source.js';

/**
 * MultiSource hooks backed by prom-client counters:
 * `tapbridge_chain_source_disagreements_total{kind}` and `tapbridge_chain_source_failures_total{source,kind}`.
 */
export function prometheusChainSourceHooks(registry?: Registry): ChainSourceHooks {
  const registers = registry ? [registry] : undefined;
  const disagreements = new Counter({
    name: 'tapbridge_chain_source_disagreements_total',
    help: 'Times the configured chain sources reported different answers',
    labelNames: ['kind'],
    ...(registers ? { registers } : {}),
  });
  const failures = new Counter({
    name: 'tapbridge_chain_source_failures_total',
    help: 'Chain source calls that failed and fell back to the next source',
    labelNames: ['source', 'kind'],
    ...(registers ? { registers } : {}),
  });
  return {
    onDisagreement: (kind) => disagreements.inc({ kind }),
    onFallback: (source, error) => failures.inc({ source, kind: error instanceof ChainSourceError ? error.kind : 'other' }),
  };
}
