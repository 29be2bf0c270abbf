#!/usr/bin/env node
// Writes infra/grafana/dashboards/tapbridge-overview.json and tapbridge-services.json.
// The JSON files are checked in (Grafana provisioning reads them); edit this script and re-run it:
//   node infra/grafana/generate-dashboards.mjs
// No dependencies. Metric names: see infra/prometheus/rules.yml and infra/README.md ("Metrics").
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
const DS = { type: 'prometheus', uid: '${datasource}' };
const SERVICES = 'header-watcher|deposit-indexer|signing-coordinator|signer|evm-gateway';

/** Lays panels out left to right, 24 columns wide, wrapping rows. */
function layout(items) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let id = 1;
  const panels = [];
  for (const item of items) {
    if (item.type === 'row') {
      if (x > 0) y += rowHeight;
      panels.push({ type: 'row', id: id++, title: item.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
      y += 1;
      x = 0;
      rowHeight = 0;
      continue;
    }
    const { w, h } = item.size;
    if (x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const { size: _size, ...panel } = item; // size becomes gridPos
    panels.push({ ...panel, id: id++, gridPos: { x, y, w, h } });
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return panels;
}

const row = (title) => ({ type: 'row', title });

const targets = (queries) =>
  queries.map(([expr, legendFormat], i) => ({
    datasource: DS,
    expr,
    legendFormat: legendFormat ?? '__auto',
    refId: String.fromCharCode(65 + i),
  }));

function stat(title, expr, { unit = 'none', decimals, thresholds, description, w = 4, h = 4, mappings } = {}) {
  return {
    type: 'stat',
    title,
    description,
    datasource: DS,
    size: { w, h },
    targets: targets([[expr, title]]),
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'area',
      justifyMode: 'auto',
      textMode: 'auto',
      orientation: 'auto',
    },
    fieldConfig: {
      defaults: {
        unit,
        ...(decimals === undefined ? {} : { decimals }),
        ...(mappings ? { mappings } : {}),
        color: { mode: 'thresholds' },
        thresholds: {
          mode: 'absolute',
          steps: thresholds ?? [{ color: 'green', value: null }],
        },
      },
      overrides: [],
    },
  };
}

function timeseries(title, queries, { unit = 'short', stack = false, description, w = 12, h = 8, min, bars = false } = {}) {
  return {
    type: 'timeseries',
    title,
    description,
    datasource: DS,
    size: { w, h },
    targets: targets(queries),
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'], showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    fieldConfig: {
      defaults: {
        unit,
        ...(min === undefined ? {} : { min }),
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: bars ? 'bars' : 'line',
          lineWidth: 1,
          fillOpacity: stack || bars ? 60 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: [],
    },
  };
}

function stateTimeline(title, expr, legendFormat, { description, w = 12, h = 6 } = {}) {
  return {
    type: 'state-timeline',
    title,
    description,
    datasource: DS,
    size: { w, h },
    targets: targets([[expr, legendFormat]]),
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, legend: { showLegend: true, displayMode: 'list', placement: 'bottom' } },
    fieldConfig: {
      defaults: {
        color: { mode: 'thresholds' },
        thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] },
        mappings: [
          { type: 'value', options: { 0: { text: 'not ready', color: 'red' }, 1: { text: 'ready', color: 'green' } } },
        ],
      },
      overrides: [],
    },
  };
}

const datasourceVar = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  refresh: 1,
  regex: '',
  options: [],
};

const queryVar = (name, label, query, { multi = true, includeAll = true } = {}) => ({
  name,
  label,
  type: 'query',
  datasource: DS,
  query: { query, refId: `${name}-var` },
  definition: query,
  current: {},
  hide: 0,
  refresh: 2,
  multi,
  includeAll,
  allValue: '.+',
  sort: 1,
  regex: '',
  options: [],
});

