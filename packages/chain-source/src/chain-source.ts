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
}
