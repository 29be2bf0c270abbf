import { buildSweep, checkSweepDeposit, checkSweepWithdrawal, type SweepBuild, type SweepCustodyInput, type SweepDeposit, type SweepParams, type SweepWithdrawal } from './build.js';
import { SWEEP_MAX_COMMITTED_IDS } from './commitment.js';
import {
  SWEEP_DEFAULT_MAX_DEPOSITS,
  SWEEP_DEFAULT_MAX_WITHDRAWALS,
  SWEEP_DUST_LIMIT,
  SWEEP_MAX_STANDARD_VSIZE,
  SWEEP_MIN_DEPOSIT_REMAINDER,
  SWEEP_RECLAIM_SAFETY_BLOCKS,
} from './constants.js';
import { SweepError } from './errors.js';
import { splitFee } from './fee-split.js';
import { feeForVsize } from './rates.js';
import { rbfReplacementFee } from './rbf.js';
import { outputWeight, sweepInputWeight, sweepWeight, weightToVsize } from './weights.js';

export interface SweepDepositCandidate extends SweepDeposit {
  /** Height of the block that confirmed the deposit. */
  confirmationHeight: number;
  /** The reclaim leaf's CSV lock in blocks; required for deposit-leaf inputs, absent for simple-form deposits. */
  reclaimLockBlocks?: number;
}

export interface SweepLimits {
  maxDeposits: number;
  maxWithdrawals: number;
  /** Largest vsize allowed; by default just under Core's 100,000 vB standardness limit. */
  maxVsize: number;
}

export const DEFAULT_SWEEP_LIMITS: Readonly<SweepLimits> = Object.freeze({
  maxDeposits: SWEEP_DEFAULT_MAX_DEPOSITS,
  maxWithdrawals: SWEEP_DEFAULT_MAX_WITHDRAWALS,
  maxVsize: SWEEP_MAX_STANDARD_VSIZE - 1,
});

export interface PlanSweepParams {
  custodyScriptPubKey: Uint8Array;
  custodyInput?: SweepCustodyInput;
  /** Confirmed, unswept deposits, in any order. */
  deposits: readonly SweepDepositCandidate[];
  /** Final, unpaid withdrawals, in any order. */
  withdrawals: readonly SweepWithdrawal[];
  feeRateSatPerVb: number;
  tipHeight: number;
  limits?: Partial<SweepLimits>;
  /** Deposits within this many blocks of their reclaim lock wait; 3 by default. */
  reclaimSafetyBlocks?: number;
  /** When planning an RBF replacement: the replaced version's fee and vsize; the fee then also meets rbfReplacementFee. */
  replaces?: { fee: bigint; vsize: number; incrementalRelaySatPerVb?: number };
}

export type SweepRequestRef = { type: 'deposit'; txid: string; vout: number } | { type: 'withdrawal'; id: bigint };

export type SweepWaitCode =
  | 'invalid'
  | 'not-confirmed'
  | 'reclaim-lock-near'
  | 'deposit-limit'
  | 'withdrawal-limit'
  | 'size-limit'
  | 'max-fee-too-low'
  | 'deposit-too-small'
  | 'payout-below-dust'
  | 'insufficient-funds';

export interface SweepWaiting {
  ref: SweepRequestRef;
  code: SweepWaitCode;
  /** Human-readable: what kept it out of this sweep. */
  reason: string;
}

export interface SweepPlan {
  /** buildSweep's input with the fee chosen; undefined when there is nothing to sweep or pay. */
  params: SweepParams | undefined;
  /** buildSweep(params), already built (the plan's invariants hold for it). */
  build: SweepBuild | undefined;
  included: { deposits: SweepDepositCandidate[]; withdrawals: SweepWithdrawal[] };
  /** Every candidate not included, with why. Nothing is dropped silently. */
  waiting: SweepWaiting[];
}

const depositRef = (d: SweepDeposit): SweepRequestRef => ({ type: 'deposit', txid: d.txid, vout: d.vout });
const withdrawalRef = (w: SweepWithdrawal): SweepRequestRef => ({ type: 'withdrawal', id: w.id });

