// The outflow limit (issue 9, Nomic's rule): the payouts of the sweeps signed in a rolling window may not exceed a
// configured share of the reserve. One rule in one place: the signer's sweep policy refuses a sweep with it, and
// the sweep-coordinator's planner uses the same function and the same setting to pay only what fits.
//
// Definitions (both sides):
// - reserve: the sum of the sweep's own input values (custody input + deposits), i.e. what the sweep proves it spends;
// - the limit is a share of what the reserve held before the window's payouts left it: reserve + outflow of the
//   other families in the window. A share of the reserve as it is now would shrink with every payout, so even 100%
//   could leave withdrawals waiting a whole window once more than the rest had gone out (seen in settle.e2e);
// - outflow: the payout outputs of every sweep signed in the window plus this one, each RBF family (sweeps spending
//   the same input 0) counted once, at its largest version: at most one version of a family can confirm.
import { z } from 'zod';

export const DEFAULT_OUTFLOW_LIMIT_BPS = 1_000;
export const OUTFLOW_WINDOW_MS = 24 * 3600_000;

/** SWEEP_OUTFLOW_LIMIT_BPS, as the signer and the sweep-coordinator both read it (basis points, 1000 = 10%). */
export const outflowLimitBpsSetting = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(10_000, 'must be at most 10000 (100%)')
  .default(DEFAULT_OUTFLOW_LIMIT_BPS);

export interface OutflowRule {
  limitBps: number;
  windowMs: number;
}

/** One signed sweep as the window counts it. */
export interface OutflowEntry {
  /** The RBF family: the outpoint (or any stable key) every version of it spends as input 0. */
  family: string;
  /** Sum of its payout outputs. */
  payoutSats: bigint;
  /** When it was signed (the signer's record), or last asked to be signed (the coordinator's conservative stamp). */
  at: Date;
}

export interface OutflowStanding {
  /** The reserve the limit is a share of: the sweep's input total. */
  reserveSats: bigint;
  /** (reserve + others) × limitBps / 10000: a share of what the reserve held before the window's payouts. */
  limitSats: bigint;
  /** Outflow of the window without the candidate's family. */
  othersSats: bigint;
  /** The largest payout total the candidate may have: limit − others, and no less than 0. */
  headroomSats: bigint;
}

export function checkOutflowRule(rule: OutflowRule): void {
  if (!Number.isInteger(rule.limitBps) || rule.limitBps < 0 || rule.limitBps > 10_000) throw new RangeError('outflowLimitBps must be 0..10000');
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs <= 0) throw new RangeError('outflowWindowMs must be a positive whole number of ms');
}

/**
 * Where a candidate sweep of `family` spending `reserveSats` stands: the limit, what the other families signed in
 * the window already paid out, and the headroom left for it. Entries of the candidate's own family are not "others":
 * an RBF replacement replaces them (the family counts once, at its largest version: see `outflowAllows`).
 */
export function outflowStanding(o: { rule: OutflowRule; reserveSats: bigint; family: string; signed: readonly OutflowEntry[]; now: Date }): OutflowStanding {
  const since = o.now.getTime() - o.rule.windowMs;
  const byFamily = new Map<string, bigint>();
  for (const s of o.signed) {
    if (s.at.getTime() < since || s.family === o.family) continue;
    const prev = byFamily.get(s.family) ?? 0n;
    if (s.payoutSats > prev) byFamily.set(s.family, s.payoutSats);
  }
  const othersSats = [...byFamily.values()].reduce((a, b) => a + b, 0n);
  const limitSats = ((o.reserveSats + othersSats) * BigInt(o.rule.limitBps)) / 10_000n;
  const headroomSats = limitSats > othersSats ? limitSats - othersSats : 0n;
  return { reserveSats: o.reserveSats, limitSats, othersSats, headroomSats };
}

/**
 * The rule itself: the window's outflow with the candidate (its family at max(its earlier versions, the candidate))
 * is within the limit.
 */
export function outflowAllows(o: { rule: OutflowRule; reserveSats: bigint; family: string; payoutSats: bigint; signed: readonly OutflowEntry[]; now: Date }): OutflowStanding & { outflowSats: bigint; allowed: boolean } {
  const standing = outflowStanding(o);
  const since = o.now.getTime() - o.rule.windowMs;
  let own = o.payoutSats;
  for (const s of o.signed) if (s.family === o.family && s.at.getTime() >= since && s.payoutSats > own) own = s.payoutSats;
  const outflowSats = standing.othersSats + own;
  return { ...standing, outflowSats, allowed: outflowSats <= standing.limitSats };
}
