import { hashToHex } from '../bytes.js';
import type { Block } from './parse.js';

export interface ScannedSpend {
  /** Spending transaction, display hex. */
  txid: string;
  /** Input index in the spending transaction. */
  vin: number;
  /** The watched outpoint, as `<display txid>:<vout>`. */
  outpoint: string;
  /** nSequence of the input: a reclaim spend carries its relative lock here. */
  sequence: number;
  /** Index of the spending transaction in the block. */
  txIndex: number;
}

export const outpointKey = (txidHex: string, vout: number): string => `${txidHex}:${vout}`;

/**
 * Every input in the block spending one of the watched outpoints (`<display txid>:<vout>`): how the
 * indexer sees a deposit swept, reclaimed, or a custody UTXO moved.
 */
export function scanBlockSpends(block: Block, watch: ReadonlySet<string>): ScannedSpend[] {
  const found: ScannedSpend[] = [];
  if (watch.size === 0) return found;
  const { txs } = block;
  // The coinbase spends nothing; start at 1.
  for (let t = 1; t < txs.length; t++) {
    const tx = txs[t]!;
    let txid: string | undefined;
    tx.inputs.forEach((input, vin) => {
      const key = outpointKey(hashToHex(input.prevout.txid), input.prevout.vout);
      if (!watch.has(key)) return;
      txid ??= hashToHex(tx.txid);
      found.push({ txid, vin, outpoint: key, sequence: input.sequence, txIndex: t });
    });
  }
  return found;
}
