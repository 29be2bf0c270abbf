import type { DepositStoreTx } from './store.js';
import { statusAfterSpend } from './spend-path.js';
import type { DepositRecord, DepositStatus, Sighting } from './types.js';

/**
 * A deposit's status from what the best chain holds for it: a spend decides it; else its output, confirmed once
 * its event went out; else `withoutOutput` (what the caller knows: registered, or dropped/reorged after an undo).
 */
export function deriveStatus(deposit: DepositRecord, sightings: readonly Sighting[], withoutOutput: DepositStatus): DepositStatus {
  const spend = sightings.find((s) => s.kind === 'spend');
  if (spend?.kind === 'spend') return statusAfterSpend(spend.path, deposit);
  const output = sightings.find((s) => s.kind === 'output');
  if (output) return output.announced ? 'confirmed' : 'seen';
  return withoutOutput;
}

export interface StatusChange {
  blockHash?: string;
  blockHeight?: number;
  detail: string;
  /** Record a history entry even when the status stays the same (an event went out). */
  always?: boolean;
}

/** Re-derives and stores a deposit's status, appending a history entry when it changed (or when asked). */
export async function refreshStatus(tx: DepositStoreTx, deposit: DepositRecord, withoutOutput: DepositStatus, change: StatusChange): Promise<DepositStatus> {
  const next = deriveStatus(deposit, await tx.sightingsOf(deposit), withoutOutput);
  if (next !== deposit.status) await tx.setStatus(deposit, next);
  if (next !== deposit.status || change.always) {
    await tx.appendHistory({
      txid: deposit.txid,
      vout: deposit.vout,
      status: next,
      ...(change.blockHash !== undefined ? { blockHash: change.blockHash, blockHeight: change.blockHeight! } : {}),
      detail: change.detail,
    });
  }
  deposit.status = next;
  return next;
}
