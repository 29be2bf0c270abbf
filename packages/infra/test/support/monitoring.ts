// What the Prometheus rules and the Grafana dashboards in infra/ query.
import fs from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { infraDir } from './paths.js';
import { metricNamesIn, substituteGrafanaVariables } from './promql.js';

export const RULES_FILE = path.join(infraDir, 'prometheus', 'rules.yml');
export const RULES_TEST_FILE = path.join(infraDir, 'prometheus', 'rules.test.yml');
export const DASHBOARDS_DIR = path.join(infraDir, 'grafana', 'dashboards');

const ruleSchema = z.object({ alert: z.string().optional(), record: z.string().optional(), expr: z.string(), labels: z.record(z.string(), z.string()).optional() }).passthrough();
const rulesSchema = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(ruleSchema) })) });
export type Rule = z.infer<typeof ruleSchema>;

export function loadRules(file = RULES_FILE): Rule[] {
  return rulesSchema.parse(loadYaml(fs.readFileSync(file, 'utf8'))).groups.flatMap((g) => g.rules);
}

/** One PromQL query with where it was found, for error messages. */
export interface QueryRef {
  where: string;
  expr: string;
}

export function ruleQueries(): QueryRef[] {
  return loadRules().map((r) => ({ where: `rules.yml ${r.alert ? `alert ${r.alert}` : `record ${r.record}`}`, expr: r.expr }));
}

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list?: Array<{ name: string; type: string; query?: unknown }> };
}

export function loadDashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return fs
    .readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

export function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Every panel target and every query variable (label_values(metric, label) reads `metric`). */
export function dashboardQueries(): QueryRef[] {
  const out: QueryRef[] = [];
  for (const { file, dashboard } of loadDashboards()) {
    for (const panel of allPanels(dashboard.panels)) {
      for (const t of panel.targets ?? []) if (t.expr) out.push({ where: `${file} panel "${panel.title ?? '?'}"`, expr: substituteGrafanaVariables(t.expr) });
    }
    for (const v of dashboard.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
      const m = q ? /^label_values\((.+),\s*[a-zA-Z_]+\)$/.exec(q.trim()) : null;
      if (m) out.push({ where: `${file} variable ${v.name}`, expr: substituteGrafanaVariables(m[1]!) });
      else if (q) out.push({ where: `${file} variable ${v.name}`, expr: substituteGrafanaVariables(q) });
    }
  }
  return out;
}

/** Series Prometheus itself makes (not any service's): `up` per scrape target. */
export const PROMETHEUS_SERIES = new Set(['up']);

/** Each referenced metric name with the places that use it. */
export function referencedNames(queries: QueryRef[]): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const q of queries) {
    for (const n of metricNamesIn(q.expr)) names.set(n, [...(names.get(n) ?? []), q.where]);
  }
  return names;
}
