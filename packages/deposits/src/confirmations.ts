import { depositConfirmed, depositReclaimed, depositSwept } from '@tapbridge/messaging';
import { refreshStatus } from './status.js';
import type { DepositStoreTx } from './store.js';
import type { ChainBlock, Sighting } from './types.js';

/** Confirmations of a block at `height` when the best chain ends at `tip` (the block itself counts as one). */
export const confirmationsAt = (tip: ChainBlock, height: number): number => tip.height - height + 1;

const order = (a: Sighting, b: Sighting): number =>
  a.blockHeight - b.blockHeight || (a.kind === b.kind ? 0 : a.kind === 'output' ? -1 : 1) || a.txid.localeCompare(b.txid) || a.vout - b.vout;

/**
 * At a new tip, everything that has reached `required` confirmations on the best chain is announced, once:
 * an output → deposit.confirmed (with its merkle proof); a reclaim-leaf spend → deposit.reclaimed; a sweep →
 * deposit.swept. Returns how many events went out.
 */
export async function announceConfirmed(tx: DepositStoreTx, tip: ChainBlock, required: number): Promise<number> {
  let announced = 0;
  const due = (await tx.unannouncedSightings()).filter((s) => confirmationsAt(tip, s.blockHeight) >= required).sort(order);
  for (const s of due) {
    const deposit = await tx.getDeposit(s);
    if (!deposit) throw new Error(`sighting for unknown deposit ${s.txid}:${s.vout}`);
    const confirmations = confirmationsAt(tip, s.blockHeight);
    const at = { txid: s.txid, vout: s.vout, blockHash: s.blockHash, blockHeight: s.blockHeight };
    let detail: string;
    if (s.kind === 'output') {
      // Confirmed here before and reorged since (the block left the best chain and came back): a new announcement,
      // with its own event id, so the gateway records that the deposit backs its mint again.
      const reorgs = await tx.countHistory(s, 'reorged', s.blockHash);
      await tx.emit(depositConfirmed, {
        ...at,
        amountSats: deposit.amountSats.toString(),
        recipient: deposit.recipient,
        maxFeeSats: deposit.maxFeeSats.toString(),
        confirmations,
        merkleProof: s.merkleProof,
        kind: deposit.kind,
        ...(reorgs > 0 ? { reconfirmation: reorgs } : {}),
        ...(s.rawTx !== undefined ? { rawTx: s.rawTx } : {}),
        ...(deposit.depositScript !== undefined && deposit.reclaimScript !== undefined ? { depositScript: deposit.depositScript, reclaimScript: deposit.reclaimScript } : {}),
      });
      detail = `${confirmations} confirmations: deposit.confirmed`;
    } else if (s.path === 'reclaim-leaf') {
      await tx.emit(depositReclaimed, { ...at, spendTxid: s.spendTxid });
      detail = `reclaim ${s.spendTxid} at ${confirmations} confirmations: deposit.reclaimed`;
    } else if (s.path === 'deposit-leaf' || (s.path === 'key-path' && deposit.kind === 'op_return')) {
      await tx.emit(depositSwept, { ...at, sweepTxid: s.spendTxid });
      detail = `sweep ${s.spendTxid} at ${confirmations} confirmations: deposit.swept`;
    } else {
      detail = `spend ${s.spendTxid} (${s.path}) at ${confirmations} confirmations`;
    }
    await tx.markAnnounced(s);
    await refreshStatus(tx, deposit, deposit.status, { blockHash: s.blockHash, blockHeight: s.blockHeight, detail, always: true });
    announced++;
  }
  return announced;
}