function dashboard({ uid, title, description, tags, panels, variables }) {
  return {
    __inputs: [],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        {
          datasource: DS,
          enable: true,
          iconColor: 'red',
          name: 'Bitcoin reorgs',
          expr: 'sum(increase(tapbridge_btc_reorgs_total[1m])) > 0',
          step: '1m',
          titleFormat: 'Bitcoin reorg',
        },
      ],
    },
    description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    links: [
      { title: 'tapbridge dashboards', type: 'dashboards', tags: ['tapbridge'], asDropdown: true, includeVars: true, keepTime: true },
    ],
    panels: layout(panels),
    refresh: '30s',
    schemaVersion: 39,
    tags,
    templating: { list: variables },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'utc',
    title,
    uid,
    version: 1,
    weekStart: '',
  };
}

const BTC = (expr) => `(${expr}) / 1e8`;

const overview = dashboard({
  uid: 'tapbridge-overview',
  title: 'tapbridge / Bridge overview',
  description: 'Bridge health: Bitcoin sync and reorgs, deposits, messaging backlog, signers, EVM.',
  tags: ['tapbridge'],
  variables: [datasourceVar],
  panels: [
    row('Bitcoin'),
    stat('BTC best height', 'max(tapbridge_btc_best_height)', { description: 'Height of the validated best chain (header-watcher).' }),
    stat('Header sync lag', 'max(tapbridge_btc_sync_lag_blocks)', {
      unit: 'none',
      description: 'Blocks between the sources\' tip and the validated best chain.',
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 3 }, { color: 'red', value: 7 }],
    }),
    stat('Reorgs (24 h)', 'sum(increase(tapbridge_btc_reorgs_total[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }],
    }),
    stat('Deep reorgs > 2 (24 h)', 'sum(increase(tapbridge_btc_reorg_depth_count[24h])) - sum(increase(tapbridge_btc_reorg_depth_bucket{le=~"2(\\\\.0)?"}[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
    }),
    stat('Headers rejected (24 h)', 'sum(increase(tapbridge_btc_headers_rejected_total[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 1 }],
    }),
    stat('Headers validated / min', '60 * sum(rate(tapbridge_btc_headers_validated_total[$__rate_interval]))', { decimals: 1 }),
    timeseries('Heights: best chain and each source', [
      ['max(tapbridge_btc_best_height)', 'best (validated)'],
      ['max by (source) (tapbridge_btc_source_height)', '{{source}}'],
    ], { unit: 'none', description: 'A source that stays below the others is lagging or on another chain.' }),
    timeseries('Header sync lag (blocks)', [['max by (instance) (tapbridge_btc_sync_lag_blocks)', '{{instance}}']], { unit: 'none', min: 0 }),
    timeseries('Reorgs by depth (per hour)', [
      ['sum by (le) (increase(tapbridge_btc_reorg_depth_bucket[1h]))', 'depth ≤ {{le}}'],
    ], { unit: 'none', min: 0, description: 'Cumulative buckets: depth ≤ le.' }),
    timeseries('Headers rejected by rule', [['sum by (rule) (rate(tapbridge_btc_headers_rejected_total[$__rate_interval]))', '{{rule}}']], { unit: 'ops', min: 0 }),
    timeseries('Source errors and disagreements', [
      ['sum by (source) (increase(tapbridge_btc_source_errors_total[$__rate_interval]))', 'errors {{source}}'],
      ['sum by (source) (increase(tapbridge_btc_source_disagreements_total[$__rate_interval]))', 'disagreements {{source}}'],
    ], { unit: 'none', min: 0, bars: true, w: 24, h: 6, description: 'Failed or benched rounds per source, and times a source named another block at a height.' }),

    row('Deposits'),
    stat('BTC pending confirmation', BTC('sum(tapbridge_deposit_sats{status="pending"})'), { decimals: 8, unit: 'none', description: 'Deposits seen on Bitcoin, waiting for DEPOSIT_CONFIRMATIONS.' }),
    stat('BTC confirmed (in custody)', BTC('sum(tapbridge_deposit_sats{status!~"pending|reclaimed"})'), { decimals: 8, unit: 'none' }),
    stat('BTC awaiting capacity', BTC('sum(tapbridge_deposit_sats{status="awaiting_capacity"})'), {
      decimals: 8,
      thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 0.00000001 }],
      description: 'Confirmed deposits held back by the collateral limit (not minted, still reclaimable).',
    }),
    stat('Deposits pending', 'sum(tapbridge_deposits{status="pending"})', { decimals: 0 }),
    stat('Confirmed, not minted', 'sum(tapbridge_deposits{status="confirmed"})', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }],
    }),
    stat('Blocks scanned / h', '3600 * sum(rate(tapbridge_blocks_scanned_total[$__rate_interval]))', { decimals: 1 }),
    timeseries('Deposits by status', [['sum by (status) (tapbridge_deposits)', '{{status}}']], { unit: 'none', stack: true, min: 0 }),
    timeseries('BTC by deposit status', [[BTC('sum by (status) (tapbridge_deposit_sats)'), '{{status}}']], { unit: 'none', stack: true, min: 0 }),

    row('Messaging'),
    stat('Outbox backlog', 'sum(tapbridge_outbox_pending)', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 100 }, { color: 'red', value: 1000 }],
      description: 'Events written but not yet published to JetStream, all services.',
    }),
    stat('Dead letters (24 h)', 'sum(increase(tapbridge_events_dead_lettered_total[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
      description: 'Events a consumer gave up on. Any is an incident: the effect did not happen.',
    }),
    stat('Events published / s', 'sum(rate(tapbridge_events_published_total[$__rate_interval]))', { decimals: 2 }),
    stat('Consumer errors / s', 'sum(rate(tapbridge_events_consumed_total{outcome=~"retry|error|dead_lettered"}[$__rate_interval]))', {
      decimals: 2,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 0.01 }],
    }),
    stat('Jobs failed for good (24 h)', 'sum(increase(tapbridge_jobs_failed_total[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }],
    }),
    stat('Waiting jobs', 'sum(tapbridge_jobs{state="waiting"})', { decimals: 0 }),
    timeseries('Outbox backlog by service', [['sum by (job) (tapbridge_outbox_pending)', '{{job}}']], { unit: 'none', min: 0 }),
    timeseries('Dead-lettered events', [
      ['sum by (consumer, subject) (increase(tapbridge_events_dead_lettered_total[$__rate_interval]))', '{{consumer}} ← {{subject}}'],
    ], { unit: 'none', min: 0, bars: true }),

    row('Signers'),
    stat('Signers ready', 'count(tapbridge_signer_ready == 1) or vector(0)', {
      decimals: 0,
      description: 'Threshold 3 of 5: below 3 nothing can be signed.',
      thresholds: [{ color: 'red', value: null }, { color: 'yellow', value: 3 }, { color: 'green', value: 4 }],
    }),
    stat('Signing sessions OK (24 h)', 'sum(increase(tapbridge_signing_sessions_total{outcome="success"}[24h]))', { decimals: 0 }),
    stat('Signing sessions failed (24 h)', 'sum(increase(tapbridge_signing_sessions_total{outcome!="success"}[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }],
    }),
    stat('Misbehaviour (24 h)', 'sum(increase(tapbridge_signing_misbehaviour_total[24h]))', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
      description: 'Invalid partial signatures identified by the coordinator.',
    }),
    stat('Collateral ratio', 'min(tapbridge_collateral_ratio)', {
      decimals: 2,
      description: 'Stake value / BTC in custody (stake-accounting). Required: COLLATERAL_RATIO.',
    }),
    stat('Required ratio', 'max(tapbridge_collateral_ratio_required)', { decimals: 2 }),
    stateTimeline('Signer readiness', 'max by (instance) (tapbridge_signer_ready)', '{{instance}}'),
    timeseries('Signing sessions by outcome', [
      ['sum by (outcome) (increase(tapbridge_signing_sessions_total[$__rate_interval]))', '{{outcome}}'],
    ], { unit: 'none', stack: true, min: 0, bars: true, h: 6 }),

    row('EVM'),
    stat('EVM block height', 'max(tapbridge_evm_block_height)'),
    stat('Blocks / min', '60 * deriv(max(tapbridge_evm_block_height)[5m:])', {
      decimals: 1,
      thresholds: [{ color: 'red', value: null }, { color: 'green', value: 0.1 }],
    }),
    stat('Mempool', 'max(tapbridge_evm_mempool_size)', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'yellow', value: 500 }, { color: 'red', value: 1000 }],
    }),
    stat('Mints (24 h)', 'sum(increase(tapbridge_evm_mints_total[24h]))', { decimals: 0 }),
    stat('Burns (24 h)', 'sum(increase(tapbridge_evm_burns_total[24h]))', { decimals: 0 }),
    stat('Mint reorgs (total)', 'sum(tapbridge_evm_mint_reorgs_total)', {
      decimals: 0,
      thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
      description: 'Mints whose Bitcoin deposit block left the best chain. Must stay 0.',
    }),
    timeseries('EVM height and mempool', [
      ['max(tapbridge_evm_block_height)', 'height'],
      ['max(tapbridge_evm_mempool_size)', 'mempool'],
    ], { unit: 'none' }),
    timeseries('Mints and burns', [
      ['sum(increase(tapbridge_evm_mints_total[$__rate_interval]))', 'mints'],
      ['sum(increase(tapbridge_evm_burns_total[$__rate_interval]))', 'burns'],
    ], { unit: 'none', min: 0, bars: true }),
  ],
});

