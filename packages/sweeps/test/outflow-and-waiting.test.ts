// The planner keeps to the signers' 24 h outflow limit (packages/signing sweep-outflow.ts, the rule each signer
// refuses with): it pays what fits now, holds the rest back with the reason, and pays it once the window rolls on.
// And how long a withdrawal has waited is counted from the best tip known when it arrived, never from 0.
import { decodeTransaction, hashToHex } from '@tapbridge/bitcoin';
import { outflowAllows, OUTFLOW_WINDOW_MS, type OutflowEntry } from '@tapbridge/signing';
import { describe, expect, it } from 'vitest';
import {
  applyWithdrawalRequested, connectBlock, InMemorySweepStore, OUTFLOW_WAITING_PREFIX, planNextSweep, stuckWithdrawals, withdrawalView, type PlanningRules, type SweepVersion,
} from '../src/index.js';
import { activity, addDeposit, addWithdrawal, mine, rules, signAndBroadcast, withdrawal as withdrawalEvent } from '../src/testing/index.js';

const T0 = new Date('2026-12-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const withOutflow = (now: Date, limitBps = 1_000): PlanningRules => ({ ...rules(), outflow: { limitBps, windowMs: OUTFLOW_WINDOW_MS, now } });

const withdrawal = (store: InMemorySweepStore, id: number) => store.transaction(async (tx) => (await tx.getWithdrawal(BigInt(id)))!);

/**
 * What a signer computes for this transaction, from its bytes alone: input 0 as the family, the payout outputs
 * (2..) as its outflow, the inputs' values as the reserve; `signed` as its record of earlier sweeps.
 */
function signerVerdict(v: SweepVersion, signed: OutflowEntry[], now: Date) {
  const tx = decodeTransaction(v.unsignedHex);
  const input0 = tx.inputs[0]!.prevout;
  return outflowAllows({
    rule: { limitBps: 1_000, windowMs: OUTFLOW_WINDOW_MS },
    reserveSats: v.inputs.reduce((s, i) => s + i.value, 0n),
    family: `${hashToHex(input0.txid)}:${input0.vout}`,
    payoutSats: tx.outputs.slice(2).reduce((s, o) => s + o.value, 0n),
    signed,
    now,
  });
}

const entryOf = (v: SweepVersion, when: Date): OutflowEntry => ({
  family: `${v.inputs[0]!.txid}:${v.inputs[0]!.vout}`,
  payoutSats: v.payouts.reduce((s, p) => s + p.amountSats - p.feeShareSats, 0n),
  at: when,
});

describe('the planner within the signers\u2019 outflow limit', () => {
  it('pays the oldest withdrawals that fit, holds the rest back with the reason, and pays them once the window rolls on', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 1);
    await addDeposit(store, 1, 1_000_000n);
    await addWithdrawal(store, 1, 40_000n);
    await addWithdrawal(store, 2, 50_000n);
    await addWithdrawal(store, 3, 30_000n);
    await addWithdrawal(store, 4, 5_000n);

    const first = await store.transaction((tx) => planNextSweep(tx, withOutflow(T0)));
    if (first.kind !== 'planned') throw new Error(first.reason);
    // 10% of the 1,000,000 sat reserve: 1 and 2 (90,000 sat) fit; 3 does not, and 4 waits behind it (oldest first).
    expect(first.version.payouts.map((p) => p.withdrawalId)).toEqual([1n, 2n]);
    expect(first.outflow).toMatchObject({ reserveSats: 1_000_000n, limitSats: 100_000n, othersSats: 0n, headroomSats: 100_000n, deferred: 2 });
    for (const id of [3, 4]) {
      const w = await withdrawal(store, id);
      expect(w.status).toBe('final');
      expect(w.waitingReason).toMatch(new RegExp(`^${OUTFLOW_WAITING_PREFIX} \\d+ sat does not fit in the 100000 sat left; the signers pay out at most 10% of the reserve per 24 h`));
    }
    // A signer judging the bytes with the same rule signs it; with withdrawal 3 as well it would have refused.
    expect(signerVerdict(first.version, [], T0).allowed).toBe(true);
    expect(signerVerdict(first.version, [], T0).outflowSats + 30_000n).toBeGreaterThan(100_000n);

    await signAndBroadcast(store, first.version, 1, T0);
    await mine(store, 2, 3, { 2: activity([first.version.txid]) });

    // An hour later the window holds the first sweep's payouts (~90,000 sat) and the new reserve (the custody output,
    // ~910,000 sat) allows ~91,000: withdrawal 3 does not fit, and 4 waits behind it.
    const held = await store.transaction((tx) => planNextSweep(tx, withOutflow(at(3600_000))));
    expect(held).toMatchObject({ kind: 'nothing', reason: '2 withdrawals held back by the outflow limit; nothing else to sweep or pay' });
    expect(held.outflow!.othersSats).toBe(entryOf(first.version, T0).payoutSats);
    expect((await withdrawal(store, 3)).waitingReason).toMatch(/^outflow limit: 30000 sat does not fit in the \d+ sat left/);

    // A day after the first sweep was signed the window is empty again: 3 and 4 are paid. The signer's rule agrees
    // with both decisions: it allows this sweep now, and would have refused it an hour after the first.
    const windowRolled = at(OUTFLOW_WINDOW_MS + 1_000);
    const second = await store.transaction((tx) => planNextSweep(tx, withOutflow(windowRolled)));
    if (second.kind !== 'planned') throw new Error(second.reason);
    expect(second.version.payouts.map((p) => p.withdrawalId)).toEqual([3n, 4n]);
    expect(second.outflow).toMatchObject({ othersSats: 0n, deferred: 0 });
    expect(signerVerdict(second.version, [entryOf(first.version, T0)], windowRolled).allowed).toBe(true);
    expect(signerVerdict(second.version, [entryOf(first.version, T0)], at(3600_000)).allowed).toBe(false);
  });

  it('a withdrawal larger than the whole limit waits without holding the others back', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 1);
    await addDeposit(store, 1, 1_000_000n);
    await addWithdrawal(store, 1, 150_000n, 10_000n);
    await addWithdrawal(store, 2, 20_000n);
    const out = await store.transaction((tx) => planNextSweep(tx, withOutflow(T0)));
    if (out.kind !== 'planned') throw new Error(out.reason);
    expect(out.version.payouts.map((p) => p.withdrawalId)).toEqual([2n]);
    expect((await withdrawal(store, 1)).waitingReason).toMatch(/^outflow limit: 150000 sat exceeds the whole limit on its own/);
    expect(signerVerdict(out.version, [], T0).allowed).toBe(true);
  });

  it('without the rule (SWEEP_OUTFLOW_LIMIT_BPS=10000 or none given) everything that can be paid is', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 1);
    await addDeposit(store, 1, 1_000_000n);
    await addWithdrawal(store, 1, 400_000n, 10_000n);
    await addWithdrawal(store, 2, 500_000n, 10_000n);
    const out = await store.transaction((tx) => planNextSweep(tx, withOutflow(T0, 10_000)));
    if (out.kind !== 'planned') throw new Error(out.reason);
    expect(out.version.payouts.map((p) => p.withdrawalId)).toEqual([1n, 2n]);
  });
});

