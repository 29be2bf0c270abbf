#!/usr/bin/env node
// Writes the Grafana dashboards in infra/grafana/dashboards/, one per question an operator asks:
//   tapbridge-money.json     "Is money moving?"      deposits → mints, burns → withdrawals → payouts, reserves
//   tapbridge-signers.json   "Are signers healthy?"  readiness, liveness, signing outcomes, misbehaviour, collateral
//   tapbridge-chain.json     "Is the chain view right?" Bitcoin tip and sources, reorgs, rejected headers, L2 head
//   tapbridge-services.json  per-service plumbing: targets, HTTP, events, jobs, Node.js process
// The JSON files are checked in (Grafana provisioning reads them); edit this script and re-run it:
//   node infra/grafana/generate-dashboards.mjs
// Every metric queried here must be one a service exports: packages/infra/test/metric-names.e2e.test.ts scrapes the
// running services and fails otherwise; packages/infra/test/dashboards.test.ts checks the files are current.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// An optional argument writes elsewhere (the check in packages/infra compares a fresh run with the checked-in files).
const outDir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
const DS = { type: 'prometheus', uid: '${datasource}' };
// The services: every app with a src/main.ts (a new app shows up here with no edit). Prometheus jobs carry their names.
const appsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'apps');
const SERVICES = readdirSync(appsDir)
  .filter((name) => existsSync(join(appsDir, name, 'src', 'main.ts')))
  .sort()
  .join('|');

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
const green = { color: 'green', value: null };

