// The chaos smoke run (`pnpm chaos` at its default size) as part of the test command: a private stack, a small
// load, a few seeded faults, and every invariant must hold. CI runs one fixed seed (like the fuzzers); a local run
// draws a new one each time and prints it, so a failure is replayed with `pnpm chaos --seed <seed>`.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onPath } from '@tapbridge/testing';
import { describe, expect, it } from 'vitest';
import { formatReport, runChaos, SIZES } from '../src/run.js';

const pgBin = fs.existsSync('/usr/lib/postgresql') && fs.readdirSync('/usr/lib/postgresql').some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
const missing = [!pgBin && 'initdb/pg_ctl under /usr/lib/postgresql/*/bin', !onPath('nats-server') && 'nats-server', !onPath('redis-server') && 'redis-server'].filter(Boolean);

describe.skipIf(missing.length > 0)(`chaos smoke run${missing.length ? ` (needs ${missing.join(', ')})` : ''}`, () => {
  it('money is never lost or paid twice under kills, cuts, reorgs and fee spikes', async () => {
    const seed = process.env.CHAOS_SEED ?? (process.env.CI === 'true' ? '20261203' : randomBytes(4).toString('hex'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-chaos-report-'));
    const out = path.join(dir, `report-${seed}.json`);
    const lines: string[] = [];
    let keep = false;
    try {
      const report = await runChaos({
        ...SIZES.smoke, seed, size: 'smoke', out, build: true,
        log: (l) => lines.push(l),
      });
      const text = formatReport(report);
      console.log(`${lines.join('\n')}\n\n${text}`);
      expect(JSON.parse(fs.readFileSync(out, 'utf8')).seed).toBe(seed);
      expect(report.error, text).toBeUndefined();
      expect(report.injections.length, text).toBe(SIZES.smoke.faults);
      for (const inv of report.invariants) expect(`${inv.name}: ${inv.result}`, text).toBe(`${inv.name}: pass`);
      expect(report.ok, text).toBe(true);
    } catch (err) {
      // A failing run's report and service logs are the evidence: kept (and named) for the replay.
      keep = true;
      console.log(`${lines.join('\n')}\n\nkept for the post-mortem: ${dir}`);
      throw err;
    } finally {
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 45 * 60_000);
});
