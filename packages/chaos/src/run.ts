// One chaos run: the private stack, the load and the faults in waves, a checker on every few seconds, a quiescent
// checkpoint after each wave, and the report. Everything started is torn down in `finally`, whatever failed.
import fs from 'node:fs';
import path from 'node:path';
import { checkCustody, checkLiveness, checkSafety, heldSats, mintKey, openRequests, percentile, type InvariantName, type Snapshot, type Violation } from './checker.js';
import { ChainLock, inject, Miner, type Injection } from './faults.js';
import { Load, newUser } from './load.js';
import { Observer } from './observer.js';
import { planFaults, planLoad, type FaultKind } from './schedule.js';
import { ChaosStack, tearDown, type SelfExit, type Teardown } from './stack.js';

export interface ChaosOptions {
  seed: string;
  size: 'smoke' | 'full' | 'custom';
  users: number;
  deposits: number;
  withdrawals: number;
  faults: number;
  /** Load and faults per wave; each wave ends with a quiescent checkpoint. */
  waves: number;
  waveMs: number;
  /** Every request must be final this long after the faults of its wave stopped. */
  boundMs: number;
  blockIntervalMs: number;
  out: string;
  build: boolean;
  weights?: Partial<Record<FaultKind, number>>;
  log: (line: string) => void;
}

export const SIZES = {
  smoke: { users: 6, deposits: 24, withdrawals: 10, faults: 4, waves: 1, waveMs: 120_000, boundMs: 900_000, blockIntervalMs: 2_000 },
  full: { users: 50, deposits: 1_000, withdrawals: 500, faults: 40, waves: 2, waveMs: 360_000, boundMs: 600_000, blockIntervalMs: 2_000 },
} as const;

export interface CheckpointRecord {
  wave: number;
  atMs: number;
  quiescent: boolean;
  open: number;
  custodySats: string;
  l2SupplySats: string;
  pendingSats: string;
  feesPaidSats: string;
  /** Deposits held for capacity (in custody, not minted). */
  heldSats: string;
  holds: boolean | null;
  apiInvariantHolds: boolean | null;
  apiDiscrepancySats: string | null;
}

export interface ChaosReport {
  seed: string;
  size: string;
  ok: boolean;
  startedAt: string;
  durationMs: number;
  config: Omit<ChaosOptions, 'log' | 'out' | 'build'>;
  lyingSigner: number;
  /** Which public API the load and checker used: the api-gateway, or the services' own (when the gateway did not build). */
  api: 'gateway' | 'services' | 'none';
  injections: Injection[];
  /** Services that exited by themselves (not killed by a fault) and were restarted by the harness's supervisor. */
  selfExits: SelfExit[];
  invariants: Array<{ name: InvariantName; result: 'pass' | 'fail' | 'not checked'; checks: number; violations: string[] }>;
  latencies: { depositToMintMs: Stats; burnToPayoutMs: Stats };
  load: { deposits: Record<string, number>; withdrawals: Record<string, number>; blocksMined: number; errors: string[] };
  checkpoints: CheckpointRecord[];
  error?: string;
  reportFile: string;
  logsDir?: string;
}