const money = dashboard({
  uid: 'tapbridge-money',
  title: 'tapbridge / Is money moving?',
  description: 'Deposits from Bitcoin to mints on the L2, burns to payouts on Bitcoin, and whether custody matches the L2 supply.',
  tags: ['tapbridge'],
  variables: [datasourceVar],
  panels: [
    row('Reserves: custody on Bitcoin vs bridged BTC on the L2'),
    stat('Reserves balance', 'min(tapbridge_reserves_invariant_holds)', {
      description: 'custody = L2 supply + pending withdrawals − fees paid (sweep-coordinator). Anything else is an incident.',
      mappings: [{ type: 'value', options: { 0: { text: 'DO NOT BALANCE', color: 'red' }, 1: { text: 'balance', color: 'green' } } }],
      thresholds: [{ color: 'red', value: null }, { color: 'green', value: 1 }],
    }),
    stat('Discrepancy (BTC)', BTC('max(tapbridge_reserves_discrepancy_sats)'), { decimals: 8, thresholds: [green] }),
    stat('Custody (BTC)', BTC('max(tapbridge_reserves_custody_sats)'), { decimals: 8 }),
    stat('L2 supply (BTC)', BTC('max(tapbridge_reserves_l2_supply_sats)'), { decimals: 8 }),
    stat('Sweep pipeline', 'max(tapbridge_sweep_pipeline_halted)', {
      mappings: [{ type: 'value', options: { 0: { text: 'running', color: 'green' }, 1: { text: 'HALTED', color: 'red' } } }],
      thresholds: [green, { color: 'red', value: 1 }],
    }),
    stat('Dead letters (24 h)', 'sum(increase(tapbridge_events_dead_lettered_total[24h]))', {
      decimals: 0,
      thresholds: [green, { color: 'red', value: 1 }],
      description: 'Events a consumer gave up on: a mint, signature or payout that did not happen.',
    }),
    timeseries('Custody vs L2 supply (BTC)', [
      [BTC('max(tapbridge_reserves_custody_sats)'), 'custody on Bitcoin'],
      [BTC('max(tapbridge_reserves_l2_supply_sats)'), 'L2 supply'],
      [BTC('max(tapbridge_reserves_discrepancy_sats)'), 'discrepancy'],
    ], { unit: 'none', w: 24, h: 7 }),

    row('Deposits: Bitcoin → L2'),
    stat('Registered', 'sum(tapbridge_deposits{status="registered"})', { decimals: 0, description: 'Registered, not yet seen in a block.' }),
    stat('Seen, confirming', 'sum(tapbridge_deposits{status="seen"})', { decimals: 0, description: 'In a block, waiting for DEPOSIT_CONFIRMATIONS.' }),
    stat('Confirmed', 'sum(tapbridge_deposits{status="confirmed"})', { decimals: 0, description: 'Confirmed (and minted once the gateway checked them), not yet swept into custody.' }),
    stat('Mints (24 h)', 'sum(increase(tapbridge_evm_mints_total[24h]))', { decimals: 0 }),
    stat('Mints refused (24 h)', 'sum(increase(tapbridge_evm_mint_refusals_total[24h])) + sum(increase(tapbridge_evm_mint_proof_rejections_total[24h]))', {
      decimals: 0,
      thresholds: [green, { color: 'red', value: 1 }],
      description: 'deposit.confirmed events the gateway refused: conflicting or out of range, or failing its own proof check.',
    }),
    stat('BTC confirming', BTC('sum(tapbridge_deposit_sats{status="seen"})'), { decimals: 8 }),
    timeseries('Deposits by status', [['sum by (status) (tapbridge_deposits)', '{{status}}']], { unit: 'none', min: 0 }),
    timeseries('Confirmations → mints', [
      ['sum(increase(tapbridge_evm_mints_total[$__rate_interval]))', 'mints'],
      ['sum(increase(tapbridge_blocks_scanned_total[$__rate_interval]))', 'blocks scanned (indexer)'],
    ], { unit: 'none', min: 0, bars: true }),

    row('Withdrawals: L2 burns → Bitcoin payouts'),
    stat('Burns (24 h)', 'sum(increase(tapbridge_evm_burns_total[24h]))', { decimals: 0 }),
    stat('Waiting (final, queued)', 'sum(tapbridge_withdrawals{status=~"final|queued"})', { decimals: 0 }),
    stat('In flight (signing, broadcast)', 'sum(tapbridge_withdrawals{status=~"signing|broadcast|confirmed"})', { decimals: 0 }),
    stat('Stuck', 'max(tapbridge_withdrawals_stuck)', {
      decimals: 0,
      thresholds: [green, { color: 'orange', value: 1 }],
      description: 'Waiting longer than WITHDRAWAL_STUCK_BLOCKS (never dropped).',
    }),
    stat('Held by the outflow limit', 'max(tapbridge_withdrawals_outflow_limited)', { decimals: 0, thresholds: [green, { color: 'yellow', value: 1 }] }),
    stat('Sweeps confirmed (24 h)', 'sum(increase(tapbridge_sweeps_confirmed_total[24h]))', { decimals: 0 }),
    timeseries('Withdrawals by status', [['sum by (status) (tapbridge_withdrawals)', '{{status}}']], { unit: 'none', min: 0, stack: true }),
    timeseries('Sweeps', [
      ['sum by (kind) (increase(tapbridge_sweeps_broadcast_total[$__rate_interval]))', 'broadcast {{kind}}'],
      ['sum(increase(tapbridge_sweeps_confirmed_total[$__rate_interval]))', 'confirmed'],
      ['sum(increase(tapbridge_sweep_signature_failures_total[$__rate_interval]))', 'signature failures'],
    ], { unit: 'none', min: 0, bars: true }),
    timeseries('Sweep fee rate (sat/vB)', [['max(tapbridge_sweep_fee_rate_sat_vb)', 'next sweep']], { unit: 'none', min: 0 }),
    timeseries('Outflow limit (BTC)', [
      [BTC('max(tapbridge_sweep_outflow_limit_sats)'), 'limit'],
      [BTC('max(tapbridge_sweep_outflow_headroom_sats)'), 'headroom'],
    ], { unit: 'none', min: 0 }),

    row('Plumbing that moves the money'),
    stat('Outbox backlog', 'sum(tapbridge_outbox_pending)', {
      decimals: 0,
      thresholds: [green, { color: 'yellow', value: 100 }, { color: 'red', value: 1000 }],
      description: 'Events written but not yet published to JetStream, all services.',
    }),
    stat('Jobs failed for good (24 h)', 'sum(increase(tapbridge_jobs_failed_total[24h]))', { decimals: 0, thresholds: [green, { color: 'yellow', value: 1 }] }),
    stat('Waiting jobs', 'sum(tapbridge_jobs{state="waiting"})', { decimals: 0 }),
    timeseries('Dead-lettered events', [
      ['sum by (consumer, subject) (increase(tapbridge_events_dead_lettered_total[$__rate_interval]))', '{{consumer}} ← {{subject}}'],
    ], { unit: 'none', min: 0, bars: true, w: 12 }),
  ],
});

