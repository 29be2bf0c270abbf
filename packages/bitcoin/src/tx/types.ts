/** A previous output being spent; `txid` in internal byte order. */
export interface OutPoint {
  txid: Uint8Array;
  vout: number;
}

export interface TxInput {
  prevout: OutPoint;
  scriptSig: Uint8Array;
  sequence: number;
  /** Witness stack items; empty for a non-witness input. */
  witness: Uint8Array[];
}

export interface TxOutput {
  /** Satoshis. */
  value: bigint;
  scriptPubKey: Uint8Array;
}

export interface Transaction {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  locktime: number;
}

/** A transaction as read from bytes, with the hashes and sizes computed once while reading. */
export interface DecodedTransaction extends Transaction {
  /** Internal byte order; display with hashToHex. */
  txid: Uint8Array;
  wtxid: Uint8Array;
  /** Serialized size with witness. */
  size: number;
  /** Serialized size without witness. */
  strippedSize: number;
  /** BIP141 weight: stripped × 3 + total. */
  weight: number;
}
