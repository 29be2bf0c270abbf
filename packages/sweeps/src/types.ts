// The records the sweep pipeline reads and writes. Txids and hashes are display hex; amounts are bigint satoshis.

/**
 * Where a withdrawal stands (issue 9): `final` (received, final on the L2, waiting for a package) → `queued` (in
 * a planned sweep) → `signing` → `broadcast` → `confirmed` (in a block, n confirmations) → `paid` (PAYOUT_CONFIRMATIONS
 * deep, withdrawal.paid published). A reorg sends a confirmed or paid payout back to `broadcast`.
 */
export type WithdrawalStatus = 'final' | 'queued' | 'signing' | 'broadcast' | 'confirmed' | 'paid';
export const WITHDRAWAL_STATUSES: readonly WithdrawalStatus[] = ['final', 'queued', 'signing', 'broadcast', 'confirmed', 'paid'];

export interface OutpointRef {
  txid: string;
  vout: number;
}
export const outpointKey = (o: OutpointRef): string => `${o.txid}:${o.vout}`;

export interface BlockRef {
  hash: string;
  height: number;
}

export interface WithdrawalRecord {
  id: bigint;
  /** L2 sender, lower-case 0x hex. */
  sender: string;
  /** Where the BTC goes, hex. */
  scriptPubKey: string;
  amountSats: bigint;
  maxFeeSats: bigint;
  evmBlockNumber: number;
  evmTxHash: string;
  status: WithdrawalStatus;
  /**
   * Best Bitcoin tip height known when it arrived: how long it has waited is counted from here. Absent only while
   * the pipeline knew no tip at all; its first block stamps it.
   */
  receivedAtHeight?: number;
  /** Why it is not in a package (only while `final`). */
  waitingReason?: string;
  /** The sweep version that pays it (while queued … paid). */
  sweepTxid?: string;
  payoutVout?: number;
  feeShareSats?: bigint;
  confirmedBlock?: BlockRef;
}

/**
 * A confirmed deposit the pipeline may sweep: `available` → `in-sweep` (an unconfirmed family spends it) → `swept`.
 * `reorged` / `reclaimed`: gone (its block left the best chain, or the depositor took it back).
 */
export type DepositState = 'available' | 'in-sweep' | 'swept' | 'reorged' | 'reclaimed';

export interface DepositSpend {
  /** How the sweep spends it: through its deposit leaf, or (simple form, paying custody) the custody key path. */
  kind: 'deposit-leaf' | 'custody-key-path';
  scriptPubKey: string;
  /** The two leaf scripts the deposit address commits to, as registered (deposit-leaf only), hex. */
  depositScript?: string;
  reclaimScript?: string;
  /** Reclaim lock in blocks (deposit-leaf only). */
  lockBlocks?: number;
}

export interface DepositRecord extends OutpointRef {
  amountSats: bigint;
  maxFeeSats: bigint;
  recipient: string;
  blockHash: string;
  blockHeight: number;
  /** Merkle block proving the deposit transaction in blockHash (from deposit.confirmed), hex. */
  merkleProof: string;
  state: DepositState;
  /** Missing until the indexer told how to spend it. */
  spend?: DepositSpend;
  waitingReason?: string;
}

export type InputTweak = { kind: 'custody' } | { kind: 'none' };

export interface SweepInput extends OutpointRef {
  value: bigint;
  scriptPubKey: string;
  kind: 'custody-key-path' | 'deposit-leaf';
  /** Deposit-leaf inputs: the leaf executed, its sibling (for the signers' context) and the control block, hex. */
  leafScript?: string;
  reclaimScript?: string;
  controlBlock?: string;
  /** BIP341 leaf hash for the script-path sighash, hex. */
  leafHash?: string;
  signatureRequestId?: string;
  /** BIP340 signature, hex, once verified locally. */
  signature?: string;
}

export interface SweepPayout {
  withdrawalId: bigint;
  scriptPubKey: string;
  amountSats: bigint;
  feeShareSats: bigint;
  vout: number;
}

export interface SweptDeposit extends OutpointRef {
  amountSats: bigint;
  feeShareSats: bigint;
}

/**
 * One version of a sweep family. `planned` (persisted before any signature is asked for) → `signing` → `signed`
 * (witnesses verified, persisted before broadcast) → `broadcast` → `confirmed`; `replaced` when a later version of
 * the family was broadcast or another confirmed; `failed` when it can never confirm (an input is gone).
 */
export type SweepVersionStatus = 'planned' | 'signing' | 'signed' | 'broadcast' | 'confirmed' | 'replaced' | 'failed';

export interface SweepVersion {
  txid: string;
  familyId: number;
  /** 0 for the first, +1 per RBF replacement. */
  version: number;
  status: SweepVersionStatus;
  unsignedHex: string;
  signedHex?: string;
  inputs: SweepInput[];
  custodyOutputSats: bigint;
  payouts: SweepPayout[];
  deposits: SweptDeposit[];
  feeSats: bigint;
  feeRateSatPerVb: number;
  vsize: number;
  plannedAtHeight: number;
  broadcastAtHeight?: number;
  confirmedBlock?: BlockRef;
  /** Last signing problem (refusals), for the API. */
  signingNote?: string;
  /**
   * ISO time the pipeline last asked for, got or lost a signature of it. Never earlier than any signer's record of
   * approving it, so the outflow window counted from here covers at least what the signers count.
   */
  signingAt?: string;
}

/** Every version of a family spends the same custody input (or, for the very first, the same deposits): one confirms. */
export interface SweepFamily {
  id: number;
  status: 'active' | 'confirmed' | 'abandoned';
  /** The custody UTXO it spends; none for the very first sweep. */
  custodyInput?: OutpointRef & { value: bigint };
  confirmedTxid?: string;
  createdAtHeight: number;
}

/** The pipeline refuses to build anything while halted (a conflicting spend of custody). */
export interface HaltState {
  reason: string;
  at: BlockRef;
}

export interface CustodyUtxo extends OutpointRef {
  value: bigint;
  /** Confirmed in this block; absent while its sweep is unconfirmed. */
  block?: BlockRef;
}
