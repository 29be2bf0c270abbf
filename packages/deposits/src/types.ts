// The records the deposit rules read and write. Hashes and txids are display hex; amounts are bigint satoshis.

/**
 * Where a deposit stands on the indexer's best chain:
 * registered (known, not yet in a block) → seen (in a block) → confirmed (DEPOSIT_CONFIRMATIONS deep) →
 * swept (spent through the deposit leaf, or by the signers for the simple form) | reclaimed (spent through the
 * reclaim leaf). `dropped`: its block left the best chain before it confirmed; `reorged`: after it confirmed.
 * `spent`: spent in a way neither leaf explains (cannot happen for a correct registration; kept, not guessed).
 */
export type DepositStatus = 'registered' | 'seen' | 'confirmed' | 'swept' | 'reclaimed' | 'spent' | 'dropped' | 'reorged';
export const DEPOSIT_STATUSES: readonly DepositStatus[] = ['registered', 'seen', 'confirmed', 'swept', 'reclaimed', 'spent', 'dropped', 'reorged'];

/** `taproot`: a registered per-deposit P2TR output; `op_return`: a payment to the custody address with an OP_RETURN recipient. */
export type DepositKind = 'taproot' | 'op_return';

export interface OutpointRef {
  txid: string;
  vout: number;
}

export interface DepositRecord extends OutpointRef {
  kind: DepositKind;
  /** Hex of the output's scriptPubKey. */
  scriptPubKey: string;
  /** Hex leaf scripts of a taproot deposit. */
  depositScript?: string;
  reclaimScript?: string;
  /** Relative lock of the reclaim leaf, in blocks. */
  lockBlocks?: number;
  amountSats: bigint;
  /** EVM recipient, lower-case 0x hex. */
  recipient: string;
  maxFeeSats: bigint;
  status: DepositStatus;
}

/** One step of a deposit's status history. */
export interface HistoryEntry extends OutpointRef {
  status: DepositStatus;
  blockHash?: string;
  blockHeight?: number;
  detail: string;
}

/** How a deposit output was spent: which leaf's script the witness executed, or the key path. */
export type SpendPath = 'deposit-leaf' | 'reclaim-leaf' | 'key-path' | 'unknown';

/**
 * Something a block did to a deposit: created its output, or spent it. Keyed by block hash, so a disconnected
 * block's sightings are exactly what to undo. `announced` once its event went out at DEPOSIT_CONFIRMATIONS.
 */
export type Sighting =
  /** `rawTx`: the transaction (hex, with or without witness), announced with the proof so consumers check what it pays. */
  | (SightingBase & { kind: 'output'; txIndex: number; merkleProof: string; rawTx?: string })
  | (SightingBase & { kind: 'spend'; spendTxid: string; path: SpendPath });

interface SightingBase extends OutpointRef {
  blockHash: string;
  blockHeight: number;
  announced: boolean;
}

/** An output paying the custody scriptPubKey, with the block that spent it once one did. */
export interface CustodyUtxo extends OutpointRef {
  amountSats: bigint;
  blockHash: string;
  blockHeight: number;
  spentBlockHash?: string;
  spentTxid?: string;
}

/** A block the indexer has applied: its view of the best chain, which header events extend and unwind. */
export interface ChainBlock {
  hash: string;
  height: number;
  prevHash: string;
  /** The validated 80-byte header, hex. */
  header: string;
}

export const outpointKey = (o: OutpointRef): string => `${o.txid}:${o.vout}`;
