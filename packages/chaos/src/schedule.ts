// The fault schedule and the load plan, both a pure function of (seed, sizes): a failing run prints its seed and the
// same seed gives the same faults at the same offsets against the same targets (test/schedule.test.ts).
import { Rng } from './rng.js';

export const SERVICES = [
  'header-watcher', 'deposit-indexer', 'evm-gateway', 'signing-coordinator',
  'signer-1', 'signer-2', 'signer-3', 'signer-4', 'signer-5', 'sweep-coordinator', 'api-gateway',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export const FAULT_KINDS = ['kill-service', 'kill-nats', 'kill-postgres', 'cut-nats', 'cut-postgres', 'reorg', 'fee-spike'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** Position in the schedule (faults run one after another, in this order). */
  id: number;
  kind: FaultKind;
  /** Offset from the start of the fault window; a fault starts then or when the one before it has ended. */
  atMs: number;
  /** A service for kill-service and the cuts (whose connection to NATS or Postgres is cut). */
  target?: ServiceName;
  /** How long the process stays dead, the link stays cut, or the fee spike lasts. */
  durationMs: number;
  /** reorg: blocks disconnected (1..6). */
  depth?: number;
  /** fee-spike: the mining floor and mempool min fee, sat/vB. */
  feeRateSatVb?: number;
}

export interface SchedulePlan {
  seed: string;
  /** The signer started with SIGNER_FAULT=bad-partial for the whole run. */
  lyingSigner: number;
  faults: Fault[];
}

export interface ScheduleOptions {
  seed: string;
  faults: number;
  windowMs: number;
  /** Relative weights; a kind left out (or 0) is never drawn. */
  weights?: Partial<Record<FaultKind, number>>;
}

export const DEFAULT_WEIGHTS: Record<FaultKind, number> = {
  'kill-service': 5, 'kill-nats': 1, 'kill-postgres': 1, 'cut-nats': 2, 'cut-postgres': 2, reorg: 3, 'fee-spike': 1,
};

/**
 * From this many faults on, every service is killed (kill -9 + restart) at least once: kinds are topped up with
 * kill-service faults in place of others when the draw fell short (the full run's 40 faults; the smoke's 4 cannot).
 */
export const COVER_EVERY_SERVICE_FROM = 2 * SERVICES.length;

export function planFaults(o: ScheduleOptions): SchedulePlan {
  if (!Number.isInteger(o.faults) || o.faults < 0) throw new RangeError(`faults must be a whole number, got ${o.faults}`);
  if (!(o.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${o.windowMs}`);
  const rng = new Rng(`${o.seed}/faults`);
  const weights = { ...DEFAULT_WEIGHTS, ...o.weights };
  const kinds = FAULT_KINDS.filter((k) => (weights[k] ?? 0) > 0).map((k) => [k, weights[k]] as const);
  const lyingSigner = rng.int(1, 5);
  const faults: Fault[] = [];
  if (kinds.length === 0) return { seed: o.seed, lyingSigner, faults };
  const drawn: FaultKind[] = Array.from({ length: o.faults }, () => rng.weighted(kinds));
  if (o.faults >= COVER_EVERY_SERVICE_FROM && (weights['kill-service'] ?? 0) > 0) {
    // Enough faults to kill every service: replace others (at seeded positions) until there are that many kills.
    const others = drawn.map((k, i) => [k, i] as const).filter(([k]) => k !== 'kill-service').map(([, i]) => i);
    let short = SERVICES.length - (drawn.length - others.length);
    while (short-- > 0) drawn[others.splice(rng.int(0, others.length - 1), 1)[0]!] = 'kill-service';
  }
  // Kill targets go through seeded permutations of every service: none is killed twice before all were killed once.
  let killOrder: ServiceName[] = [];
  const nextKillTarget = (): ServiceName => {
    if (killOrder.length === 0) killOrder = shuffle(rng, SERVICES);
    return killOrder.shift()!;
  };
  // One fault per slot of the window, at a random point of its first two thirds: spread out, never piled up.
  const slot = o.windowMs / Math.max(1, o.faults);
  for (let id = 0; id < o.faults; id++) {
    const kind = drawn[id]!;
    const atMs = Math.round(id * slot + rng.next() * slot * 0.66);
    const fault: Fault = { id, kind, atMs, durationMs: 0 };
    switch (kind) {
      case 'kill-service':
        fault.target = nextKillTarget();
        fault.durationMs = rng.int(1_000, 8_000);
        break;
      case 'kill-nats':
      case 'kill-postgres':
        fault.durationMs = rng.int(1_000, 5_000);
        break;
      case 'cut-nats':
      case 'cut-postgres':
        // The api-gateway keeps no state: cutting it shows nothing about money, so the cuts go to the others.
        fault.target = rng.pick(SERVICES.filter((s) => s !== 'api-gateway'));
        fault.durationMs = rng.int(2_000, 10_000);
        break;
      case 'reorg':
        fault.depth = rng.int(1, 6);
        break;
      case 'fee-spike':
        fault.feeRateSatVb = rng.int(5, 40);
        fault.durationMs = rng.int(5_000, 20_000);
        break;
    }
    faults.push(fault);
  }
  return { seed: o.seed, lyingSigner, faults };
}

/** Fisher–Yates with the seeded generator. */
function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The five withdrawal destinations; p2sh is the nested-segwit form (P2SH wrapping a P2WPKH redeem script). */
export const SCRIPT_TYPES = ['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2wsh', 'p2tr'] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

export type DepositForm = 'taproot' | 'op_return' | 'reclaimed' | 'large';

export interface PlannedDeposit {
  n: number;
  user: number;
  form: DepositForm;
  /** Unique per deposit (the checker matches mints on the L2 chain by recipient and amount). */
  amountSats: bigint;
}

export interface PlannedWithdrawal {
  n: number;
  user: number;
  scriptType: ScriptType;
  amountSats: bigint;
  maxFeeSats: bigint;
}

export interface LoadPlan {
  users: number;
  deposits: PlannedDeposit[];
  withdrawals: PlannedWithdrawal[];
}

/**
 * `reclaimedEvery`: every k-th deposit is never registered and taken back through its reclaim leaf; `opReturnEvery`:
 * the simple OP_RETURN form; `largeEvery`: a deposit far larger than the rest (over capacity once stake capacity is
 * enforced). Withdrawals cycle through the five script types and are spread over users; each user's withdrawals
 * stay below what its own plain deposits mint, so every burn is funded.
 */
export function planLoad(o: { seed: string; users: number; deposits: number; withdrawals: number }): LoadPlan {
  if (o.deposits >= 100_000) throw new RangeError('at most 99,999 deposits (their index is part of the amount)');
  if (o.users < 1) throw new RangeError('at least one user');
  const rng = new Rng(`${o.seed}/load`);
  const deposits: PlannedDeposit[] = [];
  const funded = new Array<bigint>(o.users).fill(0n);
  for (let n = 0; n < o.deposits; n++) {
    const user = n % o.users;
    // Forms by position, so even a small run has every one: 10% OP_RETURN, 5% reclaimed, 2% large.
    const form: DepositForm = n % 10 === 3 ? 'op_return' : n % 20 === 7 ? 'reclaimed' : n % 50 === 11 ? 'large' : 'taproot';
    // Unique amounts (n < 100,000 sits in the low digits): mints on the L2 are matched by recipient and amount.
    const amountSats = (form === 'large' ? 5_000n * 100_000n : BigInt(rng.int(50, 200)) * 100_000n) + BigInt(n);
    deposits.push({ n, user, form, amountSats });
    if (form !== 'reclaimed') funded[user]! += amountSats;
  }
  const withdrawals: PlannedWithdrawal[] = [];
  const spent = new Array<bigint>(o.users).fill(0n);
  for (let n = 0; n < o.withdrawals; n++) {
    const user = n % o.users;
    const amountSats = BigInt(rng.int(20, 50)) * 1_000n + BigInt(n);
    // Leave room for gas: never plan more than half of what the user's deposits bring.
    if (spent[user]! + amountSats > funded[user]! / 2n) continue;
    spent[user]! += amountSats;
    withdrawals.push({ n, user, scriptType: SCRIPT_TYPES[n % SCRIPT_TYPES.length]!, amountSats, maxFeeSats: 15_000n });
  }
  return { users: o.users, deposits, withdrawals };
}
