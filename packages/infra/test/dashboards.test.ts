// The Grafana dashboards: generated (and current), one per operator question, every panel with a parseable query
// on its Prometheus data-source variable, laid out on Grafana's 24-column grid without overlaps. Whether the
// metrics exist is metric-names.e2e.test.ts's part.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPanels, dashboardQueries, DASHBOARDS_DIR, loadDashboards } from './support/monitoring.js';
import { infraDir, serviceApps } from './support/paths.js';
import { metricNamesIn } from './support/promql.js';
import { requireTool } from './support/tools.js';

const promtool = requireTool('promtool', 'apt-get install prometheus (Debian ships promtool in it)');

/** `promtool check rules` over the queries as recording rules: Prometheus' own parser and checks, as the server runs them. */
function promtoolCheck(queries: Array<{ expr: string }>): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-panel-queries-'));
  try {
    const file = path.join(dir, 'panels.rules.yml');
    // JSON is YAML: no quoting of the queries to get wrong.
    fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'grafana-panels', rules: queries.map((q, i) => ({ record: `tapbridge:panel_query_${i}`, expr: q.expr })) }] }));
    const r = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Grafana dashboards', () => {
  const dashboards = loadDashboards();

  it('are the generator\'s current output (edit infra/grafana/generate-dashboards.mjs, then run it)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-dashboards-'));
    try {
      const r = spawnSync(process.execPath, [path.join(infraDir, 'grafana', 'generate-dashboards.mjs'), out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(fs.readdirSync(out).sort()).toEqual(fs.readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort());
      for (const f of fs.readdirSync(out)) expect(fs.readFileSync(path.join(DASHBOARDS_DIR, f), 'utf8'), f).toBe(fs.readFileSync(path.join(out, f), 'utf8'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('one per user story, with unique uids and titles', () => {
    const titles = dashboards.map((d) => d.dashboard.title);
    expect(titles).toEqual(expect.arrayContaining(['tapbridge / Is money moving?', 'tapbridge / Are signers healthy?', 'tapbridge / Is the chain view right?']));
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
    expect(new Set(titles).size).toBe(dashboards.length);
  });

  it('every panel queries Prometheus through the data-source variable, in valid PromQL', () => {
    for (const { file, dashboard } of dashboards) {
      for (const panel of allPanels(dashboard.panels).filter((p) => (p as { type?: string }).type !== 'row')) {
        const where = `${file} "${panel.title}"`;
        expect(panel.targets?.length ?? 0, where).toBeGreaterThan(0);
        expect((panel as { datasource?: { uid?: string } }).datasource?.uid, where).toBe('${datasource}');
      }
    }
    // Throws PromqlSyntaxError (with the place) on the first bad query.
    for (const q of dashboardQueries()) expect(() => metricNamesIn(q.expr), q.where).not.toThrow();
  });

  it.skipIf(!promtool)('every panel and variable query parses with promtool (needs promtool)', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(10);
    const all = promtoolCheck(queries);
    expect(all.status, all.output).toBe(0);
    expect(all.output).toContain(`SUCCESS: ${queries.length} rules found`);
    // The check can fail: one broken query among them is named by promtool.
    const broken = promtoolCheck([...queries, { expr: 'sum(rate(tapbridge_x_total[5m]) by (job)' }]);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/parse error|unclosed|unexpected/i);
  });

  it('panels fit the 24-column grid and do not overlap', () => {
    for (const { file, dashboard } of dashboards) {
      const boxes = dashboard.panels.map((p) => ({ title: p.title, ...(p as { gridPos: { x: number; y: number; w: number; h: number } }).gridPos }));
      for (const b of boxes) expect(b.x + b.w, `${file} "${b.title}"`).toBeLessThanOrEqual(24);
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i]!, boxes[j]!];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${file}: "${a.title}" overlaps "${b.title}"`).toBe(false);
        }
    }
  });

  it('the services dashboard offers every service', () => {
    const services = dashboards.find((d) => d.file === 'tapbridge-services.json')!.dashboard;
    const jobVar = services.templating?.list?.find((v) => v.name === 'job');
    const query = (jobVar?.query as { query: string }).query;
    for (const app of serviceApps()) expect(query).toMatch(new RegExp(`[|"~]${app}[|"]`));
  });
});
