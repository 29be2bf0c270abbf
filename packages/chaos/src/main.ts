// `pnpm chaos [--full] [--seed S] [--out report.json] [...]`: one chaos run on a private stack; prints the report,
// saves it as JSON, and exits 1 (printing the seed to replay) if any invariant failed.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { abortActiveRun, formatReport, runChaos, SIZES } from './run.js';

const HELP = `usage: pnpm chaos [--full] [--seed <s>] [--out <file.json>] [--users n] [--deposits n] [--withdrawals n]
                  [--faults n] [--waves n] [--wave-sec s] [--bound-sec s] [--no-build]
  default: the smoke size (${SIZES.smoke.deposits} deposits, ${SIZES.smoke.withdrawals} withdrawals, ${SIZES.smoke.faults} faults, ${SIZES.smoke.waveMs / 1000} s)
  --full:  the benchmark size (${SIZES.full.deposits} deposits from ${SIZES.full.users} users, ${SIZES.full.withdrawals} withdrawals, ${SIZES.full.faults} faults)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false }, seed: { type: 'string' }, out: { type: 'string' }, users: { type: 'string' }, deposits: { type: 'string' },
      withdrawals: { type: 'string' }, faults: { type: 'string' }, waves: { type: 'string' }, 'wave-sec': { type: 'string' }, 'bound-sec': { type: 'string' },
      'no-build': { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const int = (v: string | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got "${v}"`);
    return Number(v);
  };
  const base = values.full ? SIZES.full : SIZES.smoke;
  const custom = ['users', 'deposits', 'withdrawals', 'faults', 'waves', 'wave-sec', 'bound-sec'].some((k) => values[k as keyof typeof values] !== undefined);
  const seed = values.seed ?? randomBytes(4).toString('hex');
  const out = path.resolve(values.out ?? path.join(os.tmpdir(), 'tapbridge-chaos', `report-${seed}.json`));
  const report = await runChaos({
    seed, size: custom ? 'custom' : values.full ? 'full' : 'smoke', out, build: !values['no-build'],
    users: int(values.users, 'users', base.users), deposits: int(values.deposits, 'deposits', base.deposits), withdrawals: int(values.withdrawals, 'withdrawals', base.withdrawals),
    faults: int(values.faults, 'faults', base.faults), waves: Math.max(1, int(values.waves, 'waves', base.waves)),
    waveMs: int(values['wave-sec'], 'wave-sec', base.waveMs / 1000) * 1000, boundMs: int(values['bound-sec'], 'bound-sec', base.boundMs / 1000) * 1000,
    blockIntervalMs: base.blockIntervalMs, log: (l) => console.log(l),
  });
  console.log(`\n${formatReport(report)}`);
  return report.ok ? 0 : 1;
}

// Interrupted (also during start-up): stop every process the run started and delete its temp dir before exiting
// (test/interrupt.test.ts). Exit code 128 + the signal's number, as a shell reports it.
// Once a signal arrived, its handler owns the exit: the aborted run returns (or throws) before the stack is down,
// and exiting then would skip the clean-up and report 1 instead of the signal.
let interrupted = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const)
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the private stack`);
    void abortActiveRun().finally(() => {
      console.error(`${signal}: stopped`);
      process.exit(code);
    });
  });

main().then(
  (code) => {
    if (!interrupted) process.exit(code);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    if (!interrupted) process.exit(2);
  },
);
