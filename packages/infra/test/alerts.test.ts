// The alerting rules: valid for promtool, and every alert has promtool unit cases (infra/prometheus/rules.test.yml)
// in which it fires with the expected labels and annotations and in which it stays quiet.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadRules, RULES_FILE, RULES_TEST_FILE } from './support/monitoring.js';
import { infraDir } from './support/paths.js';
import { requireTool } from './support/tools.js';

const promtool = requireTool('promtool', 'apt-get install prometheus (Debian ships promtool in it)');

const testFileSchema = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      alert_rule_test: z.array(z.object({ eval_time: z.string(), alertname: z.string(), exp_alerts: z.array(z.object({ exp_labels: z.record(z.string(), z.unknown()).optional(), exp_annotations: z.record(z.string(), z.string()).optional() })).nullable().optional() })).optional(),
    }),
  ),
});

describe('Prometheus alerting rules', () => {
  const alerts = loadRules().filter((r) => r.alert !== undefined);
  const cases = testFileSchema.parse(loadYaml(fs.readFileSync(RULES_TEST_FILE, 'utf8'))).tests.flatMap((t) => t.alert_rule_test ?? []);

  it('every alert has a severity of critical or warning, a summary and a description', () => {
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      const annotations = (rule as { annotations?: Record<string, string> }).annotations ?? {};
      expect(annotations.summary, rule.alert).toBeTruthy();
      expect(annotations.description, rule.alert).toBeTruthy();
    }
  });

  it('every alert has a promtool case where it fires (labels and annotations checked) and one where it does not', () => {
    const missing: string[] = [];
    for (const rule of alerts) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      if (!mine.some((c) => (c.exp_alerts ?? []).length > 0 && c.exp_alerts!.every((a) => a.exp_annotations?.summary && a.exp_annotations.description))) missing.push(`${rule.alert}: no firing case with annotations`);
      if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${rule.alert}: no quiet case`);
    }
    expect(missing).toEqual([]);
    const unknown = cases.map((c) => c.alertname).filter((n) => !alerts.some((r) => r.alert === n));
    expect(unknown, 'cases for alerts that do not exist').toEqual([]);
  });

  it('the stories the issue names are alerted on', () => {
    const names = alerts.map((r) => r.alert);
    for (const name of ['TapbridgeWithdrawalsStuck', 'TapbridgeReservesInvariantBroken', 'TapbridgeBtcTipStale', 'TapbridgeSignerDown', 'TapbridgeCollateralRatioLow', 'TapbridgeDeadLetters']) expect(names).toContain(name);
  });

  it.skipIf(!promtool)('promtool check rules accepts rules.yml (needs promtool)', () => {
    const r = spawnSync(promtool!, ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it.skipIf(!promtool)('promtool test rules passes rules.test.yml (needs promtool)', () => {
    const r = spawnSync(promtool!, ['test', 'rules', path.basename(RULES_TEST_FILE)], { cwd: path.dirname(RULES_TEST_FILE), encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
    // promtool evaluates every case over its series: ~12 s of CPU, over two minutes of wall time on a loaded machine.
  }, 600_000);

  it('the Kubernetes PrometheusRule is the current copy of rules.yml (infra/scripts/sync.sh)', () => {
    const r = spawnSync('sh', [path.join(infraDir, 'scripts', 'sync.sh'), '--print-prometheusrule'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(infraDir, 'kustomize', 'components', 'monitoring', 'prometheusrule.yaml'), 'utf8')).toBe(r.stdout);
  });
});