describe('how long a withdrawal waited', () => {
  it('counts from the header-watcher\u2019s tip while the pipeline catches up, not from the pipeline\u2019s older tip', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 5);
    await store.transaction((tx) => applyWithdrawalRequested(tx, withdrawalEvent(1, 10_000n), 200));
    expect((await withdrawal(store, 1)).receivedAtHeight).toBe(200);
    // The pipeline's chain reaches 200 and beyond: only the blocks after it arrived count.
    expect(withdrawalView(await withdrawal(store, 1), 150, 12)).toMatchObject({ waitingBlocks: 0, stuck: false });
    expect(withdrawalView(await withdrawal(store, 1), 212, 12)).toMatchObject({ waitingBlocks: 12, stuck: false });
    expect(withdrawalView(await withdrawal(store, 1), 213, 12)).toMatchObject({ waitingBlocks: 13, stuck: true });
  });

  it('one that arrived before the pipeline knew any tip starts waiting at its first block, not at height 0', async () => {
    const store = new InMemorySweepStore();
    await addWithdrawal(store, 1, 10_000n);
    const w = await withdrawal(store, 1);
    expect(w.receivedAtHeight).toBeUndefined();
    expect(withdrawalView(w, 0, 12)).toMatchObject({ waitingBlocks: 0, stuck: false });
    // The pipeline's first block is 110 (a chain that existed long before it started).
    await store.transaction((tx) => connectBlock(tx, { hash: 'ab'.repeat(32), height: 110, prevHash: 'aa'.repeat(32) }, activity(), 2));
    const stamped = await withdrawal(store, 1);
    expect(stamped.receivedAtHeight).toBe(110);
    expect(withdrawalView(stamped, 110, 12)).toMatchObject({ waitingBlocks: 0, stuck: false });
    expect(stuckWithdrawals([stamped], 122, 12)).toEqual([]);
    expect(stuckWithdrawals([stamped], 123, 12).map((x) => x.id)).toEqual([1n]);
  });
});