const signers = dashboard({
  uid: 'tapbridge-signers',
  title: 'tapbridge / Are signers healthy?',
  description: 'Signer readiness and liveness, signature outcomes and latency, misbehaviour, and the collateral behind the signer set.',
  tags: ['tapbridge'],
  variables: [datasourceVar],
  panels: [
    row('The signer set'),
    stat('Signers ready', 'count(tapbridge_signer_ready == 1) or vector(0)', {
      decimals: 0,
      description: 'Signers holding a key share and taking part (threshold 3 of 5: below 3 nothing can be signed).',
      thresholds: [{ color: 'red', value: null }, { color: 'yellow', value: 3 }, { color: 'green', value: 4 }],
    }),
    stat('Signers live (coordinator)', 'max(tapbridge_signing_signers_live)', { decimals: 0, description: 'Signers the coordinator heard from within SIGNER_LIVENESS_MS.' }),
    stat('Signers scraped up', 'count(up{job="signer"} == 1) or vector(0)', { decimals: 0 }),
    stat('Group key', 'max(tapbridge_signing_group_key_ready)', {
      mappings: [{ type: 'value', options: { 0: { text: 'no DKG yet', color: 'orange' }, 1: { text: 'ready', color: 'green' } } }],
      thresholds: [{ color: 'orange', value: null }, { color: 'green', value: 1 }],
    }),
    stat('Misbehaviour (24 h)', 'sum(increase(tapbridge_signing_misbehaviour_total[24h]))', {
      decimals: 0,
      thresholds: [green, { color: 'red', value: 1 }],
      description: 'Invalid partial signatures identified by the coordinator.',
    }),
    stat('Collateral ratio', 'min(tapbridge_collateral_ratio)', { decimals: 2, description: 'Stake value / BTC in custody (stake-accounting); the required ratio is next to it.' }),
    stateTimeline('Signer readiness', 'max by (instance) (tapbridge_signer_ready)', '{{instance}}', { w: 12 }),
    stateTimeline('Signer scrape target up', 'max by (instance) (up{job="signer"})', '{{instance}}', { w: 12 }),

    row('Signing'),
    timeseries('Signature requests by outcome', [
      ['sum by (outcome) (increase(tapbridge_signing_signatures_total[$__rate_interval]))', '{{outcome}}'],
    ], { unit: 'none', stack: true, min: 0, bars: true, w: 8 }),
    timeseries('Time to signature', [
      ['histogram_quantile(0.5, sum by (le) (rate(tapbridge_signing_duration_seconds_bucket[$__rate_interval])))', 'p50'],
      ['histogram_quantile(0.95, sum by (le) (rate(tapbridge_signing_duration_seconds_bucket[$__rate_interval])))', 'p95'],
    ], { unit: 's', min: 0, w: 8 }),
    timeseries('ROAST sessions and attempts', [
      ['sum(increase(tapbridge_signing_roast_sessions_total[$__rate_interval]))', 'sessions'],
      ['sum by (cause) (increase(tapbridge_signing_attempts_total[$__rate_interval]))', 'attempts: {{cause}}'],
    ], { unit: 'none', min: 0, bars: true, w: 8 }),
    timeseries('Each signer\'s decisions', [
      ['sum by (instance, outcome) (increase(tapbridge_signer_sessions_total[$__rate_interval]))', '{{instance}} {{outcome}}'],
    ], { unit: 'none', min: 0, bars: true, w: 12, description: 'Nonces committed, partial signatures sent, refusals (policy checks) per signer.' }),
    timeseries('Secret nonces held', [['max by (instance) (tapbridge_signer_secret_nonces)', '{{instance}}']], { unit: 'none', min: 0, w: 12 }),

    row('Misbehaviour and refused messages'),
    timeseries('Misbehaviour by signer', [
      ['sum by (signer, reason) (increase(tapbridge_signing_misbehaviour_total[$__rate_interval]))', 'signer {{signer}}: {{reason}}'],
    ], { unit: 'none', min: 0, bars: true, w: 8 }),
    timeseries('Messages refused by the coordinator', [
      ['sum by (sender, reason) (increase(tapbridge_signing_messages_rejected_total[$__rate_interval]))', '{{sender}}: {{reason}}'],
    ], { unit: 'none', min: 0, bars: true, w: 8 }),
    timeseries('Messages refused by signers', [
      ['sum by (instance, code) (increase(tapbridge_signer_messages_rejected_total[$__rate_interval]))', '{{instance}}: {{code}}'],
    ], { unit: 'none', min: 0, bars: true, w: 8 }),

    row('Collateral (stake-accounting)'),
    stat('Capacity (sats)', 'min(tapbridge_stake_capacity_sats)', {
      decimals: 0,
      description: 'Stake value / R − what the bridge owes: deposits beyond it are held (not minted, still reclaimable).',
      thresholds: [{ color: 'red', value: null }, { color: 'green', value: 1 }],
    }),
    stat('Capacity frozen', 'max(tapbridge_stake_capacity_frozen)', {
      mappings: [{ type: 'value', options: { 0: { text: 'open', color: 'green' }, 1: { text: 'frozen', color: 'red' } } }],
      thresholds: [green, { color: 'red', value: 1 }],
      description: 'Frozen: no fresh stake price, or what the bridge owes is unknown. Nothing is minted past capacity.',
    }),
    stat('Stake price age', 'max(tapbridge_stake_price_age_seconds)', { unit: 's', thresholds: [green, { color: 'yellow', value: 120 }, { color: 'red', value: 300 }] }),
    stat('Epoch', 'max(tapbridge_stake_epoch)', { decimals: 0, description: 'The current epoch (stake.epoch.started); its set size is in the next panel.' }),
    stat('Slashes (24 h)', 'sum(increase(tapbridge_stake_slashes_total[24h])) or vector(0)', {
      decimals: 0,
      thresholds: [green, { color: 'red', value: 1 }],
      description: 'Slashes decided on verified evidence (GET /slashes on stake-accounting; TapbridgeSignerSlashed).',
    }),
    stat('Slashes pending on the L2 (tokens)', 'sum(tapbridge_stake_pending_slash_tokens) or vector(0)', {
      decimals: 0,
      thresholds: [green, { color: 'yellow', value: 1 }],
      description: 'Decided slashes the sequencer has not applied on the L2 yet (already counted off the signers\' stake).',
    }),
    timeseries('Collateral ratio vs required', [
      ['min(tapbridge_collateral_ratio)', 'ratio'],
      ['max(tapbridge_collateral_ratio_required)', 'required'],
    ], { unit: 'none', min: 0, w: 12 }),
    timeseries('Stake by signer (tokens)', [
      ['max by (signer) (tapbridge_stake_signer_stake_tokens)', '{{signer}}'],
      ['sum(tapbridge_stake_collateral_tokens)', 'collateral (all)'],
    ], { unit: 'none', min: 0, w: 12, description: 'Bonded + delegated per signer, after decided slashes; collateral also counts unbonding not yet released.' }),
    timeseries('Misbehaviour reports by outcome', [
      ['sum by (status) (increase(tapbridge_stake_misbehaviour_reports_total[$__rate_interval]))', '{{status}}'],
      ['sum by (offence) (increase(tapbridge_stake_slashes_total[$__rate_interval]))', 'slashed: {{offence}}'],
    ], { unit: 'none', min: 0, bars: true, w: 12, description: 'unproven: no evidence; rejected: evidence does not verify, or the signer is already jailed; duplicate: that offence was slashed.' }),
    timeseries('Epoch set size and capacity', [
      ['max(tapbridge_stake_epoch_set_size)', 'signers in the set'],
    ], { unit: 'none', min: 0, w: 12 }),
  ],
});

