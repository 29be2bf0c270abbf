import { depositReorged } from '@tapbridge/messaging';
import { emptyReport, type BlockReport } from './connect-block.js';
import { ChainOrderError } from './errors.js';
import { refreshStatus } from './status.js';
import type { DepositStoreTx } from './store.js';
import { outpointKey, type Sighting } from './types.js';

/**
 * Undoes exactly what a block produced when it leaves the best chain: its sightings, its custody outputs and
 * spends, and the block itself. A deposit whose output goes with it becomes `dropped`, or `reorged` if it had
 * been confirmed, which is announced as deposit.reorged. Only the indexer's tip can be disconnected.
 */
export async function applyDisconnectedBlock(tx: DepositStoreTx, ref: { hash: string; height: number }): Promise<BlockReport> {
  const block = await tx.getBlock(ref.hash);
  // A block the indexer never applied (it started later, or already undid it): nothing to undo.
  if (!block) return emptyReport('unknown-block');
  const tip = await tx.tip();
  if (tip?.hash !== block.hash) throw new ChainOrderError(`cannot disconnect ${block.hash} at ${block.height}: the indexer's tip is ${tip?.hash ?? 'none'}`);
  const report = emptyReport('applied');
  const sightings = await tx.sightingsInBlock(block.hash);
  await tx.deleteSightingsInBlock(block.hash);
  await tx.undoCustodyInBlock(block.hash);
  await tx.deleteBlock(block.hash);

  const byDeposit = new Map<string, Sighting[]>();
  for (const s of sightings) {
    byDeposit.set(outpointKey(s), [...(byDeposit.get(outpointKey(s)) ?? []), s]);
    if (s.kind === 'output') report.depositOutputs++;
    else report.depositSpends++;
  }
  const at = { blockHash: block.hash, blockHeight: block.height };
  for (const removed of byDeposit.values()) {
    const deposit = await tx.getDeposit(removed[0]!);
    if (!deposit) throw new Error(`sighting for unknown deposit ${outpointKey(removed[0]!)}`);
    const output = removed.find((s) => s.kind === 'output');
    if (output?.announced) {
      // The n-th reorg of this confirmation in this same block gets its own event id (see deposit.confirmed's).
      const before = await tx.countHistory(deposit, 'reorged', block.hash);
      await tx.emit(depositReorged, {
        txid: deposit.txid, vout: deposit.vout, ...at, amountSats: deposit.amountSats.toString(), recipient: deposit.recipient,
        ...(before > 0 ? { reconfirmation: before } : {}),
      });
    }
    const withoutOutput = output ? (output.announced ? 'reorged' : 'dropped') : deposit.status;
    const detail = output?.announced ? `confirmed block ${block.height} disconnected: deposit.reorged` : `block ${block.height} disconnected`;
    await refreshStatus(tx, deposit, withoutOutput, { ...at, detail, always: true });
  }
  return report;
}
