import { z } from 'zod';
import { channelClosed, channelClosing, channelOpened, channelSystemCall, channelUpdated } from './channel-events.js';
import { defineEvent, EventCatalog, evmAddress, hex32, hexBytes, height, satsAmount } from './catalog.js';

// The tapbridge event catalog: every fact one service tells others. Changing a payload incompatibly means a new
// version (and, while both run, a new subject suffix); adding optional fields does not.

const headerRef = z.object({
  height,
  hash: hex32,
  prevHash: hex32,
  header: z.string().regex(/^[0-9a-f]{160}$/, 'must be an 80-byte header in hex'),
  chainwork: z.string().regex(/^[0-9a-f]{64}$/),
});

export const btcHeaderConnected = defineEvent({
  subject: 'btc.header.connected',
  version: 1,
  stream: 'BTC',
  schema: headerRef.extend({ network: z.string(), reorgId: z.string().optional() }),
  id: (p) => `btc.header.connected:${p.hash}:${p.reorgId ?? 'initial'}`,
});

export const btcHeaderDisconnected = defineEvent({
  subject: 'btc.header.disconnected',
  version: 1,
  stream: 'BTC',
  schema: headerRef.extend({ network: z.string(), reorgId: z.string() }),
  id: (p) => `btc.header.disconnected:${p.hash}:${p.reorgId}`,
});

const depositRef = z.object({ txid: hex32, vout: z.number().int().nonnegative() });

export const depositConfirmed = defineEvent({
  subject: 'deposit.confirmed',
  version: 1,
  stream: 'DEPOSIT',
  schema: depositRef.extend({
    amountSats: satsAmount,
    recipient: evmAddress,
    maxFeeSats: satsAmount,
    blockHash: hex32,
    blockHeight: height,
    confirmations: z.number().int().positive(),
    merkleProof: hexBytes,
    kind: z.enum(['taproot', 'op_return']),
    /**
     * How many times this output's confirmation in this same block was reorged away before (a block that leaves the
     * best chain and comes back, e.g. reconsiderblock). Absent for the first; it keeps the event ids distinct.
     */
    reconfirmation: z.number().int().positive().optional(),
    /**
     * The deposit transaction (hex, with or without witness), so a consumer can check what the proven txid pays:
     * the output, its amount and script. Optional only so that events from before it stay valid.
     */
    rawTx: hexBytes.optional(),
    /** Taproot deposits: the two registered leaf scripts (hex) the output commits to under the NUMS key. */
    depositScript: hexBytes.optional(),
    reclaimScript: hexBytes.optional(),
  }),
  id: (p) => `deposit.confirmed:${p.txid}:${p.vout}:${p.blockHash}${p.reconfirmation === undefined ? '' : `:${p.reconfirmation}`}`,
});

export const depositReorged = defineEvent({
  subject: 'deposit.reorged',
  version: 1,
  stream: 'DEPOSIT',
  schema: depositRef.extend({
    blockHash: hex32,
    blockHeight: height,
    amountSats: satsAmount,
    recipient: evmAddress,
    /** As deposit.confirmed's: the n-th time (absent: the first) this output's confirmation in this block is reorged. */
    reconfirmation: z.number().int().positive().optional(),
  }),
  id: (p) => `deposit.reorged:${p.txid}:${p.vout}:${p.blockHash}${p.reconfirmation === undefined ? '' : `:${p.reconfirmation}`}`,
});

export const depositReclaimed = defineEvent({
  subject: 'deposit.reclaimed',
  version: 1,
  stream: 'DEPOSIT',
  schema: depositRef.extend({ spendTxid: hex32, blockHash: hex32, blockHeight: height }),
  id: (p) => `deposit.reclaimed:${p.txid}:${p.vout}:${p.blockHash}`,
});

export const depositSwept = defineEvent({
  subject: 'deposit.swept',
  version: 1,
  stream: 'DEPOSIT',
  schema: depositRef.extend({ sweepTxid: hex32, blockHash: hex32, blockHeight: height }),
  id: (p) => `deposit.swept:${p.txid}:${p.vout}:${p.blockHash}`,
});

export const withdrawalRequested = defineEvent({
  subject: 'withdrawal.requested',
  version: 1,
  stream: 'WITHDRAWAL',
  schema: z.object({
    withdrawalId: z.string().regex(/^(0|[1-9][0-9]*)$/),
    sender: evmAddress,
    btcScriptPubKey: hexBytes,
    amountSats: satsAmount,
    maxFeeSats: satsAmount,
    evmBlockNumber: z.number().int().nonnegative(),
    evmBlockHash: z.string().regex(/^0x[0-9a-f]{64}$/),
    evmTxHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  }),
  id: (p) => `withdrawal.requested:${p.withdrawalId}`,
});

/** A withdrawal's payout is PAYOUT_CONFIRMATIONS deep on Bitcoin (sweep-coordinator). The id is the withdrawal and
 * the paying transaction: the same payout confirmed again in another block after a reorg is the same event (not
 * published twice); only another transaction paying it (another RBF version after a reorg) is a new one. */
