import { sha256d } from '../bytes.js';
import { encodeTransaction } from './codec.js';
import type { Transaction } from './types.js';

/** Transaction id (internal byte order): hash of the serialization without witness. */
export const computeTxid = (tx: Transaction): Uint8Array => sha256d(encodeTransaction(tx, { witness: false }));

/** Witness transaction id (BIP141): hash of the full serialization. */
export const computeWtxid = (tx: Transaction): Uint8Array => sha256d(encodeTransaction(tx, { witness: true }));

/** BIP141 weight: base size × 3 + total size. */
export function transactionWeight(tx: Transaction): number {
  return encodeTransaction(tx, { witness: false }).length * 3 + encodeTransaction(tx, { witness: true }).length;
}

/** Virtual size in vbytes: weight / 4, rounded up. */
export const transactionVsize = (tx: Transaction): number => Math.ceil(transactionWeight(tx) / 4);
