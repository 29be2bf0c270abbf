// The `channel` signing policy: what each custody signer checks before its FROST share signs anything that spends
// a channel's funding output. The signer trusts the L2's executed-credit record, not the coordinator.
import { bytesToHex } from '@tapbridge/bitcoin';
import { ChannelPolicyError } from './errors.js';
import { checkBalanceSheet, type BalanceSheet, type ChannelParams, type Side } from './params.js';
import { buildCommitment, buildCooperativeClose, buildDelayedSweep } from './transactions.js';

/**
 * What the group's signature is for:
 * - `user-commitment`: the user's commitment (only the user can publish it; it is what the user needs before revoking
 *   its previous state, so it may be one state ahead of the L2: a user payment not yet credited);
 * - `custody-commitment`: custody's own commitment, for custody's unilateral close / settle;
 * - `cooperative-close`: a close both sign (custody settle included);
 * - `custody-delayed-sweep`: after custody's own commitment confirmed and its CSV passed, custody's to_local back to
 *   the custody payout script (not a funding spend: the delayed leaf of that commitment's to_local, group key alone).
 */
export type ChannelSignatureKind = 'user-commitment' | 'custody-commitment' | 'cooperative-close' | 'custody-delayed-sweep';

export interface ChannelSigningRequest {
  channelId: string;
  kind: ChannelSignatureKind;
  sheet: BalanceSheet;
  /** What the coordinator asks the group to sign; the signer rebuilds the transaction from the rest and compares. */
  sighash: Uint8Array;
  /** Commitments: the holder's per-commitment point of this state (the user's, from the channel's state machine). */
  holderPerCommitmentPoint?: Uint8Array;
  /** Closes: the fee and who pays it. */
  close?: { fee: bigint; feePaidBy: Side };
  /** Custody's delayed sweep: its fee (taken from custody's to_local). */
  sweep?: { fee: bigint };
}

/** The L2's record for one channel: the balances after each executed (channel, state number). */
export interface L2ChannelView {
  channelId: string;
  /** Executed states: state number → balances the L2 executed (exactly once per key). State 0 is the opening. */
  executed: ReadonlyMap<number, { user: bigint; custody: bigint }>;
}

/** What the signer keeps itself: the highest state it has signed a user commitment for, and its fee cap. */
export interface SignerChannelMemory {
  highestSignedState: number;
  /** Most a close may take from custody's side as fee. */
  maxCustodyCloseFee: bigint;
}

function refuse(reason: string, message: string): never {
  throw new ChannelPolicyError(reason, message);
}

/**
 * Throws ChannelPolicyError unless the group may sign. Rules:
 * 1. Balances are non-negative and sum to the capacity.
 * 2. A state the L2 executed must match the L2's balances exactly.
 * 3. A state the L2 has not executed may only be the user's commitment for the next state after the L2's latest,
 *    and only if it moves value toward custody (a user payment the user signed first; the L2 credits it once the
 *    user revokes the previous state). Custody never signs away value the L2 did not burn, and never signs
 *    anything it could publish itself with more than the L2 executed.
 * 4. User commitments: the state number never goes down below what this signer signed (equal = the same request
 *    again, idempotent, allowed only with the same balances, which rule 2/3 pins).
 * 5. Custody's own commitment and cooperative closes only for the L2's latest executed state: signing an older,
 *    revoked custody commitment would hand custody a transaction the user can penalise, and an older close would
 *    undo executed L2 transfers.
 * 6. Custody's delayed sweep: of custody's commitment for a state the L2 executed (balances as executed), paying
 *    only the custody payout script, its fee within the custody close-fee cap. It moves custody's own output back to
 *    custody and nothing else, so it is allowed for any executed state (the commitment custody published).
 */
