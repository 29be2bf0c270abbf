// Every service is scraped and alerted on: a new app under apps/ fails here until compose's Prometheus scrapes it and
// the availability alerts name it (Kubernetes scrapes every Service of the part-of=tapbridge label on its own).
import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadCompose, serviceEnv } from './support/compose.js';
import { loadRules } from './support/monitoring.js';
import { infraDir, serviceApps } from './support/paths.js';

describe('monitoring covers every service', () => {
  const apps = serviceApps();

  it('compose\'s Prometheus scrapes every service on its HTTP_PORT, as job <app>', () => {
    const config = load(fs.readFileSync(path.join(infraDir, 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const compose = loadCompose();
    for (const app of apps) {
      const job = config.scrape_configs.find((j) => j.job_name === app);
      expect(job, `scrape job ${app}`).toBeDefined();
      const expected = Object.entries(compose.services)
        .filter(([name]) => name === app || name.startsWith(`${app}-`))
        .map(([name, s]) => `${name}:${serviceEnv(s).HTTP_PORT}`);
      expect(job!.static_configs.flatMap((c) => c.targets).sort(), app).toEqual(expected.sort());
    }
  });

  it('the availability alerts name every service', () => {
    const rules = loadRules();
    const down = rules.filter((r) => r.alert === 'TapbridgeServiceDown' || r.alert === 'TapbridgeSignerDown').map((r) => r.expr).join(' ');
    const missing = rules.find((r) => r.alert === 'TapbridgeServiceMissing')!.expr;
    const restarting = rules.find((r) => r.alert === 'TapbridgeServiceRestarting')!.expr;
    for (const app of apps) {
      expect(down, `TapbridgeServiceDown/SignerDown ${app}`).toMatch(new RegExp(`["|]${app}["|]`));
      expect(missing, `TapbridgeServiceMissing ${app}`).toContain(`up{job="${app}"}`);
      expect(restarting, `TapbridgeServiceRestarting ${app}`).toMatch(new RegExp(`["|~]${app}["|]`));
    }
  });
});