function resolveLimits(limits: Partial<SweepLimits> = {}): SweepLimits {
  const out = { ...DEFAULT_SWEEP_LIMITS, ...limits };
  if (!Number.isSafeInteger(out.maxDeposits) || out.maxDeposits < 0) throw new SweepError('limits', `maxDeposits ${out.maxDeposits} must be a non-negative integer`);
  if (!Number.isSafeInteger(out.maxWithdrawals) || out.maxWithdrawals < 0 || out.maxWithdrawals > SWEEP_MAX_COMMITTED_IDS)
    throw new SweepError('limits', `maxWithdrawals ${out.maxWithdrawals} must be 0..${SWEEP_MAX_COMMITTED_IDS}`);
  if (!Number.isSafeInteger(out.maxVsize) || out.maxVsize <= 0) throw new SweepError('limits', `maxVsize ${out.maxVsize} must be a positive integer`);
  return out;
}

const compareDeposits = (a: SweepDepositCandidate, b: SweepDepositCandidate): number =>
  a.confirmationHeight - b.confirmationHeight || (a.txid.toLowerCase() < b.txid.toLowerCase() ? -1 : a.txid.toLowerCase() > b.txid.toLowerCase() ? 1 : 0) || a.vout - b.vout;

/**
 * Chooses what the next sweep pays and at what fee (issue 9's packing rules), deterministically:
 * deposits by confirmation height then outpoint, withdrawals by id; at most `maxDeposits` deposits and
 * `maxWithdrawals` withdrawals, vsize ≤ `maxVsize`; deposits within `reclaimSafetyBlocks` of their reclaim
 * lock wait; the fee is ceil(vsize × rate) (and the RBF minimum when replacing); requests whose share breaks a
 * rule at that fee wait, and since dropping one raises the others' shares, this repeats until nothing changes.
 */