interface Stats {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

const INVARIANTS: InvariantName[] = ['no-deposit-lost', 'no-deposit-minted-twice', 'no-withdrawal-lost', 'no-withdrawal-paid-twice', 'custody-balances', 'final-within-bound'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(values: number[]): Stats {
  return { count: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: values.length ? Math.max(...values) : null };
}

/** The run in progress (from before its stack starts), for an interrupt. */
let active: { teardown: Teardown; logsDir: string } | undefined;

/**
 * For a SIGINT/SIGTERM of the CLI: keep the logs of what had started and stop everything the current run started —
 * also while it is still starting (processes not yet ready included) — and delete its temp dir; then the caller exits.
 */
export async function abortActiveRun(): Promise<void> {
  const a = active;
  active = undefined;
  if (!a) return;
  try {
    a.teardown.stack?.saveLogs(a.logsDir);
  } catch {
    // best effort
  }
  await tearDown(a.teardown, true);
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const t = () => `${Math.round((Date.now() - started) / 1000)}s`;
  const log = (l: string) => o.log(`[chaos ${t()}] ${l}`);
  const plan = planFaults({ seed: o.seed, faults: o.faults, windowMs: o.waves * o.waveMs, ...(o.weights ? { weights: o.weights } : {}) });
  const loadPlan = planLoad({ seed: o.seed, users: o.users, deposits: o.deposits, withdrawals: o.withdrawals });
  log(`seed ${o.seed}: ${plan.faults.length} faults, lying signer ${plan.lyingSigner}, ${loadPlan.deposits.length} deposits, ${loadPlan.withdrawals.length} withdrawals, ${o.users} users, ${o.waves} wave(s) of ${o.waveMs / 1000} s`);
  const violations = new Map<string, Violation>();
  const checks = new Map<InvariantName, number>(INVARIANTS.map((n) => [n, 0]));
  const count = (...names: InvariantName[]) => names.forEach((n) => checks.set(n, (checks.get(n) ?? 0) + 1));
  const record = (vs: Violation[]) => {
    for (const v of vs) {
      const key = `${v.invariant}|${v.detail}`;
      if (!violations.has(key)) {
        violations.set(key, v);
        log(`VIOLATION ${v.invariant}: ${v.detail}`);
      }
    }
  };
  const injections: Injection[] = [];
  const selfExits: SelfExit[] = [];
  let stopSupervisor: (() => void) | undefined;
  const checkpoints: CheckpointRecord[] = [];
  let stack: ChaosStack | undefined;
  let miner: Miner | undefined;
  let load: Load | undefined;
  let observer: Observer | undefined;
  let error: string | undefined;
  let apiMode: ChaosReport['api'] = 'none';
  let logsDir: string | undefined;
  let stopChecker = false;
  let checker: Promise<void> = Promise.resolve();
  const teardown: Teardown = { aborted: false };
  active = { teardown, logsDir: `${o.out.replace(/\.json$/, '')}.logs` };
  try {
    stack = await ChaosStack.start({ lyingSigner: plan.lyingSigner, log, build: o.build, teardown });
    apiMode = stack.api.mode;
    const users = Array.from({ length: o.users }, (_, i) => newUser(i));
    load = new Load(stack, users, log);
    observer = new Observer(stack, (await stack.btc.call<number>('getblockcount')) + 1, new Set(users.map((u) => u.address)));
    const lock = new ChainLock();
    miner = new Miner(stack, lock, o.blockIntervalMs);
    miner.start();
    const runStart = Date.now();
    stopSupervisor = stack.supervise(runStart, (e) => {
      selfExits.push(e);
      log(`SELF-EXIT ${e.service} (restarted: ${e.restarted}); last output: …${e.lastOutput.replace(/\s+/g, ' ').slice(-400)}`);
    });
    // The continuous checker: safety on both chains every few seconds (the API is read at the checkpoints).
    const st = stack;
    const ld = load;
    const ob = observer;
    checker = (async () => {
      while (!stopChecker) {
        try {
          const s = await ob.snapshot(ld.deposits, ld.withdrawals, false);
          record(checkSafety(s, ld.deposits, ld.withdrawals));
          count('no-deposit-minted-twice', 'no-withdrawal-paid-twice');
        } catch {
          // a chain endpoint down (the L2 node killed): next round
        }
        await sleep(3_000);
      }
    })();
    for (let wave = 0; wave < o.waves; wave++) {
      const waveStart = runStart + wave * o.waveMs;
      const inWave = <T>(items: T[]) => items.filter((_, i) => i % o.waves === wave);
      const deposits = inWave(loadPlan.deposits);
      const withdrawals = inWave(loadPlan.withdrawals);
      const faults = plan.faults.filter((f) => f.atMs >= wave * o.waveMs && f.atMs < (wave + 1) * o.waveMs);
      log(`wave ${wave + 1}/${o.waves}: ${deposits.length} deposits, ${withdrawals.length} withdrawals, ${faults.length} faults`);
      // Deposits spread over the first half of the wave, withdrawals from a fifth of it on (each waits for its funding).
      const tasks: Promise<void>[] = [];
      deposits.forEach((d, i) => tasks.push(sleep(Math.max(0, waveStart - Date.now()) + (o.waveMs * 0.5 * i) / Math.max(1, deposits.length)).then(() => ld.deposit(d))));
      const byUser = new Map<number, typeof withdrawals>();
      for (const w of withdrawals) byUser.set(w.user, [...(byUser.get(w.user) ?? []), w]);
      const fundingDeadline = waveStart + o.waveMs + o.boundMs;
      for (const list of byUser.values())
        tasks.push((async () => {
          await sleep(Math.max(0, waveStart + o.waveMs * 0.2 - Date.now()));
          for (const w of list) await ld.withdraw(w, fundingDeadline);
        })());
      for (const f of faults) {
        await sleep(Math.max(0, runStart + f.atMs - Date.now()));
        log(`fault ${f.id}: ${f.kind}${f.target ? ` ${f.target}` : ''}${f.depth ? ` depth ${f.depth}` : ''}${f.feeRateSatVb ? ` ${f.feeRateSatVb} sat/vB` : ''}`);
        const inj = await inject(f, st, lock, runStart);
        injections.push(inj);
        if (inj.outcome !== 'ok') log(`fault ${f.id} ${inj.outcome}`);
      }
      await sleep(Math.max(0, waveStart + o.waveMs - Date.now()));
      const faultsEnded = Date.now();
      log(`wave ${wave + 1}: faults stopped; waiting for every request to be final (bound ${o.boundMs / 1000} s)`);
      let tasksDone = false;
      const allTasks = Promise.all(tasks).then(() => (tasksDone = true));
      // Drain: until the load is all submitted and nothing is open (both chains and the API agree), or the bound.
      let snapshot: Snapshot | undefined;
      let lastOpen = '';
      let apiRounds = 0;
      while (Date.now() - faultsEnded < o.boundMs) {
        try {
          // The chains first (cheap); the API only once the chains say everything is done.
          const chainView = await ob.snapshot(ld.deposits, ld.withdrawals, false);
          const chainOpen = openRequests(chainView, ld.deposits, ld.withdrawals, false);
          let open = chainOpen;
          // Deposits held for capacity look open to the chains alone: ask the API now and then as well.
          if (tasksDone && (chainOpen.length === 0 || ++apiRounds % 3 === 0)) {
            snapshot = await ob.snapshot(ld.deposits, ld.withdrawals, true);
            open = openRequests(snapshot, ld.deposits, ld.withdrawals);
          }
          const summary = `${ld.deposits.length}/${deposits.length} deposits and ${ld.withdrawals.length}/${withdrawals.length} burns submitted so far${tasksDone ? ' (all)' : ''}; ${open.length} open${open.length ? `, e.g. ${open[0]}` : ''}`;
          if (summary !== lastOpen) log(summary);
          lastOpen = summary;
          if (tasksDone && open.length === 0) break;
        } catch (err) {
          log(`snapshot failed: ${(err as Error).message}`);
        }
        await sleep(5_000);
      }
      await Promise.race([allTasks, sleep(1_000)]);
      snapshot = await ob.snapshot(ld.deposits, ld.withdrawals, true);
      record(checkSafety(snapshot, ld.deposits, ld.withdrawals));
      record(checkLiveness(snapshot, ld.deposits, ld.withdrawals, o.boundMs, faultsEnded));
      count('no-deposit-minted-twice', 'no-withdrawal-paid-twice', 'no-deposit-lost', 'no-withdrawal-lost', 'final-within-bound');
      const open = openRequests(snapshot, ld.deposits, ld.withdrawals);
      const quiescent = open.length === 0;
      const custody = quiescent ? checkCustody(snapshot, ld.deposits) : [];
      if (quiescent) {
        count('custody-balances');
        record(custody);
      }
      checkpoints.push({
        wave: wave + 1, atMs: Date.now() - runStart, quiescent, open: open.length,
        custodySats: snapshot.custodySats.toString(), l2SupplySats: snapshot.l2SupplySats.toString(), pendingSats: snapshot.pendingSats.toString(), feesPaidSats: snapshot.feesPaidSats.toString(), heldSats: heldSats(snapshot, ld.deposits).toString(),
        holds: quiescent ? custody.length === 0 : null, apiInvariantHolds: snapshot.reserves?.invariantHolds ?? null, apiDiscrepancySats: snapshot.reserves?.discrepancySats ?? null,
      });
      log(`checkpoint ${wave + 1}: ${quiescent ? 'quiescent' : `${open.length} open`}; custody ${snapshot.custodySats} vs supply ${snapshot.l2SupplySats} + pending ${snapshot.pendingSats} − fees ${snapshot.feesPaidSats} + held ${heldSats(snapshot, ld.deposits)}`);
    }
  } catch (err) {
    error = (err as Error).stack ?? String(err);
    log(`run failed: ${(err as Error).message}`);
  } finally {
    stopChecker = true;
    stopSupervisor?.();
    await checker;
    miner?.stop();
    const failed = error !== undefined || violations.size > 0;
    if (stack && failed) {
      logsDir = `${o.out.replace(/\.json$/, '')}.logs`;
      stack.saveLogs(logsDir);
    }
    if (active?.teardown === teardown) active = undefined;
    await tearDown(teardown, false);
  }
  const deposits = load?.deposits ?? [];
  const withdrawals = load?.withdrawals ?? [];
  const d2m = deposits.flatMap((d) => {
    const seen = observer?.mintSeenAt.get(mintKey(d.recipient, d.amountSats));
    return seen === undefined || d.form === 'reclaimed' ? [] : [Math.max(0, seen - d.sentAt)];
  });
  const b2p = withdrawals.flatMap((w) => {
    const seen = observer?.payoutSeenAt.get(w.id);
    return seen === undefined ? [] : [Math.max(0, seen - w.burnedAt)];
  });
  const tally = (keys: string[]) => keys.reduce<Record<string, number>>((m, k) => ((m[k] = (m[k] ?? 0) + 1), m), {});
  const vs = [...violations.values()];
  const invariants = INVARIANTS.map((name) => {
    const mine = vs.filter((v) => v.invariant === name);
    const n = checks.get(name) ?? 0;
    return { name, result: (mine.length > 0 ? 'fail' : n === 0 ? 'not checked' : 'pass') as 'pass' | 'fail' | 'not checked', checks: n, violations: mine.slice(0, 50).map((v) => v.detail) };
  });
  const { log: _log, out: _out, build: _build, ...config } = o;
  const report: ChaosReport = {
    seed: o.seed, size: o.size,
    ok: error === undefined && invariants.every((i) => i.result === 'pass'),
    startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, config, lyingSigner: plan.lyingSigner, api: apiMode, injections, selfExits, invariants,
    latencies: { depositToMintMs: stats(d2m), burnToPayoutMs: stats(b2p) },
    load: { deposits: tally(deposits.map((d) => d.form)), withdrawals: tally(withdrawals.map((w) => w.scriptType)), blocksMined: miner?.blocks ?? 0, errors: load?.errors ?? [] },
    checkpoints, reportFile: o.out, ...(error ? { error } : {}), ...(logsDir ? { logsDir } : {}),
  };
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The report as text: injections, invariants, latencies, the seed. */
export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const sec = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  lines.push(`tapbridge chaos (${r.size}) seed ${r.seed}: ${r.ok ? 'PASS' : 'FAIL'} in ${Math.round(r.durationMs / 1000)} s; lying signer ${r.lyingSigner}; public API: ${r.api}`);
  lines.push('', 'injections:', `  ${pad('#', 4)}${pad('at', 8)}${pad('kind', 15)}${pad('target', 21)}${pad('outcome', 10)}detail`);
  for (const i of r.injections) lines.push(`  ${pad(String(i.id), 4)}${pad(`${Math.round(i.startedAtMs / 1000)}s`, 8)}${pad(i.kind, 15)}${pad(i.target, 21)}${pad(i.outcome === 'ok' ? 'ok' : 'ERROR', 10)}${i.detail}${i.outcome === 'ok' ? '' : ` (${i.outcome})`}`);
  for (const e of r.selfExits) lines.push(`  self-exit at ${Math.round(e.atMs / 1000)}s: ${e.service} exited by itself${e.restarted ? ', restarted' : ', restart failed'} (…${e.lastOutput.replace(/\s+/g, ' ').slice(-300)})`);
  lines.push('', 'invariants:');
  for (const i of r.invariants) {
    lines.push(`  ${pad(i.name, 26)}${pad(i.result.toUpperCase(), 13)}${i.checks} checks`);
    for (const v of i.violations.slice(0, 5)) lines.push(`      ${v}`);
  }
  lines.push('', 'latencies:');
  const l = r.latencies;
  lines.push(`  deposit → mint   n=${l.depositToMintMs.count} p50 ${sec(l.depositToMintMs.p50)} p99 ${sec(l.depositToMintMs.p99)} max ${sec(l.depositToMintMs.max)}`);
  lines.push(`  burn → payout    n=${l.burnToPayoutMs.count} p50 ${sec(l.burnToPayoutMs.p50)} p99 ${sec(l.burnToPayoutMs.p99)} max ${sec(l.burnToPayoutMs.max)}`);
  lines.push('', `load: deposits ${JSON.stringify(r.load.deposits)}, withdrawals ${JSON.stringify(r.load.withdrawals)}, ${r.load.blocksMined} blocks mined, ${r.load.errors.length} load errors`);
  for (const e of r.load.errors.slice(0, 5)) lines.push(`  ${e}`);
  for (const c of r.checkpoints)
    lines.push(`checkpoint ${c.wave}: ${c.quiescent ? 'quiescent' : `${c.open} open`}; custody ${c.custodySats} = supply ${c.l2SupplySats} + pending ${c.pendingSats} − fees ${c.feesPaidSats} + held ${c.heldSats}: ${c.holds ?? 'not checked'} (API reserves: ${c.apiInvariantHolds ?? '?'}, discrepancy ${c.apiDiscrepancySats ?? '?'})`);
  if (r.error) lines.push('', `run error: ${r.error.split('\n')[0]}`);
  lines.push('', `report: ${r.reportFile}${r.logsDir ? `; service logs: ${r.logsDir}` : ''}`);
  if (!r.ok) lines.push(`replay: pnpm chaos${r.size === 'full' ? ' --full' : ''} --seed ${r.seed}`);
  return lines.join('\n');
}
