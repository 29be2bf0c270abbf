import { decodeTransaction, hashToHex, parseSweepCommitment, withdrawalIdsDigest, bytesToHex } from '@tapbridge/bitcoin';
import { describe, expect, it } from 'vitest';
import {
  InMemorySweepStore, completeSigning, computeReserves, connectBlock, currentCustody, disconnectBlock, planNextSweep, planReplacement, recordSignature,
  recordSignatureRequest, pendingSteps, withdrawalView, applyDepositReclaimed, type SweepVersion,
} from '../src/index.js';
import { activity, addDeposit, addWithdrawal, custodyScriptPubKey, hash, keys, mine, rules, signAndBroadcast, signInput, SIGNING_TIME } from '../src/testing/index.js';

async function firstSweep(store: InMemorySweepStore) {
  await mine(store, 1, 1);
  await addDeposit(store, 1, 200_000n);
  await addDeposit(store, 2, 150_000n);
  await addWithdrawal(store, 1, 50_000n);
  await addWithdrawal(store, 2, 30_000n, 5_000n, '0x' + '0b'.repeat(20));
  const out = await store.transaction((tx) => planNextSweep(tx, rules()));
  if (out.kind !== 'planned') throw new Error(out.reason);
  return out.version;
}

const status = (store: InMemorySweepStore, id: number) => store.transaction(async (tx) => (await tx.getWithdrawal(BigInt(id)))!.status);

describe('planning', () => {
  it('persists the first sweep unsigned, with the layout of the spec, and plans nothing more while it is in flight', async () => {
    const store = new InMemorySweepStore();
    const v = await firstSweep(store);
    expect(v.status).toBe('planned');
    expect(v.inputs.map((i) => i.kind)).toEqual(['deposit-leaf', 'deposit-leaf']);
    const tx = decodeTransaction(v.unsignedHex);
    expect(hashToHex(tx.txid)).toBe(v.txid);
    expect(bytesToHex(tx.outputs[0]!.scriptPubKey)).toBe(custodyScriptPubKey);
    const commitment = parseSweepCommitment(tx.outputs[1]!.scriptPubKey);
    expect(commitment.count).toBe(2);
    expect(bytesToHex(commitment.digest)).toBe(bytesToHex(withdrawalIdsDigest([1n, 2n])));
    // Every sat accounted for: inputs = custody output + payouts + fee.
    const payouts = v.payouts.reduce((s, p) => s + p.amountSats - p.feeShareSats, 0n);
    expect(350_000n).toBe(v.custodyOutputSats + payouts + v.feeSats);
    expect(tx.outputs[2]!.value).toBe(50_000n - v.payouts[0]!.feeShareSats);
    expect(await status(store, 1)).toBe('queued');
    const again = await store.transaction((t) => planNextSweep(t, rules()));
    expect(again).toMatchObject({ kind: 'nothing', reason: 'a sweep is in flight' });
  });

  it('leaves a withdrawal whose max fee cannot cover its share waiting, with the reason, and never drops it', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 1);
    await addDeposit(store, 1, 200_000n);
    await addWithdrawal(store, 1, 50_000n, 1n);
    const out = await store.transaction((tx) => planNextSweep(tx, rules({ feeRateSatPerVb: 5 })));
    expect(out.kind).toBe('planned');
    const w = await store.transaction(async (tx) => (await tx.getWithdrawal(1n))!);
    expect(w.status).toBe('final');
    expect(w.waitingReason).toMatch(/exceeds its max fee 1 sat/);
    await mine(store, 2, 30);
    const view = withdrawalView(w, 30, 24);
    expect(view).toMatchObject({ status: 'final', stuck: true, waitingBlocks: 29 });
  });
});

describe('signing', () => {
  it('keeps only signatures that verify, and persists the signed transaction with the right witnesses', async () => {
    const store = new InMemorySweepStore();
    const v = await firstSweep(store);
    await store.transaction((tx) => recordSignatureRequest(tx, v.txid, 0, 'r0', SIGNING_TIME));
    expect(await status(store, 1)).toBe('signing');
    // A signature of input 1's sighash is no signature of input 0.
    expect(await store.transaction((tx) => recordSignature(tx, v.txid, 0, signInput(v, 1), keys, SIGNING_TIME))).toBe(false);
    await expect(store.transaction((tx) => completeSigning(tx, v.txid, keys))).rejects.toThrow(/no signature/);
    expect(await store.transaction((tx) => recordSignature(tx, v.txid, 0, signInput(v, 0), keys, SIGNING_TIME))).toBe(true);
    expect(await store.transaction((tx) => recordSignature(tx, v.txid, 1, signInput(v, 1), keys, SIGNING_TIME))).toBe(true);
    const signed = await store.transaction((tx) => completeSigning(tx, v.txid, keys));
    const tx = decodeTransaction(signed.signedHex!);
    expect(hashToHex(tx.txid)).toBe(v.txid);
    expect(tx.inputs.map((i) => i.witness.length)).toEqual([3, 3]);
    expect(bytesToHex(tx.inputs[0]!.witness[1]!)).toBe(v.inputs[0]!.leafScript);
    const steps = await store.transaction((t) => pendingSteps(t));
    expect(steps.map((s) => s.kind)).toEqual(['broadcast']);
  });
});

