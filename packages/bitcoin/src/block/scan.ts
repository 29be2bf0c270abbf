import { bytesToHex, hashToHex } from '../bytes.js';
import type { Block } from './parse.js';

export interface ScannedOutput {
  /** Display hex. */
  txid: string;
  vout: number;
  value: bigint;
  /** Hex, as it appeared in the watch set. */
  scriptPubKey: string;
  /** Index of the transaction in the block. */
  txIndex: number;
}

/**
 * Every output in the block paying one of the watched scripts (lower-case scriptPubKey hex).
 * Only outputs whose length some watched script has are hex-encoded, which skips most of a block.
 */
export function scanBlock(block: Block, watch: ReadonlySet<string>): ScannedOutput[] {
  const found: ScannedOutput[] = [];
  if (watch.size === 0) return found;
  const lengths = new Uint8Array(10_001);
  for (const hex of watch) {
    const n = hex.length >> 1;
    if (n <= 10_000) lengths[n] = 1;
  }
  const { txs } = block;
  for (let t = 0; t < txs.length; t++) {
    const tx = txs[t]!;
    const outputs = tx.outputs;
    let txid: string | undefined;
    for (let v = 0; v < outputs.length; v++) {
      const spk = outputs[v]!.scriptPubKey;
      if (spk.length > 10_000 || lengths[spk.length] === 0) continue;
      const hex = bytesToHex(spk);
      if (!watch.has(hex)) continue;
      txid ??= hashToHex(tx.txid);
      found.push({ txid, vout: v, value: outputs[v]!.value, scriptPubKey: hex, txIndex: t });
    }
  }
  return found;
}