const chainView = dashboard({
  uid: 'tapbridge-chain',
  title: 'tapbridge / Is the chain view right?',
  description: 'The Bitcoin header chain the bridge validated against what its sources say, reorgs and rejected headers, and the L2 head.',
  tags: ['tapbridge'],
  variables: [datasourceVar],
  panels: [
    row('Bitcoin tip'),
    stat('Best height (validated)', 'max(tapbridge_btc_best_height)', { description: 'Height of the validated best chain (header-watcher).' }),
    stat('New tips (90 min)', 'max(changes(tapbridge_btc_best_height[90m]))', {
      decimals: 0,
      description: 'Times the best height changed in 90 minutes: about 9 on mainnet; 0 is a stale tip (TapbridgeBtcTipStale).',
      thresholds: [{ color: 'red', value: null }, { color: 'green', value: 1 }],
    }),
    stat('Sync lag (blocks)', 'max(tapbridge_btc_sync_lag_blocks)', {
      description: 'Blocks between the sources\' tip and the validated best chain.',
      thresholds: [green, { color: 'yellow', value: 3 }, { color: 'red', value: 7 }],
    }),
    stat('Source spread (blocks)', 'max(tapbridge_btc_source_height) - min(tapbridge_btc_source_height)', {
      decimals: 0,
      thresholds: [green, { color: 'yellow', value: 2 }],
      description: 'How far apart the sources\' tips are.',
    }),
    stat('Reorgs (24 h)', 'sum(increase(tapbridge_btc_reorgs_total[24h]))', { decimals: 0, thresholds: [green, { color: 'yellow', value: 1 }] }),
    stat('Headers rejected (24 h)', 'sum(increase(tapbridge_btc_headers_rejected_total[24h]))', { decimals: 0, thresholds: [green, { color: 'orange', value: 1 }] }),
    timeseries('Heights: best chain and each source', [
      ['max(tapbridge_btc_best_height)', 'best (validated)'],
      ['max by (source) (tapbridge_btc_source_height)', '{{source}}'],
    ], { unit: 'none', description: 'A source that stays below the others is lagging or on another chain.' }),
    timeseries('Sync lag (blocks)', [['max by (instance) (tapbridge_btc_sync_lag_blocks)', '{{instance}}']], { unit: 'none', min: 0 }),

    row('Sources and rules'),
    timeseries('Source errors and disagreements (header-watcher)', [
      ['sum by (source) (increase(tapbridge_btc_source_errors_total[$__rate_interval]))', 'errors {{source}}'],
      ['sum by (source) (increase(tapbridge_btc_source_disagreements_total[$__rate_interval]))', 'disagreements {{source}}'],
    ], { unit: 'none', min: 0, bars: true, w: 8 }),
    timeseries('Deposit events refused against the header chain', [
      ['sum(increase(tapbridge_evm_mint_proof_rejections_total[$__rate_interval]))', 'proof rejected'],
      ['sum(increase(tapbridge_evm_mint_refusals_total[$__rate_interval]))', 'refused'],
    ], { unit: 'none', min: 0, bars: true, w: 8, description: 'deposit.confirmed events the evm-gateway refused after checking them against its own view of the Bitcoin chain.' }),
    timeseries('Headers rejected by rule', [['sum by (rule) (increase(tapbridge_btc_headers_rejected_total[$__rate_interval]))', '{{rule}}']], { unit: 'none', min: 0, bars: true, w: 8 }),
    timeseries('Headers validated / min', [['60 * sum(rate(tapbridge_btc_headers_validated_total[$__rate_interval]))', 'validated']], { unit: 'none', min: 0, w: 12 }),
    timeseries('Reorgs by depth (per hour)', [
      ['sum by (le) (increase(tapbridge_btc_reorg_depth_bucket[1h]))', 'depth ≤ {{le}}'],
    ], { unit: 'none', min: 0, w: 12, description: 'Cumulative buckets: depth ≤ le.' }),

    row('Deposits seen from this chain'),
    stat('Blocks scanned / h', '3600 * sum(rate(tapbridge_blocks_scanned_total[$__rate_interval]))', { decimals: 1 }),
    stat('Unbacked mints', 'max(tapbridge_evm_unbacked_mints)', {
      decimals: 0,
      thresholds: [green, { color: 'red', value: 1 }],
      description: 'Minted deposits whose Bitcoin block left the best chain and did not confirm again. Must be 0.',
    }),
    stat('Mint reorgs (total)', 'sum(tapbridge_evm_mint_reorgs_total)', { decimals: 0, thresholds: [green, { color: 'orange', value: 1 }] }),
    stat('Re-confirmed after reorg', 'sum(tapbridge_evm_mint_reconfirmations_total)', { decimals: 0 }),
    timeseries('Block scan time (deposit-indexer)', [
      ['histogram_quantile(0.5, sum by (le) (rate(tapbridge_block_scan_seconds_bucket[$__rate_interval])))', 'p50'],
      ['histogram_quantile(0.95, sum by (le) (rate(tapbridge_block_scan_seconds_bucket[$__rate_interval])))', 'p95'],
    ], { unit: 's', min: 0, w: 8 }),

    row('L2 head'),
    stat('EVM block height', 'max(tapbridge_evm_block_height)'),
    stat('Blocks / min', '60 * deriv(max(tapbridge_evm_block_height)[5m:])', { decimals: 1, thresholds: [{ color: 'red', value: null }, { color: 'green', value: 0.1 }] }),
    stat('Mempool', 'max(tapbridge_evm_mempool_size)', { decimals: 0, thresholds: [green, { color: 'yellow', value: 500 }, { color: 'red', value: 1000 }] }),
    timeseries('EVM height and mempool', [
      ['max(tapbridge_evm_block_height)', 'height'],
      ['max(tapbridge_evm_mempool_size)', 'mempool'],
    ], { unit: 'none', w: 12 }),
    timeseries('EVM block execution (mean s) and size (mean txs)', [
      ['sum(rate(tapbridge_evm_block_execution_seconds_sum[$__rate_interval])) / sum(rate(tapbridge_evm_block_execution_seconds_count[$__rate_interval]))', 'execution (s)'],
      ['sum(rate(tapbridge_evm_block_txs_sum[$__rate_interval])) / sum(rate(tapbridge_evm_block_txs_count[$__rate_interval]))', 'transactions'],
    ], { unit: 'none', min: 0, w: 12 }),
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
    timeseries('EVM block execution (evm-gateway)', [
      ['histogram_quantile(0.5, sum by (le) (rate(tapbridge_evm_block_execution_seconds_bucket[$__rate_interval])))', 'p50'],
      ['histogram_quantile(0.95, sum by (le) (rate(tapbridge_evm_block_execution_seconds_bucket[$__rate_interval])))', 'p95'],
    ], { unit: 's', min: 0, w: 8 }),
    timeseries('EVM transactions per block', [
      ['histogram_quantile(0.95, sum by (le) (rate(tapbridge_evm_block_txs_bucket[$__rate_interval])))', 'p95'],
      ['sum(rate(tapbridge_evm_block_txs_sum[$__rate_interval])) / sum(rate(tapbridge_evm_block_txs_count[$__rate_interval]))', 'mean'],
    ], { unit: 'none', min: 0, w: 8 }),

    row('Node.js process'),
    timeseries('CPU', [[`rate(process_cpu_seconds_total{${J}}[$__rate_interval])`, '{{job}} {{instance}}']], { unit: 'percentunit', min: 0, w: 8 }),
    timeseries('Resident memory', [[`process_resident_memory_bytes{${J}}`, '{{job}} {{instance}}']], { unit: 'bytes', min: 0, w: 8 }),
    timeseries('Heap used', [[`nodejs_heap_size_used_bytes{${J}}`, '{{job}} {{instance}}']], { unit: 'bytes', min: 0, w: 8 }),
    timeseries('Event loop lag p99', [[`nodejs_eventloop_lag_p99_seconds{${J}}`, '{{job}} {{instance}}']], { unit: 's', min: 0, w: 8 }),
    timeseries('GC time / s', [[`sum by (job, instance) (rate(nodejs_gc_duration_seconds_sum{${J}}[$__rate_interval]))`, '{{job}} {{instance}}']], { unit: 's', min: 0, w: 8 }),
    timeseries('Open file descriptors', [[`process_open_fds{${J}}`, '{{job}} {{instance}}']], { unit: 'none', min: 0, w: 8 }),
  ],
});

const dashboards = [
  ['tapbridge-money.json', money],
  ['tapbridge-signers.json', signers],
  ['tapbridge-chain.json', chainView],
  ['tapbridge-services.json', services],
];
for (const [name, dash] of dashboards) {
  writeFileSync(join(outDir, name), JSON.stringify(dash, null, 2) + '\n');
  console.log(`wrote ${join(outDir, name)} (${dash.panels.length} panels)`);
}
