// The signer's own view of Bitcoin, as the sweep policy asks it. Implementations: SourcesBitcoinView (its own header
// chain plus its own chain sources) and FixedBitcoinView (fixed chain data, for tests and benchmarks).
import type { DecodedTransaction } from '@tapbridge/bitcoin';

/** A transaction proven (merkle proof against the signer's own validated header chain) to be in its best chain. */
export interface ProvenTransaction {
  /** Display hex. */
  txid: string;
  /** Decoded from the raw bytes a source gave, whose txid was checked against the one asked for. */
  tx: DecodedTransaction;
  blockHash: string;
  blockHeight: number;
  /** tip − height + 1 on the signer's own best chain. */
  confirmations: number;
}

export type Proven<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Whether an output is spent, as the signer's sources see it (a mempool spend counts). */
export type OutputSpend =
  | { spent: false }
  | {
      spent: true;
      /** The spending transaction when a source names it (Esplora does, Core does not). */
      spender?: string;
      /** Whether the spend is confirmed; undefined when no source could tell. */
      confirmed?: boolean;
    };

export interface BitcoinView {
  /** Height of the signer's own validated best chain (−1 before its first header). */
  tipHeight(): Promise<number>;
  /** The transaction, if it is in a block of the signer's own best chain; otherwise why not. */
  provenTransaction(txid: string): Promise<Proven<ProvenTransaction>>;
  /** Whether output `txid:vout` is spent; throws when no source can answer (the policy then refuses). */
  outputSpend(txid: string, vout: number): Promise<OutputSpend>;
}