export function planSweep(params: PlanSweepParams): SweepPlan {
  const limits = resolveLimits(params.limits);
  const safety = params.reclaimSafetyBlocks ?? SWEEP_RECLAIM_SAFETY_BLOCKS;
  const { tipHeight, feeRateSatPerVb, custodyScriptPubKey, custodyInput } = params;
  if (!Number.isSafeInteger(tipHeight) || tipHeight < 0) throw new SweepError('tip-height', `tip height ${tipHeight} is not a non-negative integer`);
  if (!Number.isSafeInteger(safety) || safety < 0) throw new SweepError('reclaim-safety', `reclaimSafetyBlocks ${safety} is not a non-negative integer`);
  feeForVsize(0, feeRateSatPerVb);
  const waiting: SweepWaiting[] = [];

  // 1. Each candidate on its own: well-formed, unique, confirmed, far enough from its reclaim lock.
  const seenOutpoints = new Set<string>();
  if (custodyInput) seenOutpoints.add(`${custodyInput.txid.toLowerCase()}:${custodyInput.vout}`);
  const deposits: SweepDepositCandidate[] = [];
  params.deposits.forEach((d, i) => {
    const ref = depositRef(d);
    try {
      checkSweepDeposit(d, i);
    } catch (e) {
      if (!(e instanceof SweepError)) throw e;
      waiting.push({ ref, code: 'invalid', reason: e.message });
      return;
    }
    const key = `${d.txid.toLowerCase()}:${d.vout}`;
    if (seenOutpoints.has(key)) return waiting.push({ ref, code: 'invalid', reason: `outpoint ${key} is listed twice (or is the custody input)` });
    seenOutpoints.add(key);
    const h = d.confirmationHeight;
    if (!Number.isSafeInteger(h) || h < 0 || h > tipHeight) return waiting.push({ ref, code: 'not-confirmed', reason: `confirmation height ${h} is not at or below the tip ${tipHeight}` });
    if (d.kind === 'deposit-leaf') {
      const lock = d.reclaimLockBlocks;
      if (!Number.isSafeInteger(lock) || lock! <= 0) return waiting.push({ ref, code: 'invalid', reason: 'a deposit-leaf deposit needs its reclaim lock (reclaimLockBlocks)' });
      if (tipHeight - h + safety >= lock!)
        return waiting.push({
          ref,
          code: 'reclaim-lock-near',
          reason: `confirmed at ${h} with a ${lock}-block reclaim lock: at tip ${tipHeight} it is within ${safety} blocks of being reclaimable, so it is not swept`,
        });
    }
    deposits.push(d);
  });
  const seenIds = new Set<bigint>();
  const withdrawals: SweepWithdrawal[] = [];
  params.withdrawals.forEach((w, i) => {
    const ref = withdrawalRef(w);
    try {
      checkSweepWithdrawal(w, i, custodyScriptPubKey);
    } catch (e) {
      if (!(e instanceof SweepError)) throw e;
      return waiting.push({ ref, code: 'invalid', reason: e.message });
    }
    if (seenIds.has(w.id)) return waiting.push({ ref, code: 'invalid', reason: `withdrawal id ${w.id} is listed twice` });
    seenIds.add(w.id);
    withdrawals.push(w);
  });

  // 2. Deterministic order; the count limits take from the front of each queue.
  deposits.sort(compareDeposits);
  withdrawals.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const queuedDeposits = deposits.splice(limits.maxDeposits);
  const queuedWithdrawals = withdrawals.splice(limits.maxWithdrawals);
  // Slots freed by requests that cannot pay their share are refilled from the queues, unless size is what binds.
  let refill = true;
  const refillSlots = () => {
    if (!refill) return;
    while (deposits.length < limits.maxDeposits && queuedDeposits.length > 0) deposits.push(queuedDeposits.shift()!);
    while (withdrawals.length < limits.maxWithdrawals && queuedWithdrawals.length > 0) withdrawals.push(queuedWithdrawals.shift()!);
  };
  const finish = (plan: Omit<SweepPlan, 'waiting'>): SweepPlan => {
    for (const d of queuedDeposits)
      waiting.push({ ref: depositRef(d), code: 'deposit-limit', reason: `more than ${limits.maxDeposits} deposits are ready; it goes in a later sweep` });
    for (const w of queuedWithdrawals)
      waiting.push({ ref: withdrawalRef(w), code: 'withdrawal-limit', reason: `more than ${limits.maxWithdrawals} withdrawals are ready; it goes in a later sweep` });
    return { ...plan, waiting };
  };

  // 3. Until stable: size limit, fee at this size, shares; drop whatever breaks a rule and go again.
  const inputTotal0 = custodyInput?.value ?? 0n;
  for (;;) {
    if (deposits.length === 0 && withdrawals.length === 0) break;
    if (custodyInput === undefined && deposits.length === 0) {
      for (const w of [...withdrawals.splice(0), ...queuedWithdrawals.splice(0)])
        waiting.push({ ref: withdrawalRef(w), code: 'insufficient-funds', reason: 'no custody UTXO and no deposit to spend yet' });
      break;
    }
    const shape = { custodyScriptPubKey, custodyInput, deposits, withdrawals };
    const weight = sweepWeight(shape);
    const vsize = weightToVsize(weight);
    if (vsize > limits.maxVsize) {
      // Payouts are what users wait for; shed deposits (already minted) first, then the highest ids.
      const reason = `the sweep would be ${vsize} vB, above the ${limits.maxVsize} vB limit; it goes in a later sweep`;
      if (deposits.length > 0) waiting.push({ ref: depositRef(deposits.pop()!), code: 'size-limit', reason });
      else waiting.push({ ref: withdrawalRef(withdrawals.pop()!), code: 'size-limit', reason });
      refill = false;
      continue;
    }
    const fee = chooseFee(vsize, feeRateSatPerVb, params.replaces);
    const weights = [...deposits.map((d) => sweepInputWeight(d.kind, d)), ...withdrawals.map((w) => outputWeight(w.scriptPubKey))];
    const shares = splitFee(weights, fee);
    const rate = `${feeRateSatPerVb} sat/vB (fee ${fee} sat for ${vsize} vB)`;
    const keepDeposit = deposits.map((d, i) => {
      const share = shares[i]!;
      if (share > d.maxFeeSats) waiting.push({ ref: depositRef(d), code: 'max-fee-too-low', reason: `fee share ${share} sat at ${rate} exceeds its max fee ${d.maxFeeSats} sat` });
      else if (d.value - share < SWEEP_MIN_DEPOSIT_REMAINDER)
        waiting.push({ ref: depositRef(d), code: 'deposit-too-small', reason: `${d.value} sat minus fee share ${share} sat at ${rate} leaves under ${SWEEP_MIN_DEPOSIT_REMAINDER} sat` });
      else return true;
      return false;
    });
    const keepWithdrawal = withdrawals.map((w, i) => {
      const share = shares[deposits.length + i]!;
      if (share > w.maxFeeSats) waiting.push({ ref: withdrawalRef(w), code: 'max-fee-too-low', reason: `fee share ${share} sat at ${rate} exceeds its max fee ${w.maxFeeSats} sat` });
      else if (w.amountSats - share < SWEEP_DUST_LIMIT)
        waiting.push({ ref: withdrawalRef(w), code: 'payout-below-dust', reason: `${w.amountSats} sat minus fee share ${share} sat at ${rate} is below the ${SWEEP_DUST_LIMIT} sat dust limit` });
      else return true;
      return false;
    });
    if (keepDeposit.includes(false) || keepWithdrawal.includes(false)) {
      retain(deposits, keepDeposit);
      retain(withdrawals, keepWithdrawal);
      refillSlots();
      continue;
    }
    const inputTotal = deposits.reduce((a, d) => a + d.value, inputTotal0);
    const payoutTotal = withdrawals.reduce((a, w, i) => a + w.amountSats - shares[deposits.length + i]!, 0n);
    if (inputTotal - payoutTotal - fee < SWEEP_DUST_LIMIT && withdrawals.length > 0) {
      const w = withdrawals.pop()!;
      refill = false;
      waiting.push({ ref: withdrawalRef(w), code: 'insufficient-funds', reason: `custody holds ${inputTotal} sat in this sweep's inputs, not enough to pay it as well` });
      continue;
    }
    if (inputTotal - payoutTotal - fee < SWEEP_DUST_LIMIT) {
      // No withdrawals left and still short: only deposits too small for the fee; they wait.
      for (const d of deposits.splice(0)) waiting.push({ ref: depositRef(d), code: 'deposit-too-small', reason: `inputs do not cover the fee ${fee} sat and a custody output` });
      break;
    }
    const sweepParams: SweepParams = { custodyScriptPubKey, ...(custodyInput ? { custodyInput } : {}), deposits: [...deposits], withdrawals: [...withdrawals], fee };
    return finish({ params: sweepParams, build: buildSweep(sweepParams), included: { deposits: [...deposits], withdrawals: [...withdrawals] } });
  }
  return finish({ params: undefined, build: undefined, included: { deposits: [], withdrawals: [] } });
}

function chooseFee(vsize: number, rate: number, replaces: PlanSweepParams['replaces']): bigint {
  const byRate = feeForVsize(vsize, rate);
  if (replaces === undefined) return byRate;
  const rbf = rbfReplacementFee({
    oldFee: replaces.fee,
    oldVsize: replaces.vsize,
    newVsize: vsize,
    marketRateSatPerVb: rate,
    ...(replaces.incrementalRelaySatPerVb === undefined ? {} : { incrementalRelaySatPerVb: replaces.incrementalRelaySatPerVb }),
  });
  return rbf.fee > byRate ? rbf.fee : byRate;
}

function retain<T>(items: T[], keep: readonly boolean[]): void {
  let j = 0;
  for (let i = 0; i < items.length; i++) if (keep[i]) items[j++] = items[i]!;
  items.length = j;
}
