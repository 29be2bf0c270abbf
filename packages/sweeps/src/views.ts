// What the API shows: a withdrawal's status with its confirmations and why it waits, and the stuck ones.
import type { BlockRef, WithdrawalRecord } from './types.js';

export interface WithdrawalView {
  id: string;
  sender: string;
  scriptPubKey: string;
  amountSats: string;
  maxFeeSats: string;
  status: WithdrawalRecord['status'];
  /** Confirmations of the payout on the pipeline's best chain (0 until it is in a block). */
  confirmations: number;
  txid?: string;
  vout?: number;
  feeSats?: string;
  amountReceivedSats?: string;
  block?: BlockRef;
  waitingReason?: string;
  /** Blocks it has waited since it arrived (while not yet in a block). */
  waitingBlocks: number;
  /** Waiting longer than WITHDRAWAL_STUCK_BLOCKS. */
  stuck: boolean;
}

export function withdrawalView(w: WithdrawalRecord, tipHeight: number, stuckBlocks: number): WithdrawalView {
  const inBlock = w.status === 'confirmed' || w.status === 'paid';
  const waitingBlocks = inBlock ? 0 : blocksWaited(w, tipHeight);
  return {
    id: w.id.toString(),
    sender: w.sender,
    scriptPubKey: w.scriptPubKey,
    amountSats: w.amountSats.toString(),
    maxFeeSats: w.maxFeeSats.toString(),
    status: w.status,
    confirmations: inBlock && w.confirmedBlock ? tipHeight - w.confirmedBlock.height + 1 : 0,
    ...(w.sweepTxid ? { txid: w.sweepTxid, vout: w.payoutVout! } : {}),
    ...(w.feeShareSats !== undefined ? { feeSats: w.feeShareSats.toString(), amountReceivedSats: (w.amountSats - w.feeShareSats).toString() } : {}),
    ...(w.confirmedBlock ? { block: w.confirmedBlock } : {}),
    ...(w.status === 'final' && w.waitingReason ? { waitingReason: w.waitingReason } : {}),
    waitingBlocks,
    stuck: waitingBlocks > stuckBlocks,
  };
}

/** Blocks mined on the pipeline's chain since it arrived (0 while the pipeline catches up to where it arrived). */
const blocksWaited = (w: WithdrawalRecord, tipHeight: number): number => (w.receivedAtHeight === undefined ? 0 : Math.max(0, tipHeight - w.receivedAtHeight));

/** Withdrawals not yet in a block that have waited more than `stuckBlocks`: reported, never dropped. */
export function stuckWithdrawals(ws: readonly WithdrawalRecord[], tipHeight: number, stuckBlocks: number): WithdrawalRecord[] {
  return ws.filter((w) => w.status !== 'confirmed' && w.status !== 'paid' && blocksWaited(w, tipHeight) > stuckBlocks);
}