describe('confirmations, reorgs and payouts', () => {
  it('pays each withdrawal once at the required depth, undoes it when the block leaves, pays again after', async () => {
    const store = new InMemorySweepStore();
    const v = await firstSweep(store);
    await signAndBroadcast(store, v, 1);
    expect(await status(store, 1)).toBe('broadcast');
    await mine(store, 2, 2, { 2: activity([v.txid]) });
    expect(await status(store, 1)).toBe('confirmed');
    const custody = await store.transaction((tx) => currentCustody(tx));
    expect(custody).toMatchObject({ txid: v.txid, vout: 0, value: v.custodyOutputSats });
    await mine(store, 3, 3);
    expect(await status(store, 1)).toBe('paid');
    expect(store.outbox.filter((e) => e.subject === 'withdrawal.paid')).toHaveLength(2);
    const paid = store.outbox.find((e) => e.subject === 'withdrawal.paid' && (e.payload as { withdrawalId: string }).withdrawalId === '1')!.payload;
    expect(paid).toEqual({ withdrawalId: '1', txid: v.txid, vout: 2, amountReceivedSats: (50_000n - v.payouts[0]!.feeShareSats).toString(), feeSats: v.payouts[0]!.feeShareSats.toString(), blockHash: hash(2), blockHeight: 2 });

    // Blocks 3 and 2 leave the best chain: back to broadcast, to be rebroadcast as is.
    await store.transaction((tx) => disconnectBlock(tx, { hash: hash(3), height: 3 }));
    await store.transaction((tx) => disconnectBlock(tx, { hash: hash(2), height: 2 }));
    expect(await status(store, 1)).toBe('broadcast');
    expect((await store.transaction((tx) => tx.getVersion(v.txid)))!.status).toBe('broadcast');
    expect(await store.transaction((tx) => planNextSweep(tx, rules()))).toMatchObject({ kind: 'nothing' });
    // The same transaction in another block at height 2.
    const other = { hash: 'ee'.repeat(32), height: 2, prevHash: hash(1) };
    await store.transaction((tx) => connectBlock(tx, other, activity([v.txid]), 2));
    await store.transaction((tx) => connectBlock(tx, { hash: 'ef'.repeat(32), height: 3, prevHash: other.hash }, activity(), 2));
    expect(await status(store, 1)).toBe('paid');
    const events = store.outbox.filter((e) => e.subject === 'withdrawal.paid' && (e.payload as { withdrawalId: string }).withdrawalId === '1');
    // Paid again by the same transaction: the same event (id withdrawal.paid:<id>:<txid>), published once.
    expect(events.map((e) => e.id)).toEqual([`withdrawal.paid:1:${v.txid}`]);
    expect(events.map((e) => (e.payload as { blockHash: string }).blockHash)).toEqual([hash(2)]);
    expect((await store.transaction((tx) => tx.historyOf(1n))).filter((h) => h.status === 'paid')).toHaveLength(2);
  });

  it('replaces a sweep stuck K blocks (same custody input, higher fee); a withdrawal that cannot pay the new share drops out, and the version mined decides who is paid', async () => {
    const store = new InMemorySweepStore();
    const v0 = await firstSweep(store);
    await signAndBroadcast(store, v0, 1);
    await mine(store, 2, 2, { 2: activity([v0.txid]) });
    await mine(store, 3, 4);
    // Second family: spends the custody output of the first.
    await addWithdrawal(store, 3, 40_000n, 5_000n);
    await addWithdrawal(store, 4, 20_000n, 700n);
    const planned = await store.transaction((tx) => planNextSweep(tx, rules({ feeRateSatPerVb: 2 })));
    if (planned.kind !== 'planned') throw new Error(planned.reason);
    const a = planned.version;
    expect(a.inputs[0]).toMatchObject({ txid: v0.txid, vout: 0, kind: 'custody-key-path' });
    expect(a.payouts.map((p) => p.withdrawalId)).toEqual([3n, 4n]);
    await signAndBroadcast(store, a, 4);
    expect(await store.transaction((tx) => planReplacement(tx, a.familyId, rules({ feeRateSatPerVb: 8 })))).toMatchObject({ kind: 'nothing', reason: 'not yet due for replacement' });
    await mine(store, 5, 6);
    const r = await store.transaction((tx) => planReplacement(tx, a.familyId, rules({ feeRateSatPerVb: 8 })));
    if (r.kind !== 'planned') throw new Error(r.reason);
    const b: SweepVersion = r.version;
    expect(b.version).toBe(1);
    expect(b.inputs[0]).toMatchObject({ txid: v0.txid, vout: 0 });
    expect(b.feeSats).toBeGreaterThan(a.feeSats);
    expect(b.payouts.map((p) => p.withdrawalId)).toEqual([3n]);
    expect(await status(store, 4)).toBe('final');
    await signAndBroadcast(store, b, 6);
    expect((await store.transaction((tx) => tx.getVersion(a.txid)))!.status).toBe('replaced');
    // The original is what gets mined: it pays 3 and 4, and the replacement is dead.
    await mine(store, 7, 8, { 7: activity([a.txid]) });
    expect(await status(store, 3)).toBe('paid');
    expect(await status(store, 4)).toBe('paid');
    const w3 = await store.transaction(async (tx) => (await tx.getWithdrawal(3n))!);
    expect(w3.sweepTxid).toBe(a.txid);
    expect((await store.transaction((tx) => tx.getVersion(b.txid)))!.status).toBe('replaced');
    const paidIds = store.outbox.filter((e) => e.subject === 'withdrawal.paid').map((e) => (e.payload as { withdrawalId: string }).withdrawalId);
    expect(paidIds.sort()).toEqual(['1', '2', '3', '4']);
  });

  it('halts on a spend of custody that is not ours and plans nothing after', async () => {
    const store = new InMemorySweepStore();
    const v = await firstSweep(store);
    await signAndBroadcast(store, v, 1);
    await mine(store, 2, 2, { 2: activity([v.txid]) });
    await mine(store, 3, 3, { 3: activity(['dd'.repeat(32)], [[`${v.txid}:0`, 'dd'.repeat(32)]]) });
    const halt = await store.transaction((tx) => tx.halt());
    expect(halt?.reason).toMatch(/not a sweep of ours/);
    await addWithdrawal(store, 9, 40_000n);
    expect(await store.transaction((tx) => planNextSweep(tx, rules()))).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/^halted/) });
    const waiting = await store.transaction(async (tx) => (await tx.getWithdrawal(9n))!);
    expect(waiting).toMatchObject({ status: 'final', waitingReason: expect.stringMatching(/^the pipeline is halted: custody UTXO .* spent by d{64}/) });
  });

  it('abandons a family whose deposit was reclaimed under it; its withdrawals wait again', async () => {
    const store = new InMemorySweepStore();
    const v = await firstSweep(store);
    await signAndBroadcast(store, v, 1);
    const dep = v.deposits[0]!;
    await mine(store, 2, 2, { 2: activity(['dc'.repeat(32)], [[`${dep.txid}:${dep.vout}`, 'dc'.repeat(32)]]) });
    expect(await status(store, 1)).toBe('final');
    await store.transaction((tx) => applyDepositReclaimed(tx, { txid: dep.txid, vout: dep.vout, spendTxid: 'dc'.repeat(32), blockHash: hash(2), blockHeight: 2 }));
    const next = await store.transaction((tx) => planNextSweep(tx, rules()));
    if (next.kind !== 'planned') throw new Error(next.reason);
    expect(next.version.deposits.map((d) => d.txid)).toEqual([v.deposits[1]!.txid]);
  });
});

