import type { EventDefinition, EventPayload } from '@tapbridge/messaging';
import type { ChainBlock, CustodyUtxo, DepositRecord, DepositStatus, HistoryEntry, OutpointRef, Sighting } from './types.js';

/**
 * Everything the deposit rules read and write, inside one transaction. The Postgres implementation writes events
 * to the outbox in the same transaction as the state; the in-memory one keeps them in a list for tests.
 */
export interface DepositStoreTx {
  // ---- the indexer's chain ----
  tip(): Promise<ChainBlock | undefined>;
  getBlock(hash: string): Promise<ChainBlock | undefined>;
  putBlock(block: ChainBlock): Promise<void>;
  deleteBlock(hash: string): Promise<void>;

  // ---- deposits ----
  getDeposit(ref: OutpointRef): Promise<DepositRecord | undefined>;
  /** Deposits at any of these outpoints (the prevouts of a block's inputs). */
  findDeposits(refs: readonly OutpointRef[]): Promise<DepositRecord[]>;
  /** scriptPubKeys (hex) of registered taproot deposits that may still appear in or leave a block. */
  watchedScriptPubKeys(): Promise<Set<string>>;
  insertDeposit(deposit: DepositRecord): Promise<void>;
  setStatus(ref: OutpointRef, status: DepositStatus): Promise<void>;
  appendHistory(entry: HistoryEntry): Promise<void>;
  /** History entries of a deposit with this status at this block (how often its confirmation there was reorged). */
  countHistory(ref: OutpointRef, status: DepositStatus, blockHash: string): Promise<number>;

  // ---- what blocks did to deposits ----
  putSighting(sighting: Sighting): Promise<void>;
  sightingsOf(ref: OutpointRef): Promise<Sighting[]>;
  sightingsInBlock(blockHash: string): Promise<Sighting[]>;
  deleteSightingsInBlock(blockHash: string): Promise<void>;
  /** Sightings whose event has not gone out yet. */
  unannouncedSightings(): Promise<Sighting[]>;
  markAnnounced(sighting: Sighting): Promise<void>;

  // ---- custody UTXO set ----
  /** Unspent custody outputs at any of these outpoints. */
  findUnspentCustody(refs: readonly OutpointRef[]): Promise<CustodyUtxo[]>;
  putCustodyUtxo(utxo: CustodyUtxo): Promise<void>;
  spendCustodyUtxo(ref: OutpointRef, blockHash: string, spentTxid: string): Promise<void>;
  /** Undo of a block: forget the custody outputs it created and un-spend the ones it spent. */
  undoCustodyInBlock(blockHash: string): Promise<void>;

  /** Queues an event to publish if and only if this transaction commits. */
  emit<E extends EventDefinition>(event: E, payload: EventPayload<E>): Promise<void>;
}

export interface DepositStore {
  /** Runs `fn` atomically: all of its writes and events, or none. Transactions are serialised. */
  transaction<T>(fn: (tx: DepositStoreTx) => Promise<T>): Promise<T>;
}
