// Moving a sweep family's withdrawals and deposits together: when a version confirms, when a family can never
// confirm, and when its block leaves the best chain. The only places that change a payout's status after signing.
import { withdrawalPaid } from '@tapbridge/messaging';
import type { SweepStoreTx } from './store.js';
import { outpointKey, type BlockRef, type SweepFamily, type SweepVersion } from './types.js';

/** The versions of a family that could still be mined (all but failed ones). */
export async function liveVersions(tx: SweepStoreTx, familyId: number): Promise<SweepVersion[]> {
  return (await tx.versionsOf(familyId)).filter((v) => v.status !== 'failed');
}

/** The version the pipeline works on: the newest one that is not failed. */
export async function latestVersion(tx: SweepStoreTx, familyId: number): Promise<SweepVersion | undefined> {
  return (await liveVersions(tx, familyId)).at(-1);
}

/**
 * Version `confirmed` of `family` is in `block`: it pays its withdrawals and sweeps its deposits; every other version
 * is replaced, and whatever only they carried goes back to waiting. A later family built on another version's
 * output can never confirm and is abandoned.
 */
export async function confirmVersion(tx: SweepStoreTx, family: SweepFamily, confirmed: SweepVersion, block: BlockRef): Promise<void> {
  const versions = await liveVersions(tx, family.id);
  for (const v of versions) {
    if (v.txid === confirmed.txid) await tx.putVersion({ ...v, status: 'confirmed', confirmedBlock: block });
    else if (v.status !== 'replaced') await tx.putVersion({ ...v, status: 'replaced' });
  }
  await tx.putFamily({ ...family, status: 'confirmed', confirmedTxid: confirmed.txid });

  const paid = new Set(confirmed.payouts.map((p) => p.withdrawalId));
  for (const p of confirmed.payouts) {
    const w = await tx.getWithdrawal(p.withdrawalId);
    if (!w) continue;
    const { waitingReason: _, ...rest } = w;
    await tx.putWithdrawal({ ...rest, status: 'confirmed', sweepTxid: confirmed.txid, payoutVout: p.vout, feeShareSats: p.feeShareSats, confirmedBlock: block });
    await tx.appendHistory({ withdrawalId: w.id, status: 'confirmed', detail: `${confirmed.txid}:${p.vout} in block ${block.height}`, sweepTxid: confirmed.txid });
  }
  const swept = new Set(confirmed.deposits.map(outpointKey));
  for (const v of versions) {
    for (const p of v.payouts) if (!paid.has(p.withdrawalId)) await releaseWithdrawal(tx, p.withdrawalId, `version ${confirmed.txid} confirmed without it`);
    for (const d of v.deposits) {
      const rec = await tx.getDeposit(d);
      if (!rec) continue;
      if (swept.has(outpointKey(d))) await tx.putDeposit({ ...rec, state: 'swept' });
      else if (rec.state === 'in-sweep') await tx.putDeposit({ ...rec, state: 'available' });
    }
  }
  const others = new Set(versions.filter((v) => v.txid !== confirmed.txid).map((v) => v.txid));
  for (const child of await tx.familiesByStatus('active')) {
    if (child.custodyInput && others.has(child.custodyInput.txid))
      await abandonFamily(tx, child, `its custody input ${child.custodyInput.txid}:0 lost to ${confirmed.txid}`);
  }
}

/** The family can never confirm (an input is gone): its versions fail and its requests wait again. */
export async function abandonFamily(tx: SweepStoreTx, family: SweepFamily, reason: string): Promise<void> {
  for (const v of await liveVersions(tx, family.id)) {
    await tx.putVersion({ ...v, status: 'failed', signingNote: reason });
    for (const p of v.payouts) await releaseWithdrawal(tx, p.withdrawalId, `sweep abandoned: ${reason}`);
    for (const d of v.deposits) {
      const rec = await tx.getDeposit(d);
      if (rec?.state === 'in-sweep') await tx.putDeposit({ ...rec, state: 'available' });
    }
  }
  await tx.putFamily({ ...family, status: 'abandoned' });
}

/** Back to `final` (waiting for the next package), unless a confirmed payout already took it. */
export async function releaseWithdrawal(tx: SweepStoreTx, id: bigint, reason: string): Promise<void> {
  const w = await tx.getWithdrawal(id);
  if (!w || w.status === 'final' || w.status === 'confirmed' || w.status === 'paid') return;
  const { sweepTxid: _s, payoutVout: _v, feeShareSats: _f, confirmedBlock: _b, ...rest } = w;
  await tx.putWithdrawal({ ...rest, status: 'final', waitingReason: reason });
  await tx.appendHistory({ withdrawalId: id, status: 'final', detail: reason });
}

/** The confirmed version's block left the best chain: it is a broadcast transaction again, to be rebroadcast. */
export async function unconfirmVersion(tx: SweepStoreTx, family: SweepFamily, version: SweepVersion, blockHeight: number): Promise<void> {
  const { confirmedBlock: _, ...rest } = version;
  await tx.putVersion({ ...rest, status: 'broadcast' });
  const { confirmedTxid: _c, ...fam } = family;
  await tx.putFamily({ ...fam, status: 'active' });
  for (const p of version.payouts) {
    const w = await tx.getWithdrawal(p.withdrawalId);
    if (!w || (w.status !== 'confirmed' && w.status !== 'paid') || w.sweepTxid !== version.txid) continue;
    const { confirmedBlock: _b, ...wr } = w;
    await tx.putWithdrawal({ ...wr, status: 'broadcast' });
    await tx.appendHistory({ withdrawalId: w.id, status: 'broadcast', detail: `block ${blockHeight} with ${version.txid} left the best chain; rebroadcasting`, sweepTxid: version.txid });
  }
  for (const d of version.deposits) {
    const rec = await tx.getDeposit(d);
    if (rec?.state === 'swept') await tx.putDeposit({ ...rec, state: 'in-sweep' });
  }
}

/** Confirmed payouts that reached `required` confirmations at `tip` become paid, announced once. */
export async function announcePaid(tx: SweepStoreTx, tip: BlockRef, required: number): Promise<number> {
  let n = 0;
  for (const w of await tx.withdrawalsByStatus(['confirmed'])) {
    const b = w.confirmedBlock;
    if (!b || tip.height - b.height + 1 < required) continue;
    await tx.putWithdrawal({ ...w, status: 'paid' });
    await tx.appendHistory({ withdrawalId: w.id, status: 'paid', detail: `${tip.height - b.height + 1} confirmations: withdrawal.paid`, ...(w.sweepTxid ? { sweepTxid: w.sweepTxid } : {}) });
    await tx.emit(withdrawalPaid, {
      withdrawalId: w.id.toString(),
      txid: w.sweepTxid!,
      vout: w.payoutVout!,
      amountReceivedSats: (w.amountSats - w.feeShareSats!).toString(),
      feeSats: w.feeShareSats!.toString(),
      blockHash: b.hash,
      blockHeight: b.height,
    });
    n++;
  }
  return n;
}