describe('reserves', () => {
  it('balances to the sat after a confirmed sweep: custody = L2 supply + pending − fees paid', async () => {
    const store = new InMemorySweepStore();
    const v = await firstSweep(store);
    await signAndBroadcast(store, v, 1);
    const before = await store.transaction(async (tx) => computeReserves({
      unsweptDeposits: await tx.depositsByState(['available', 'in-sweep']), l2: { mintedSats: 350_000n, finalBurnedSats: 80_000n },
      paidWithdrawals: await tx.withdrawalsByStatus(['confirmed', 'paid']), feesPaidSats: await tx.feesPaidSats(),
    }));
    expect(before).toMatchObject({ custodySats: 350_000n, pendingWithdrawalsSats: 80_000n, discrepancySats: 0n, holds: true });
    await mine(store, 2, 2, { 2: activity([v.txid]) });
    const after = await store.transaction(async (tx) => computeReserves({
      custodyUtxo: await currentCustody(tx), unsweptDeposits: await tx.depositsByState(['available', 'in-sweep']), l2: { mintedSats: 350_000n, finalBurnedSats: 80_000n },
      paidWithdrawals: await tx.withdrawalsByStatus(['confirmed', 'paid']), feesPaidSats: await tx.feesPaidSats(),
    }));
    expect(after).toMatchObject({ custodySats: v.custodyOutputSats, pendingWithdrawalsSats: 0n, holds: true });
    expect(after.feesPaidSats).toBe(v.feeSats - v.payouts.reduce((s, p) => s + p.feeShareSats, 0n));
  });
});
