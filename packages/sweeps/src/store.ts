import type { EventDefinition, EventPayload } from '@tapbridge/messaging';
import type { BlockRef, DepositRecord, DepositState, HaltState, OutpointRef, SweepFamily, SweepVersion, WithdrawalRecord, WithdrawalStatus } from './types.js';

export interface ChainBlock extends BlockRef {
  prevHash: string;
}

export interface WithdrawalHistoryEntry {
  withdrawalId: bigint;
  status: WithdrawalStatus;
  detail: string;
  sweepTxid?: string;
}

/**
 * Everything the sweep rules read and write, inside one transaction. The Postgres implementation writes events to
 * the outbox in the same transaction as the state; the in-memory one keeps them in a list for tests.
 */
export interface SweepStoreTx {
  // ---- the pipeline's view of the best chain (from btc.header.* events) ----
  tip(): Promise<ChainBlock | undefined>;
  getBlock(hash: string): Promise<ChainBlock | undefined>;
  putBlock(block: ChainBlock): Promise<void>;
  deleteBlock(hash: string): Promise<void>;

  // ---- withdrawals ----
  getWithdrawal(id: bigint): Promise<WithdrawalRecord | undefined>;
  putWithdrawal(w: WithdrawalRecord): Promise<void>;
  /** By status, oldest id first. */
  withdrawalsByStatus(statuses: readonly WithdrawalStatus[]): Promise<WithdrawalRecord[]>;
  withdrawalsBySender(sender: string): Promise<WithdrawalRecord[]>;
  appendHistory(entry: WithdrawalHistoryEntry): Promise<void>;
  /** A withdrawal's history, oldest first. */
  historyOf(id: bigint): Promise<WithdrawalHistoryEntry[]>;

  // ---- deposits ----
  getDeposit(ref: OutpointRef): Promise<DepositRecord | undefined>;
  putDeposit(d: DepositRecord): Promise<void>;
  depositsByState(states: readonly DepositState[]): Promise<DepositRecord[]>;

  // ---- sweeps ----
  nextFamilyId(): Promise<number>;
  putFamily(f: SweepFamily): Promise<void>;
  getFamily(id: number): Promise<SweepFamily | undefined>;
  /** Families in a status, newest first. */
  familiesByStatus(status: SweepFamily['status']): Promise<SweepFamily[]>;
  putVersion(v: SweepVersion): Promise<void>;
  getVersion(txid: string): Promise<SweepVersion | undefined>;
  /** Versions of a family, oldest first. */
  versionsOf(familyId: number): Promise<SweepVersion[]>;
  /** Versions whose signingAt is at or after `since` (the outflow window), any status. */
  versionsSigningSince(since: Date): Promise<SweepVersion[]>;

  // ---- pipeline state ----
  halt(): Promise<HaltState | undefined>;
  setHalt(h: HaltState): Promise<void>;
  /** Fees paid by custody in confirmed sweeps (fee − withdrawals' shares), the reserves invariant's last term. */
  feesPaidSats(): Promise<bigint>;

  /** Queues an event to publish if and only if this transaction commits. */
  emit<E extends EventDefinition>(event: E, payload: EventPayload<E>): Promise<void>;
}

export interface SweepStore {
  /** Runs `fn` atomically: all of its writes and events, or none. Transactions are serialised. */
  transaction<T>(fn: (tx: SweepStoreTx) => Promise<T>): Promise<T>;
}
