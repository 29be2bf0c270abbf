// What the pipeline learns from other services' events: final withdrawals (evm-gateway) and confirmed, reorged or
// reclaimed deposits (deposit-indexer). Each is applied once (the caller's inbox claim) and is idempotent anyway.
import type { depositConfirmed, depositReclaimed, depositReorged, EventPayload, withdrawalRequested } from '@tapbridge/messaging';
import type { SweepStoreTx } from './store.js';
import type { DepositSpend } from './types.js';

/**
 * A final withdrawal. Its wait is counted from the best tip known when it arrives: the pipeline's own, or (while
 * the pipeline still catches up on the header chain, e.g. at start-up) the header-watcher's `bestKnownHeight`, so
 * blocks that were mined before it arrived do not count. With neither, the first block the pipeline connects
 * stamps it (connectBlock).
 */
export async function applyWithdrawalRequested(tx: SweepStoreTx, p: EventPayload<typeof withdrawalRequested>, bestKnownHeight?: number): Promise<'added' | 'known'> {
  const id = BigInt(p.withdrawalId);
  if (await tx.getWithdrawal(id)) return 'known';
  const tip = await tx.tip();
  const known = [tip?.height, bestKnownHeight].filter((h): h is number => h !== undefined);
  await tx.putWithdrawal({
    id,
    sender: p.sender.toLowerCase(),
    scriptPubKey: p.btcScriptPubKey,
    amountSats: BigInt(p.amountSats),
    maxFeeSats: BigInt(p.maxFeeSats),
    evmBlockNumber: p.evmBlockNumber,
    evmTxHash: p.evmTxHash,
    status: 'final',
    ...(known.length > 0 ? { receivedAtHeight: Math.max(...known) } : {}),
    waitingReason: 'waiting for the next Bitcoin block',
  });
  await tx.appendHistory({ withdrawalId: id, status: 'final', detail: `withdrawal.requested (EVM block ${p.evmBlockNumber})` });
  return 'added';
}

/** A deposit confirmed on the indexer's best chain; `spend` says how a sweep spends it (from the indexer). */
export async function applyDepositConfirmed(tx: SweepStoreTx, p: EventPayload<typeof depositConfirmed>, spend: DepositSpend): Promise<'added' | 'known'> {
  const existing = await tx.getDeposit(p);
  // A re-confirmation in another block after a reorg makes it sweepable again; anything else is a redelivery.
  if (existing && existing.state !== 'reorged') return 'known';
  await tx.putDeposit({
    txid: p.txid,
    vout: p.vout,
    amountSats: BigInt(p.amountSats),
    maxFeeSats: BigInt(p.maxFeeSats),
    recipient: p.recipient.toLowerCase(),
    blockHash: p.blockHash,
    blockHeight: p.blockHeight,
    merkleProof: p.merkleProof,
    state: 'available',
    spend,
  });
  return 'added';
}

/** Its block left the best chain: not sweepable (a sweep in flight that spends it is handled by the chain rules). */
export async function applyDepositReorged(tx: SweepStoreTx, p: EventPayload<typeof depositReorged>): Promise<void> {
  const d = await tx.getDeposit(p);
  if (!d || d.blockHash !== p.blockHash || d.state === 'swept') return;
  await tx.putDeposit({ ...d, state: d.state === 'in-sweep' ? 'in-sweep' : 'reorged', waitingReason: `block ${p.blockHeight} left the best chain` });
}

export async function applyDepositReclaimed(tx: SweepStoreTx, p: EventPayload<typeof depositReclaimed>): Promise<void> {
  const d = await tx.getDeposit(p);
  if (!d) return;
  await tx.putDeposit({ ...d, state: 'reclaimed', waitingReason: `reclaimed by ${p.spendTxid}` });
}
