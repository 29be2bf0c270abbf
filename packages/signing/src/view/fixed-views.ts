// Views over fixed chain data: real implementations of BitcoinView and L2View for the pure policy rules (unit tests,
// benchmarks, tools). Transactions are "on the signer's chain" at the height they are put at; spends are as declared.
import { decodeTransaction, hashToHex, type DecodedTransaction } from '@tapbridge/bitcoin';
import type { BitcoinView, OutputSpend, Proven, ProvenTransaction } from './bitcoin.js';
import type { L2View, WithdrawalLog } from './l2.js';
import { outpointKey } from './signed-sweeps.js';

export class FixedBitcoinView implements BitcoinView {
  readonly #txs = new Map<string, { tx: DecodedTransaction; height: number }>();
  readonly #spends = new Map<string, OutputSpend>();

  constructor(public tip: number) {}

  async tipHeight(): Promise<number> {
    return this.tip;
  }

  /** Puts a transaction in the block at `height` of the chain (raw bytes or hex, decoded as a source's would be). */
  confirm(raw: Uint8Array | string, height: number): string {
    const tx = decodeTransaction(raw);
    const txid = hashToHex(tx.txid);
    this.#txs.set(txid, { tx, height });
    return txid;
  }

  /** Takes a transaction out of the chain (a reorg). */
  unconfirm(txid: string): void {
    this.#txs.delete(txid);
  }

  setSpend(txid: string, vout: number, spend: OutputSpend): void {
    this.#spends.set(outpointKey(txid, vout), spend);
  }

  async provenTransaction(txid: string): Promise<Proven<ProvenTransaction>> {
    const found = this.#txs.get(txid.toLowerCase());
    if (!found || found.height > this.tip) return { ok: false, reason: `transaction ${txid} is not confirmed on the signer's own chain` };
    return { ok: true, value: { txid, tx: found.tx, blockHash: `fixed-block-${found.height}`, blockHeight: found.height, confirmations: this.tip - found.height + 1 } };
  }

  async outputSpend(txid: string, vout: number): Promise<OutputSpend> {
    return this.#spends.get(outpointKey(txid, vout)) ?? { spent: false };
  }
}

export class FixedL2View implements L2View {
  readonly #logs = new Map<bigint, WithdrawalLog>();

  /** `head` and `finalityDepth` give the same finality rule as the JSON-RPC view. */
  constructor(
    public head: bigint,
    readonly finalityDepth: bigint,
  ) {}

  burn(log: WithdrawalLog): void {
    this.#logs.set(log.id, log);
  }

  async finalWithdrawals(ids: readonly bigint[]): Promise<Map<bigint, WithdrawalLog>> {
    const out = new Map<bigint, WithdrawalLog>();
    for (const id of ids) {
      const log = this.#logs.get(id);
      if (log && log.blockNumber <= this.head - this.finalityDepth) out.set(id, log);
    }
    return out;
  }
}