// Services: per-service HTTP, events, jobs, process.
const J = `job=~"$job", instance=~"$instance"`;
const services = dashboard({
  uid: 'tapbridge-services',
  title: 'tapbridge / Services',
  description: 'Per-service view: targets, HTTP, event throughput, outbox, job queues, Node.js process.',
  tags: ['tapbridge'],
  variables: [
    datasourceVar,
    queryVar('job', 'Service', `label_values(up{job=~"${SERVICES}"}, job)`),
    queryVar('instance', 'Instance', 'label_values(up{job=~"$job"}, instance)'),
  ],
  panels: [
    row('Targets'),
    stateTimeline('Scrape target up', `up{${J}}`, '{{job}} {{instance}}', { w: 16, h: 7 }),
    timeseries('Process restarts (1 h)', [[`changes(process_start_time_seconds{${J}}[1h])`, '{{job}} {{instance}}']], { unit: 'none', min: 0, w: 8, h: 7 }),

    row('HTTP'),
    timeseries('Requests / s by status', [
      [`sum by (job, status_code) (rate(tapbridge_http_request_duration_seconds_count{${J}}[$__rate_interval]))`, '{{job}} {{status_code}}'],
    ], { unit: 'reqps', min: 0, w: 8 }),
    timeseries('5xx ratio', [
      [
        `sum by (job) (rate(tapbridge_http_request_duration_seconds_count{${J}, status_code=~"5.."}[$__rate_interval])) / sum by (job) (rate(tapbridge_http_request_duration_seconds_count{${J}}[$__rate_interval]))`,
        '{{job}}',
      ],
    ], { unit: 'percentunit', min: 0, w: 8 }),
    timeseries('Latency p95 by route', [
      [`histogram_quantile(0.95, sum by (job, route, le) (rate(tapbridge_http_request_duration_seconds_bucket{${J}}[$__rate_interval])))`, '{{job}} {{route}}'],
    ], { unit: 's', min: 0, w: 8 }),

    row('Events'),
    timeseries('Published / s by subject', [
      [`sum by (job, subject) (rate(tapbridge_events_published_total{${J}}[$__rate_interval]))`, '{{job}} → {{subject}}'],
    ], { unit: 'ops', min: 0, w: 8 }),
    timeseries('Consumed / s by consumer and outcome', [
      [`sum by (consumer, outcome) (rate(tapbridge_events_consumed_total{${J}}[$__rate_interval]))`, '{{consumer}} {{outcome}}'],
    ], { unit: 'ops', min: 0, w: 8 }),
    timeseries('Outbox pending', [[`sum by (job, instance) (tapbridge_outbox_pending{${J}})`, '{{job}} {{instance}}']], { unit: 'none', min: 0, w: 8 }),
    timeseries('Dead-lettered / s', [
      [`sum by (consumer, subject) (rate(tapbridge_events_dead_lettered_total{${J}}[$__rate_interval]))`, '{{consumer}} ← {{subject}}'],
    ], { unit: 'ops', min: 0, w: 12 }),
    timeseries('Consumer error ratio', [
      [
        `sum by (consumer) (rate(tapbridge_events_consumed_total{${J}, outcome=~"retry|error|dead_lettered"}[$__rate_interval])) / sum by (consumer) (rate(tapbridge_events_consumed_total{${J}}[$__rate_interval]))`,
        '{{consumer}}',
      ],
    ], { unit: 'percentunit', min: 0, w: 12 }),

    row('Job queues'),
    timeseries('Jobs by queue and state', [[`sum by (queue, state) (tapbridge_jobs{${J}, state!="completed"})`, '{{queue}} {{state}}']], { unit: 'none', min: 0, stack: true }),
    timeseries('Job attempts failed', [
      [`sum by (queue) (increase(tapbridge_jobs_retried_total{${J}}[$__rate_interval]))`, 'retried {{queue}}'],
      [`sum by (queue) (increase(tapbridge_jobs_failed_total{${J}}[$__rate_interval]))`, 'failed for good {{queue}}'],
    ], { unit: 'none', min: 0, bars: true }),

    row('Work'),
    timeseries('Block scan duration (deposit-indexer)', [
      ['histogram_quantile(0.5, sum by (le) (rate(tapbridge_block_scan_seconds_bucket[$__rate_interval])))', 'p50'],
      ['histogram_quantile(0.95, sum by (le) (rate(tapbridge_block_scan_seconds_bucket[$__rate_interval])))', 'p95'],
    ], { unit: 's', min: 0, w: 8 }),
    timeseries('EVM block execution (evm-gateway)', [['max(tapbridge_evm_block_execution_seconds)', 'last block']], { unit: 's', min: 0, w: 8 }),
    timeseries('EVM transactions per block', [['max(tapbridge_evm_block_txs)', 'txs']], { unit: 'none', min: 0, w: 8 }),

    row('Node.js process'),
    timeseries('CPU', [[`rate(process_cpu_seconds_total{${J}}[$__rate_interval])`, '{{job}} {{instance}}']], { unit: 'percentunit', min: 0, w: 8 }),
    timeseries('Resident memory', [[`process_resident_memory_bytes{${J}}`, '{{job}} {{instance}}']], { unit: 'bytes', min: 0, w: 8 }),
    timeseries('Heap used', [[`nodejs_heap_size_used_bytes{${J}}`, '{{job}} {{instance}}']], { unit: 'bytes', min: 0, w: 8 }),
    timeseries('Event loop lag p99', [[`nodejs_eventloop_lag_p99_seconds{${J}}`, '{{job}} {{instance}}']], { unit: 's', min: 0, w: 8 }),
    timeseries('GC time / s', [[`sum by (job, instance) (rate(nodejs_gc_duration_seconds_sum{${J}}[$__rate_interval]))`, '{{job}} {{instance}}']], { unit: 's', min: 0, w: 8 }),
    timeseries('Open file descriptors', [[`process_open_fds{${J}}`, '{{job}} {{instance}}']], { unit: 'none', min: 0, w: 8 }),
  ],
});

for (const [name, dash] of [['tapbridge-overview.json', overview], ['tapbridge-services.json', services]]) {
  writeFileSync(join(outDir, name), JSON.stringify(dash, null, 2) + '\n');
  console.log(`wrote ${join('infra/grafana/dashboards', name)} (${dash.panels.length} panels)`);
}
