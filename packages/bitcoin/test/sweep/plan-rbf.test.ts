import { Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SweepError,
  buildSweep,
  planSweep,
  rbfReplacementFee,
  type PlanSweepParams,
  type SweepDepositCandidate,
  type SweepPlan,
  type SweepWithdrawal,
} from '../../src/sweep/index.js';
import { custody, leafDeposit, simpleDeposit, txidOf, withdrawal } from './fixtures.js';

describe('rbfReplacementFee', () => {
  it('takes the larger of max(market, old rate × 1.001) × vsize and old fee + vsize × incremental', () => {
    // Old: 1000 sat / 500 vB = 2 sat/vB. Rate rule: ceil(2.002 × 500) = 1001; increment rule: 1000 + 500.
    expect(rbfReplacementFee({ oldFee: 1000n, oldVsize: 500, newVsize: 500, marketRateSatPerVb: 1 })).toMatchObject({ fee: 1500n, byRate: 1001n, byIncrement: 1500n });
    expect(rbfReplacementFee({ oldFee: 1000n, oldVsize: 500, newVsize: 500, marketRateSatPerVb: 10 }).fee).toBe(5000n);
    // A smaller replacement (requests dropped out): ceil(2.002 × 300) = 601; 1000 + 300 = 1300.
    expect(rbfReplacementFee({ oldFee: 1000n, oldVsize: 500, newVsize: 300, marketRateSatPerVb: 1 }).fee).toBe(1300n);
    expect(rbfReplacementFee({ oldFee: 1000n, oldVsize: 500, newVsize: 500, marketRateSatPerVb: 1, incrementalRelaySatPerVb: 0.1 }).fee).toBe(1050n);
    // At a high old rate the 1.001 rule binds: 1,000,000 sat / 500 vB → 1,001,000.
    expect(rbfReplacementFee({ oldFee: 1_000_000n, oldVsize: 500, newVsize: 500, marketRateSatPerVb: 1 }).fee).toBe(1_001_000n);
    // Decimal rates are exact: 1.1 sat/vB × 100 vB is 110 sat.
    expect(rbfReplacementFee({ oldFee: 0n, oldVsize: 100, newVsize: 100, marketRateSatPerVb: 1.1, incrementalRelaySatPerVb: 0 }).fee).toBe(110n);
  });

  it('is the smallest fee meeting both rules (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 8n }),
        fc.integer({ min: 60, max: 100_000 }),
        fc.integer({ min: 60, max: 100_000 }),
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (oldFee, oldVsize, newVsize, marketMilli, incrMilli) => {
          const r = rbfReplacementFee({ oldFee, oldVsize, newVsize, marketRateSatPerVb: marketMilli / 1000, incrementalRelaySatPerVb: incrMilli / 1000 });
          const ok = (fee: bigint) =>
            fee * 1000n >= BigInt(newVsize) * BigInt(marketMilli) &&
            fee * BigInt(oldVsize) * 1000n >= oldFee * 1001n * BigInt(newVsize) &&
            fee * 1000n >= oldFee * 1000n + BigInt(newVsize) * BigInt(incrMilli);
          expect(ok(r.fee)).toBe(true);
          expect(r.fee === 0n || !ok(r.fee - 1n)).toBe(true);
        },
      ),
    );
  });

  it('refuses bad input', () => {
    expect(() => rbfReplacementFee({ oldFee: -1n, oldVsize: 1, newVsize: 1, marketRateSatPerVb: 1 })).toThrow(SweepError);
    expect(() => rbfReplacementFee({ oldFee: 1n, oldVsize: 0, newVsize: 1, marketRateSatPerVb: 1 })).toThrow(/positive integer/);
    expect(() => rbfReplacementFee({ oldFee: 1n, oldVsize: 1, newVsize: 1, marketRateSatPerVb: Number.NaN })).toThrow(/finite/);
  });
});

const candidate = (i: number, height = 800 + (i % 7), value = 200_000n, maxFee = 20_000n): SweepDepositCandidate =>
  i % 4 === 3 ? { ...simpleDeposit(i, value, maxFee), confirmationHeight: height } : { ...leafDeposit(i, value, maxFee), confirmationHeight: height, reclaimLockBlocks: 144 };

