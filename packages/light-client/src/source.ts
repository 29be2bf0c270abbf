// What the sync loop asks of a Bitcoin data source. A subset of @tapbridge/chain-source's ChainSource, so a
// Bitcoin Core or Esplora client is a HeaderSource as it is; tests use in-memory fakes.

/** A source's claim about its best tip. Only a claim: the loop validates every header itself. */
export interface SourceTip {
  height: number;
  /** Display-order hex. */
  hash: string;
}

export interface HeaderSource {
  /** Stable, credential-free name for logs and metric labels (e.g. `core@127.0.0.1:18443`). */
  readonly name: string;
  getTip(): Promise<SourceTip>;
  /** Display-order hash of the source's best-chain block at `height`. */
  getBlockHash(height: number): Promise<string>;
  /** The raw 80-byte header of block `hash` (display order). */
  getHeader(hash: string): Promise<Uint8Array>;
  /**
   * Optional bulk read for catch-up: the raw headers of the source's best chain at heights from…from+count-1,
   * ascending (Core: batched JSON-RPC; Esplora: `/blocks/:start_height`). Without it the loop asks getBlockHash
   * and getHeader per height. What it returns is checked like any answer: length here, links and rules by the chain.
   */
  getHeaderRange?(from: number, count: number): Promise<Uint8Array[]>;
}
