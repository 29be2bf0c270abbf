import type { ChainSourceError } from './errors.js';

/** A chain tip as a source reports it; the hash in display hex. */
export interface ChainTipInfo {
  height: number;
  hash: string;
}

/** Fee rates in sat/vB by confirmation target (blocks). */
export type FeeEstimates = Readonly<Record<number, number>>;

export interface CallOptions {
  /** Aborts the call (on top of the source's own timeout). */
  signal?: AbortSignal;
}

/** How one source took a broadcast: it entered the mempool now, or the source already had it (mempool or chain). */
export type BroadcastStatus = 'accepted' | 'already-known';

/** One source's answer to a broadcast: taken (with how), or refused / unreachable (with the typed error). */
export type SourceBroadcastReport =
  | { source: string; ok: true; status: BroadcastStatus; detail?: string }
  | { source: string; ok: false; error: ChainSourceError };

/** A broadcast that at least one source took; `sources` says what each source asked answered. */
export interface BroadcastResult {
  txid: string;
  /** 'accepted' when any source accepted it now, else 'already-known'. */
  status: BroadcastStatus;
  sources: SourceBroadcastReport[];
}

/** Where a transaction is, as a source sees it. A source is not proof: check confirmations with a merkle proof. */
export interface TxStatus {
  txid: string;
  inMempool: boolean;
  confirmed: boolean;
  /** Set when confirmed: the block on the source's best chain. */
  blockHash?: string;
  blockHeight?: number;
}

export interface TxStatusOptions extends CallOptions {
  /**
   * The block the caller believes confirms the transaction. Bitcoin Core without -txindex finds confirmed
   * transactions only in a named block; Esplora ignores the hint.
   */
  blockHash?: string;
}

/** Whether an output is spent, as a source sees it (mempool spends count). */
export type OutspendStatus =
  | { spent: false }
  | {
      spent: true;
      /** The spending transaction and input, when the source indexes spends (Esplora does; Core does not). */
      txid?: string;
      vin?: number;
      /** Whether the spend is confirmed; absent when the source cannot tell. */
      confirmed?: boolean;
      blockHash?: string;
      blockHeight?: number;
    };

/**
 * Read access to a Bitcoin node or indexer, and broadcast. Every answer is checked for shape at the edge
 * (lengths, hex, a header hashing to the hash asked for), but a source's answer is data, not truth: it can
 * lag, be on a fork or lie with well-formed bytes. Callers such as the header watcher validate every header
 * themselves (proof of work, difficulty, links, most work) before acting on it.
 */
export interface ChainSource {
  readonly name: string;
  getTip(options?: CallOptions): Promise<ChainTipInfo>;
  /** Display hex of the block at `height` on the source's best chain. */
  getBlockHash(height: number, options?: CallOptions): Promise<string>;
  /** The raw 80-byte header, checked to hash to the requested (or resolved) block hash. */
  getHeader(hashOrHeight: string | number, options?: CallOptions): Promise<Uint8Array>;
  /**
   * Raw headers of the source's best chain at heights from…from+count-1, in ascending order, fetched in bulk for
   * catch-up (Core: batched JSON-RPC; Esplora: `/blocks/:start_height`). Each is checked to hash to the block the
   * source names at its height; whether they link up and follow the rules is the caller's to check. Optional,
   * so that fakes and wrappers need not have it; callers fall back to getBlockHash + getHeader per height.
   */
  getHeaderRange?(from: number, count: number, options?: CallOptions): Promise<Uint8Array[]>;
  /** The block in consensus serialization with witness, checked to start with the requested header. */
  getRawBlock(hash: string, options?: CallOptions): Promise<Uint8Array>;
  /** The transaction with witness, checked to have the requested txid. */
  getRawTransaction(txid: string, options?: CallOptions): Promise<Uint8Array>;
  /**
   * A merkle block (`gettxoutproof` / Esplora `merkleblock-proof` format), checked to rebuild its header's
   * merkle root, to include `txid`, and to sit in `blockHash` when given.
   */
  getTxMerkleProof(txid: string, blockHash?: string, options?: CallOptions): Promise<Uint8Array>;
  getFeeEstimates(options?: CallOptions): Promise<FeeEstimates>;
  /** Submits a raw transaction; resolves to its txid (checked against the bytes sent). */
  broadcast(rawTx: Uint8Array, options?: CallOptions): Promise<string>;
  /**
   * Idempotent broadcast for payment pipelines: raw bytes or hex. A source that already has the transaction
   * (Core's txn-already-in-mempool / txn-already-known / "already in utxo set" / "already in block chain",
   * Esplora's relay of the same) counts as success. Fails with a `BroadcastError` carrying every source's report.
   */
  broadcastTransaction(rawTx: Uint8Array | string, options?: CallOptions): Promise<BroadcastResult>;
  /**
   * Fee rate in sat/vB for confirmation within `targetBlocks` (1..1008): Core's estimatesmartfee (BTC/kvB
   * converted), Esplora's /fee-estimates (the entry for the largest target not above the one asked). Fails with
   * `not-found` when the source has no estimate (regtest Core often has none).
   */
  estimateFeeRate(targetBlocks: number, options?: CallOptions): Promise<number>;
  /** Mempool / confirmed / unknown (`inMempool` and `confirmed` both false: never seen, evicted, or replaced). */
  txStatus(txid: string, options?: TxStatusOptions): Promise<TxStatus>;
  /** Whether output `vout` of `txid` is spent (a mempool spend counts); `not-found` when the output does not exist. */
  outspend(txid: string, vout: number, options?: CallOptions): Promise<OutspendStatus>;
}