const base = (over: Partial<PlanSweepParams> = {}): PlanSweepParams => ({
  custodyScriptPubKey: custody.scriptPubKey,
  custodyInput: { txid: txidOf(1), vout: 0, value: 50_000_000n },
  deposits: Array.from({ length: 30 }, (_, i) => candidate(i)),
  withdrawals: Array.from({ length: 120 }, (_, i) => withdrawal(1000 - i * 3)),
  feeRateSatPerVb: 5,
  tipHeight: 850,
  ...over,
});

const refKey = (r: SweepPlan['waiting'][number]['ref']) => (r.type === 'deposit' ? `d:${r.txid}:${r.vout}` : `w:${r.id}`);

/** The invariants every plan keeps, whatever the candidates. */
function checkPlan(plan: SweepPlan, params: PlanSweepParams) {
  const limits = { maxDeposits: 25, maxWithdrawals: 100, maxVsize: 99_999, ...params.limits };
  // Every candidate is either included or waiting, exactly once.
  const seen = [
    ...plan.included.deposits.map((d) => `d:${d.txid}:${d.vout}`),
    ...plan.included.withdrawals.map((w) => `w:${w.id}`),
    ...plan.waiting.map((w) => refKey(w.ref)),
  ].sort();
  const all = [...params.deposits.map((d) => `d:${d.txid}:${d.vout}`), ...params.withdrawals.map((w) => `w:${w.id}`)].sort();
  expect(seen).toEqual(all);
  for (const w of plan.waiting) expect(w.reason.length).toBeGreaterThan(10);
  if (!plan.params) return;
  const b = plan.build!;
  // The independent decoder reads the same transaction.
  const btx = BitcoinjsTransaction.fromHex(b.hex);
  expect(btx.getId()).toBe(b.txid);
  expect(btx.outs.map((o) => o.value)).toEqual(b.tx.outputs.map((o) => o.value));
  expect(b.vsize).toBeLessThanOrEqual(limits.maxVsize);
  expect(plan.included.deposits.length).toBeLessThanOrEqual(limits.maxDeposits);
  expect(plan.included.withdrawals.length).toBeLessThanOrEqual(limits.maxWithdrawals);
  expect(b.fee * 1000n >= BigInt(b.vsize) * BigInt(Math.round(params.feeRateSatPerVb * 1000))).toBe(true);
  plan.included.withdrawals.forEach((w, i) => {
    expect(b.feeShares.withdrawals[i]! <= w.maxFeeSats).toBe(true);
    expect(w.amountSats - b.feeShares.withdrawals[i]! >= 546n).toBe(true);
  });
  plan.included.deposits.forEach((d, i) => {
    expect(b.feeShares.deposits[i]! <= d.maxFeeSats).toBe(true);
    expect(d.value - b.feeShares.deposits[i]! >= 546n).toBe(true);
    if (d.kind === 'deposit-leaf') expect(params.tipHeight - d.confirmationHeight + 3 < d.reclaimLockBlocks!).toBe(true);
  });
  // Deterministic order: deposits by height then outpoint, withdrawals by id.
  const ids = plan.included.withdrawals.map((w) => w.id);
  expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
  const heights = plan.included.deposits.map((d) => d.confirmationHeight);
  expect([...heights].sort((a, b) => a - b)).toEqual(heights);
  // A fixed point: planning again from what was included keeps all of it at the same fee.
  const again = planSweep({ ...params, deposits: plan.included.deposits, withdrawals: plan.included.withdrawals });
  expect(again.waiting).toEqual([]);
  expect(again.build!.txid).toBe(b.txid);
}