export function checkChannelSigning(
  params: Pick<ChannelParams, 'capacity'>,
  request: Pick<ChannelSigningRequest, 'channelId' | 'kind' | 'sheet'>,
  l2: L2ChannelView,
  memory: Pick<SignerChannelMemory, 'highestSignedState'>,
): void {
  if (request.channelId !== l2.channelId) refuse('wrong-channel', `request for channel ${request.channelId} checked against the L2 record of ${l2.channelId}`);
  try {
    checkBalanceSheet(params, request.sheet);
  } catch (e) {
    refuse('bad-balances', (e as Error).message);
  }
  const { stateNumber, user, custody } = request.sheet;
  const latestExecuted = Math.max(...l2.executed.keys());
  if (!Number.isFinite(latestExecuted)) refuse('not-open', `channel ${request.channelId} has no executed opening state on the L2`);
  const executed = l2.executed.get(stateNumber);
  if (executed && (executed.user !== user || executed.custody !== custody))
    refuse('l2-mismatch', `state ${stateNumber} gives user ${user} / custody ${custody}, the L2 executed user ${executed.user} / custody ${executed.custody}`);
  if (request.kind === 'user-commitment') {
    if (stateNumber < memory.highestSignedState) refuse('state-not-increasing', `state ${stateNumber} is below state ${memory.highestSignedState} already signed`);
    if (!executed) {
      if (stateNumber !== latestExecuted + 1) refuse('not-executed', `state ${stateNumber} is not executed on the L2 and is not the next state after ${latestExecuted}`);
      const base = l2.executed.get(latestExecuted)!;
      if (custody < base.custody) refuse('not-executed', `state ${stateNumber} moves ${base.custody - custody} sat from custody to the user, but the L2 has not executed that burn`);
    }
    return;
  }
  if (!executed) refuse('not-executed', `state ${stateNumber} credits custody ${custody} sat but the L2 has not executed it`);
  if (request.kind === 'custody-delayed-sweep') return;
  if (stateNumber !== latestExecuted) refuse('stale-state', `state ${stateNumber} is not the L2's latest executed state ${latestExecuted}`);
}

/** Rules 1-5, then the sighash must be the one of the transaction these rules were checked for. */
export function checkChannelSigningRequest(params: ChannelParams, request: ChannelSigningRequest, l2: L2ChannelView, memory: SignerChannelMemory): void {
  checkChannelSigning(params, request, l2, memory);
  let expected: Uint8Array;
  try {
    if (request.kind === 'cooperative-close') {
      if (!request.close) refuse('bad-request', 'a close request needs its fee and payer');
      if (request.close.feePaidBy === 'custody' && request.close.fee > memory.maxCustodyCloseFee)
        refuse('fee-too-high', `close fee ${request.close.fee} sat from custody's side is above the ${memory.maxCustodyCloseFee} sat cap`);
      expected = buildCooperativeClose(params, { sheet: request.sheet, ...request.close }).sighash;
    } else if (request.kind === 'custody-delayed-sweep') {
      if (!request.sweep || !request.holderPerCommitmentPoint) refuse('bad-request', 'a delayed sweep request needs its fee and custody\'s per-commitment point');
      if (request.sweep.fee > memory.maxCustodyCloseFee) refuse('fee-too-high', `sweep fee ${request.sweep.fee} sat is above the ${memory.maxCustodyCloseFee} sat cap`);
      expected = custodyDelayedSweep(params, request.sheet, request.holderPerCommitmentPoint, request.sweep.fee).sighash;
    } else {
      if (!request.holderPerCommitmentPoint) refuse('bad-request', 'a commitment request needs the holder\'s per-commitment point');
      expected = buildCommitment(params, request.kind === 'user-commitment' ? 'user' : 'custody', request.sheet, request.holderPerCommitmentPoint).sighash;
    }
  } catch (e) {
    if (e instanceof ChannelPolicyError) throw e;
    refuse('bad-request', (e as Error).message);
  }
  if (bytesToHex(expected) !== bytesToHex(request.sighash))
    refuse('sighash-mismatch', `the sighash to sign is not the ${request.kind} of state ${request.sheet.stateNumber} on this channel`);
}

/** Custody's sweep of its own commitment's to_local (state `sheet`) to the custody payout script: what rule 6 allows. */
export function custodyDelayedSweep(params: ChannelParams, sheet: BalanceSheet, custodyPerCommitmentPoint: Uint8Array, fee: bigint) {
  const commitment = buildCommitment(params, 'custody', sheet, custodyPerCommitmentPoint);
  return { commitment, ...buildDelayedSweep(params, { commitment, destinationScript: params.custodyPayoutScript, fee, holderPerCommitmentPoint: custodyPerCommitmentPoint }) };
}
