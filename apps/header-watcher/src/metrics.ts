// The watcher's Prometheus metrics, fed by the sync loop's observer hooks.
import type { SyncObserver } from '@tapbridge/light-client';
import { counter, gauge, histogram } from '@tapbridge/observability';

const bestHeight = gauge('tapbridge_btc_best_height', 'Height of the validated best chain');
const sourceHeight = gauge('tapbridge_btc_source_height', 'Tip height each source claims (not validated)', ['source']);
const validated = counter('tapbridge_btc_headers_validated_total', 'Headers that passed every rule and were stored');
const rejected = counter('tapbridge_btc_headers_rejected_total', 'Headers refused, by the rule they broke', ['rule']);
const reorgs = counter('tapbridge_btc_reorgs_total', 'Best-chain reorganisations');
const reorgDepth = histogram('tapbridge_btc_reorg_depth', 'Blocks disconnected per reorganisation', [], [1, 2, 3, 4, 6, 10, 20, 50, 100]);
const syncLag = gauge('tapbridge_btc_sync_lag_blocks', 'Highest source claim minus our validated best height (0 when caught up)');
const disagreements = counter('tapbridge_btc_source_disagreements_total', 'Times a source named another block at a height than another source or our best chain', ['source']);
const sourceErrors = counter('tapbridge_btc_source_errors_total', 'Failed or benched rounds per source', ['source']);

/**
 * Observer for HeaderSync that keeps the metrics; `currentHeight` reads the best height for the lag gauge, which
 * counts only sources whose last round went well.
 */
export function metricsObserver(currentHeight: () => number): SyncObserver {
  const claims = new Map<string, number>();
  const updateLag = () => {
    const highest = Math.max(0, ...claims.values());
    syncLag.set(Math.max(0, highest - currentHeight()));
  };
  return {
    sourcePolled(source, tip) {
      claims.set(source, tip.height);
      sourceHeight.set({ source }, tip.height);
      updateLag();
    },
    sourceFailed(source) {
      sourceErrors.inc({ source });
      // A failed or lying source's claim says nothing about how far behind we are.
      claims.delete(source);
      updateLag();
    },
    validated(count) {
      validated.inc(count);
    },
    rejected(r) {
      rejected.inc({ rule: r.rule });
    },
    disagreement(d) {
      disagreements.inc({ source: d.source });
    },
    applied(update, reorgList) {
      bestHeight.set(update.tip.height);
      for (const r of reorgList) {
        reorgs.inc();
        reorgDepth.observe(r.depth);
      }
      updateLag();
    },
  };
}

export function setBestHeight(height: number): void {
  bestHeight.set(height);
}