export const withdrawalPaid = defineEvent({
  subject: 'withdrawal.paid',
  version: 1,
  stream: 'WITHDRAWAL',
  schema: z.object({
    withdrawalId: z.string().regex(/^(0|[1-9][0-9]*)$/),
    txid: hex32,
    vout: z.number().int().nonnegative(),
    /** What arrived at the withdrawal's script: amountSats − feeSats. */
    amountReceivedSats: satsAmount,
    /** The withdrawal's share of the sweep fee. */
    feeSats: satsAmount,
    blockHash: hex32,
    blockHeight: height,
  }),
  id: (p) => `withdrawal.paid:${p.withdrawalId}:${p.txid}`,
});

export const signingMisbehaviour = defineEvent({
  subject: 'signing.misbehaviour',
  version: 1,
  stream: 'SIGNING',
  schema: z.object({
    sessionId: z.string(),
    signerId: z.number().int().positive(),
    reason: z.enum(['invalid_partial_signature', 'invalid_dkg_message', 'protocol_violation', 'equivocation']),
    detail: z.string(),
    /** The signed messages that prove it (packages/stake evidence format); without it stake-accounting records the report as unproven and slashes nothing. */
    evidence: z.unknown().optional(),
  }),
  id: (p) => `signing.misbehaviour:${p.sessionId}:${p.signerId}:${p.reason}`,
});


// ---- stake accounting (apps/stake-accounting). Amounts in stake-token base units or sats, as decimal strings.
const signedAmount = z.string().regex(/^(0|-?[1-9][0-9]*)$/, 'must be a whole number as a decimal string');

/** Capacity for new deposits as stake-accounting computed it; `seq` grows with every publication (latest wins). */
export const stakeCapacity = defineEvent({
  subject: 'stake.capacity',
  version: 1,
  stream: 'STAKE',
  schema: z.object({
    seq: z.number().int().positive(),
    status: z.enum(['open', 'frozen']),
    /** stake value / R − obligations (negative when under-collateralised); '0' when frozen. */
    capacitySats: signedAmount,
    stakeUnits: satsAmount,
    stakeValueSats: satsAmount.nullable(),
    obligationsSats: satsAmount,
    collateralRatioBps: z.number().int().positive(),
    ratioBps: satsAmount.nullable(),
    priceSatsPerToken: satsAmount.nullable(),
    reason: z.string().optional(),
    at: z.string(),
  }),
  id: (p) => `stake.capacity:${p.seq}`,
});

/** An epoch's active signer set (ranked: member i is signer index i + 1 of the epoch's DKG), its threshold and keys. */
export const stakeEpochStarted = defineEvent({
  subject: 'stake.epoch.started',
  version: 1,
  stream: 'STAKE',
  schema: z.object({
    epoch: z.number().int().nonnegative(),
    startHeight: height,
    startHash: hex32,
    threshold: z.number().int().nonnegative(),
    totalStake: satsAmount,
    members: z.array(z.object({ address: evmAddress, hostPubkey: z.string().regex(/^0[23][0-9a-f]{64}$/), selfBond: satsAmount, delegated: satsAmount, stake: satsAmount })),
  }),
  id: (p) => `stake.epoch.started:${p.epoch}`,
});

/**
 * A decision of stake-accounting for the L2: the sequencer (evm-gateway) applies it to the staking predeploy as a
 * system call, exactly once per `id` (packages/evm system-calls.ts). The id is a function of the decision:
 * `slash:<evidenceIdHash>`, `release:<below>`, `rewards:<epoch>`; the sequencer refuses a payload whose id disagrees.
 */
const uintString = z.string().regex(/^(0|[1-9][0-9]*)$/, 'must be a whole number as a decimal string');
export const stakeSystemCall = defineEvent({
  subject: 'stake.system.call',
  version: 1,
  stream: 'STAKE',
  schema: z.object({
    id: z.string().min(1).max(200),
    call: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('slash'),
        /** keccak256 of the evidence id text (0x hex), as the contract keys slashes. */
        evidenceIdHash: z.string().regex(/^0x[0-9a-f]{64}$/),
        signer: evmAddress,
        selfAmount: uintString,
        delegators: z.array(evmAddress),
        delegatorAmounts: z.array(uintString),
        unbondingIds: z.array(uintString),
        unbondingAmounts: z.array(uintString),
      }),
      /** Unbonding entries with id < below may leave (capacity allows it). */
      z.object({ kind: z.literal('release_unbonding'), below: uintString }),
      /** An epoch's rewards (wei), funded with valueWei from the L2's collected fees. */
      z.object({ kind: z.literal('credit_rewards'), epoch: uintString, recipients: z.array(evmAddress), amounts: z.array(uintString), valueWei: uintString }),
    ]),
  }),
  id: (p) => `stake.system.call:${p.id}`,
});

export const tapbridgeCatalog = new EventCatalog([
  btcHeaderConnected,
  btcHeaderDisconnected,
  depositConfirmed,
  depositReorged,
  depositReclaimed,
  depositSwept,
  withdrawalRequested,
  withdrawalPaid,
  signingMisbehaviour,
  stakeCapacity,
  stakeEpochStarted,
  stakeSystemCall,
  channelOpened,
  channelUpdated,
  channelSystemCall,
  channelClosing,
  channelClosed,
]);