describe('planSweep', () => {
  it('packs 25 deposits and 100 withdrawals in order; the rest wait for the next sweep', () => {
    const params = base();
    const plan = planSweep(params);
    expect(plan.included.deposits).toHaveLength(25);
    expect(plan.included.withdrawals).toHaveLength(100);
    expect(plan.waiting.filter((w) => w.code === 'deposit-limit')).toHaveLength(5);
    expect(plan.waiting.filter((w) => w.code === 'withdrawal-limit')).toHaveLength(20);
    // Lowest ids go first; the 20 highest wait.
    expect(plan.waiting.filter((w) => w.code === 'withdrawal-limit').map((w) => (w.ref.type === 'withdrawal' ? w.ref.id : 0n))).toEqual(
      Array.from({ length: 20 }, (_, i) => BigInt(1000 - 19 * 3 + i * 3)),
    );
    expect(plan.build!.fee).toBe(BigInt(plan.build!.vsize * 5));
    checkPlan(plan, params);
    // Input order does not matter.
    const shuffled = planSweep({ ...params, deposits: [...params.deposits].reverse(), withdrawals: [...params.withdrawals].sort(() => 0.5 - Math.random()) });
    expect(shuffled.build!.txid).toBe(plan.build!.txid);
  });

  it('does not sweep a deposit within 3 blocks of its reclaim lock, and says so', () => {
    // Confirmed at 700 with a 144-block lock: reclaimable in block 844.
    const d = { ...leafDeposit(0), confirmationHeight: 700, reclaimLockBlocks: 144 };
    const at = (tipHeight: number) => planSweep(base({ deposits: [d], withdrawals: [], tipHeight }));
    expect(at(840).included.deposits).toHaveLength(1);
    const near = at(841);
    expect(near.included.deposits).toHaveLength(0);
    expect(near.params).toBeUndefined();
    expect(near.waiting).toEqual([{ ref: { type: 'deposit', txid: d.txid, vout: d.vout }, code: 'reclaim-lock-near', reason: expect.stringMatching(/within 3 blocks/) }]);
    // Simple-form deposits have no reclaim path; unconfirmed and lock-less leaf deposits are refused.
    expect(planSweep(base({ deposits: [candidate(3, 1)], withdrawals: [] })).included.deposits).toHaveLength(1);
    expect(planSweep(base({ deposits: [{ ...d, confirmationHeight: 851 }], withdrawals: [] })).waiting[0]!.code).toBe('not-confirmed');
    expect(planSweep(base({ deposits: [{ ...d, reclaimLockBlocks: undefined }], withdrawals: [] })).waiting[0]!.code).toBe('invalid');
  });

  it('lets requests whose max fee cannot cover their share wait, and iterates until stable', () => {
    // Withdrawals whose max fee just covers their share when 10 share the overhead, and one that pays nothing.
    const probe = planSweep(base({ deposits: [], withdrawals: Array.from({ length: 10 }, (_, i) => withdrawal(i + 1)) }));
    const shares = probe.build!.feeShares.withdrawals;
    const tight = Array.from({ length: 10 }, (_, i) => withdrawal(i + 1, 60_000n, shares[i]!));
    const cheap = withdrawal(11, 60_000n, 0n);
    const params = base({ deposits: [], withdrawals: [...tight, cheap] });
    const plan = planSweep(params);
    // With 11 the shares are smaller, so the cheap one is the only violator at first; once it leaves, the
    // others' shares are those of the probe again, which their max fee covers exactly.
    expect(plan.waiting).toEqual([{ ref: { type: 'withdrawal', id: 11n }, code: 'max-fee-too-low', reason: expect.stringMatching(/exceeds its max fee 0 sat/) }]);
    expect(plan.build!.feeShares.withdrawals).toEqual(shares);
    checkPlan(plan, params);
    // One sat less of max fee anywhere and the drop cascades: each departure raises the rest's shares.
    const cascade = base({ deposits: [], withdrawals: tight.map((w) => ({ ...w, maxFeeSats: w.maxFeeSats - 1n })) });
    const p2 = planSweep(cascade);
    expect(p2.params).toBeUndefined();
    expect(p2.waiting.every((w) => w.code === 'max-fee-too-low')).toBe(true);
    checkPlan(p2, cascade);
  });

  it('keeps under the size limit by shedding deposits first', () => {
    const params = base({ limits: { maxVsize: 5_000 } });
    const plan = planSweep(params);
    expect(plan.build!.vsize).toBeLessThanOrEqual(5_000);
    const shed = plan.waiting.filter((w) => w.code === 'size-limit');
    expect(shed.length).toBeGreaterThan(0);
    expect(plan.included.withdrawals).toHaveLength(100);
    checkPlan(plan, params);
  });

  it('pays withdrawals only from funds it has, lowest ids first', () => {
    const params = base({ custodyInput: undefined, deposits: [candidate(0, 800, 150_000n)], withdrawals: [1, 2, 3].map((id) => withdrawal(id, 60_000n)) });
    const plan = planSweep(params);
    expect(plan.included.withdrawals.map((w) => w.id)).toEqual([1n, 2n]);
    expect(plan.waiting).toEqual([{ ref: { type: 'withdrawal', id: 3n }, code: 'insufficient-funds', reason: expect.any(String) }]);
    checkPlan(plan, params);
    const none = planSweep(base({ custodyInput: undefined, deposits: [], withdrawals: [withdrawal(1)] }));
    expect(none.params).toBeUndefined();
    expect(none.waiting[0]!.code).toBe('insufficient-funds');
    expect(planSweep(base({ deposits: [], withdrawals: [] }))).toEqual({ params: undefined, build: undefined, included: { deposits: [], withdrawals: [] }, waiting: [] });
  });

  it('meets the RBF minimum when replacing', () => {
    const first = planSweep(base());
    const params = base({ replaces: { fee: first.build!.fee, vsize: first.build!.vsize } });
    const replacement = planSweep(params);
    const min = rbfReplacementFee({ oldFee: first.build!.fee, oldVsize: first.build!.vsize, newVsize: replacement.build!.vsize, marketRateSatPerVb: 5 });
    expect(replacement.build!.fee).toBe(min.fee);
    expect(replacement.build!.fee).toBe(first.build!.fee + BigInt(replacement.build!.vsize));
    checkPlan(replacement, params);
  });

  it('reports malformed and duplicate candidates instead of failing the whole plan', () => {
    const bad: SweepWithdrawal = { ...withdrawal(7), scriptPubKey: Uint8Array.of(0x6a) };
    const plan = planSweep(base({ deposits: [candidate(0), candidate(0)], withdrawals: [withdrawal(5), withdrawal(5), bad] }));
    expect(plan.waiting.map((w) => w.code)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(plan.included.withdrawals.map((w) => w.id)).toEqual([5n]);
  });

  it('keeps every invariant for random candidates (property)', () => {
    const depositArb = fc.record({ i: fc.nat({ max: 40 }), height: fc.integer({ min: 690, max: 850 }), value: fc.bigInt({ min: 600n, max: 400_000n }), maxFee: fc.bigInt({ min: 0n, max: 30_000n }) });
    const withdrawalArb = fc.record({ id: fc.nat({ max: 500 }), amount: fc.bigInt({ min: 500n, max: 3_000_000n }), maxFee: fc.bigInt({ min: 0n, max: 8_000n }) });
    fc.assert(
      fc.property(
        fc.uniqueArray(depositArb, { maxLength: 32, selector: (d) => d.i }),
        fc.uniqueArray(withdrawalArb, { maxLength: 110, selector: (w) => w.id }),
        fc.integer({ min: 1000, max: 60_000 }),
        fc.boolean(),
        fc.record({ maxDeposits: fc.integer({ min: 0, max: 30 }), maxWithdrawals: fc.integer({ min: 0, max: 110 }), maxVsize: fc.integer({ min: 300, max: 20_000 }) }),
        (ds, ws, rateMilli, hasCustody, limits) => {
          const params = base({
            custodyInput: hasCustody ? { txid: txidOf(1), vout: 0, value: 2_000_000n } : undefined,
            deposits: ds.map((d) => candidate(d.i, d.height, d.value, d.i % 4 === 3 ? d.maxFee : d.maxFee > 20_000n ? 20_000n : d.maxFee)),
            withdrawals: ws.map((w) => withdrawal(w.id, w.amount, w.maxFee)),
            feeRateSatPerVb: rateMilli / 1000,
            limits,
          });
          const plan = planSweep(params);
          checkPlan(plan, params);
          if (plan.params) expect(buildSweep(plan.params).txid).toBe(plan.build!.txid);
        },
      ),
      { numRuns: 60 },
    );
  });
});
