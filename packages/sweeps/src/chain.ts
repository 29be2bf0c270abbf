// The pipeline's view of Bitcoin: btc.header.connected / disconnected in chain order, each connected block fetched
// and checked against its validated header, then scanned for our sweeps and for any other spend of what they spend.
import { checkBlockCommitments, hashToHex, type Block } from '@tapbridge/bitcoin';
import { abandonFamily, announcePaid, confirmVersion, liveVersions, unconfirmVersion } from './families.js';
import type { ChainBlock, SweepStoreTx } from './store.js';
import { outpointKey } from './types.js';

/** What a block did that the pipeline cares about: which transactions it holds and what each input spent. */
export interface BlockActivity {
  txids: ReadonlySet<string>;
  /** outpoint key → txid of the transaction in this block that spends it. */
  spends: ReadonlyMap<string, string>;
}

/** Txids and spends of a parsed block whose commitments were checked against its header. */
export function blockActivity(block: Block): BlockActivity {
  checkBlockCommitments(block);
  const txids = new Set<string>();
  const spends = new Map<string, string>();
  block.txs.forEach((t, i) => {
    const txid = hashToHex(t.txid);
    txids.add(txid);
    if (i > 0) for (const input of t.inputs) spends.set(`${hashToHex(input.prevout.txid)}:${input.prevout.vout}`, txid);
  });
  return { txids, spends };
}

export class ChainOrderError extends Error {
  override readonly name = 'ChainOrderError';
}

export interface ConnectReport {
  outcome: 'applied' | 'already-applied';
  confirmed: string[];
  paid: number;
  halted?: string;
}

/**
 * A block extends the pipeline's chain: a version of an active family in it confirms the family; any other spend of
 * what an active family spends either halts the pipeline (custody: must never happen) or abandons the family (a
 * deposit reclaimed under it); then payouts deep enough become paid.
 */
export async function connectBlock(tx: SweepStoreTx, block: ChainBlock, activity: BlockActivity, payoutConfirmations: number): Promise<ConnectReport> {
  if (await tx.getBlock(block.hash)) return { outcome: 'already-applied', confirmed: [], paid: 0 };
  const tip = await tx.tip();
  if (tip && (tip.hash !== block.prevHash || tip.height + 1 !== block.height))
    throw new ChainOrderError(`block ${block.hash} at ${block.height} does not extend the pipeline's tip ${tip.hash} at ${tip.height}`);
  await tx.putBlock(block);
  if (!tip) {
    // The pipeline's first block: withdrawals that arrived before it knew any tip start waiting here.
    for (const w of await tx.withdrawalsByStatus(['final'])) if (w.receivedAtHeight === undefined) await tx.putWithdrawal({ ...w, receivedAtHeight: block.height });
  }
  const report: ConnectReport = { outcome: 'applied', confirmed: [], paid: 0 };
  const at = { hash: block.hash, height: block.height };

  // Oldest first: a parent confirming decides whether a child family built on it is still possible.
  for (const family of (await tx.familiesByStatus('active')).reverse()) {
    const current = await tx.getFamily(family.id);
    if (current?.status !== 'active') continue;
    const versions = await liveVersions(tx, family.id);
    const mined = versions.find((v) => activity.txids.has(v.txid));
    if (mined) {
      await confirmVersion(tx, current, mined, at);
      report.confirmed.push(mined.txid);
      continue;
    }
    const ours = new Set(versions.map((v) => v.txid));
    if (current.custodyInput) {
      const spender = activity.spends.get(outpointKey(current.custodyInput));
      if (spender && !ours.has(spender)) {
        report.halted = `custody UTXO ${outpointKey(current.custodyInput)} spent by ${spender}, which is not a sweep of ours`;
        await tx.setHalt({ reason: report.halted, at });
        await abandonFamily(tx, current, report.halted);
        continue;
      }
    }
    for (const d of versions.flatMap((v) => v.deposits)) {
      const spender = activity.spends.get(outpointKey(d));
      if (spender && !ours.has(spender)) {
        await abandonFamily(tx, current, `deposit ${outpointKey(d)} spent by ${spender}`);
        const rec = await tx.getDeposit(d);
        if (rec) await tx.putDeposit({ ...rec, state: 'reclaimed', waitingReason: `spent by ${spender}` });
        break;
      }
    }
  }
  // Custody at rest (no family spending it) moved by someone else: same alarm.
  const custody = await currentCustody(tx);
  if (custody && !report.halted) {
    const spender = activity.spends.get(outpointKey(custody));
    const spentByOurs = spender !== undefined && (await tx.getVersion(spender)) !== undefined;
    if (spender && !spentByOurs) {
      report.halted = `custody UTXO ${outpointKey(custody)} spent by ${spender}, which is not a sweep of ours`;
      await tx.setHalt({ reason: report.halted, at });
    }
  }
  report.paid = await announcePaid(tx, at, payoutConfirmations);
  return report;
}

/** The block left the best chain: a version confirmed in it is unconfirmed again (and gets rebroadcast). */
export async function disconnectBlock(tx: SweepStoreTx, ref: { hash: string; height: number }): Promise<{ outcome: 'applied' | 'unknown-block'; unconfirmed: string[] }> {
  const block = await tx.getBlock(ref.hash);
  if (!block) return { outcome: 'unknown-block', unconfirmed: [] };
  const tip = await tx.tip();
  if (tip?.hash !== block.hash) throw new ChainOrderError(`cannot disconnect ${block.hash} at ${block.height}: the pipeline's tip is ${tip?.hash ?? 'none'}`);
  const unconfirmed: string[] = [];
  for (const family of await tx.familiesByStatus('confirmed')) {
    const v = family.confirmedTxid ? await tx.getVersion(family.confirmedTxid) : undefined;
    if (v?.confirmedBlock?.hash !== block.hash) continue;
    await unconfirmVersion(tx, family, v, block.height);
    unconfirmed.push(v.txid);
  }
  await tx.deleteBlock(block.hash);
  return { outcome: 'applied', unconfirmed };
}

/**
 * The custody UTXO the next sweep spends: output 0 of the newest confirmed family's confirmed version (none before
 * the first sweep confirms).
 */
export async function currentCustody(tx: SweepStoreTx): Promise<{ txid: string; vout: number; value: bigint; block: { hash: string; height: number } } | undefined> {
  const family = (await tx.familiesByStatus('confirmed'))[0];
  if (!family?.confirmedTxid) return undefined;
  const v = await tx.getVersion(family.confirmedTxid);
  if (!v?.confirmedBlock) return undefined;
  return { txid: v.txid, vout: 0, value: v.custodyOutputSats, block: v.confirmedBlock };
}
