import { Transaction } from 'bitcoinjs-lib';
import { bytesToHex, hexToHash } from '@tapbridge/bitcoin';
import type { UtxoSet } from '../chain/utxo-set.js';
import { outpointKey } from '../chain/utxo-set.js';
import { RPC_ERROR, RpcError } from '../errors.js';
import type { Mempool } from '../mempool/mempool.js';
import { dustThreshold } from '../mempool/standardness.js';
import { REGTEST_PARAMS } from '../params.js';
import type { Keystore, WalletAddressType, WalletKey } from './keystore.js';
import { signP2trKeyPathInput, signP2wpkhInput } from './signing.js';

export interface WalletChainView {
  tipHeight: number;
  utxo: UtxoSet;
  mempool: Mempool;
}

export interface WalletCoin {
  txid: string;
  vout: number;
  value: bigint;
  key: WalletKey;
  /** 0 for an unconfirmed coin. */
  confirmations: number;
  coinbase: boolean;
  /** False for an immature coinbase. */
  spendable: boolean;
}

export interface SendOutput {
  script: Uint8Array;
  value: bigint;
}

// Weight units per input and output, for fee estimation before signing (signatures at their longest).
const INPUT_WEIGHT: Record<WalletAddressType, number> = { bech32: 41 * 4 + 1 + 73 + 1 + 33 + 1, bech32m: 41 * 4 + 1 + 1 + 64 };
const TX_OVERHEAD_WEIGHT = 10 * 4 + 2;
/** Change goes to a P2WPKH key: a 22-byte script. */
const CHANGE_SCRIPT_LENGTH = 22;
const outputWeight = (script: Uint8Array): number => (8 + 1 + script.length) * 4;

/** Coin selection, change and signing over the keystore's keys, reading coins from the chain and mempool. */
export class Wallet {
  constructor(readonly keystore: Keystore) {}

  /** Confirmed coins, plus unconfirmed outputs of the wallet's own transactions (Core's "trusted" balance). */
  listCoins(view: WalletChainView, includeUnconfirmed: boolean): WalletCoin[] {
    const coins: WalletCoin[] = [];
    for (const key of this.keystore.all()) {
      for (const outpoint of view.utxo.outpointsForScript(bytesToHex(key.script))) {
        if (view.mempool.spentBy.has(outpoint)) continue;
        const coin = view.utxo.get(outpoint)!;
        const sep = outpoint.lastIndexOf(':');
        const confirmations = view.tipHeight - coin.height + 1;
        coins.push({
          txid: outpoint.slice(0, sep),
          vout: Number(outpoint.slice(sep + 1)),
          value: coin.value,
          key,
          confirmations,
          coinbase: coin.coinbase,
          // Core's wallet waits one block longer than consensus (GetBlocksToMaturity uses COINBASE_MATURITY + 1).
          spendable: !coin.coinbase || confirmations > REGTEST_PARAMS.coinbaseMaturity,
        });
      }
    }
    if (includeUnconfirmed) {
      for (const entry of view.mempool.entries.values()) {
        const trusted = entry.spends.every((key) => {
          const sep = key.lastIndexOf(':');
          const parent = view.mempool.entries.get(key.slice(0, sep));
          const script = parent ? parent.tx.outs[Number(key.slice(sep + 1))]?.script : view.utxo.get(key)?.script;
          return script !== undefined && this.keystore.byScriptHex(bytesToHex(script)) !== undefined;
        });
        if (!trusted) continue;
        entry.tx.outs.forEach((out, vout) => {
          const key = this.keystore.byScriptHex(bytesToHex(out.script));
          if (!key || view.mempool.spentBy.has(outpointKey(entry.txid, vout))) return;
          coins.push({ txid: entry.txid, vout, value: out.value, key, confirmations: 0, coinbase: false, spendable: true });
        });
      }
    }
    return coins;
  }

  /**
   * Builds and signs a transaction paying `outputs` at `feeRateSatPerVb`, largest coins first, change to a
   * fresh wallet key (dropped into the fee when it would be dust).
   */
  createTransaction(view: WalletChainView, outputs: readonly SendOutput[], feeRateSatPerVb: number, changeKey: () => WalletKey, subtractFeeFromOutput?: number): Transaction {
    if (!(feeRateSatPerVb > 0) || !Number.isFinite(feeRateSatPerVb)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid fee rate');
    if (outputs.length === 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Transaction must have at least one recipient');
    const target = outputs.reduce((sum, o) => sum + o.value, 0n);
    const coins = this.listCoins(view, true)
      .filter((c) => c.spendable)
      .sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1));
    const feeFor = (weight: number): bigint => BigInt(Math.ceil((Math.ceil(weight / 4) * feeRateSatPerVb)));
        let weight = TX_OVERHEAD_WEIGHT + outputs.reduce((w, o) => w + outputWeight(o.script), 0) + outputWeight(new Uint8Array(CHANGE_SCRIPT_LENGTH));
    const selected: WalletCoin[] = [];
    let total = 0n;
    const needed = (): bigint => (subtractFeeFromOutput === undefined ? target + feeFor(weight) : target);
    for (const coin of coins) {
      if (total >= needed() && selected.length > 0) break;
      selected.push(coin);
      total += coin.value;
      weight += INPUT_WEIGHT[coin.key.type];
    }
    if (selected.length === 0 || total < needed()) throw new RpcError(RPC_ERROR.WALLET_INSUFFICIENT_FUNDS, 'Insufficient funds');

    const tx = new Transaction();
    tx.version = 2;
    // nSequence signals RBF (BIP125) as Core's wallet does; locktime 0 keeps it simple.
    for (const coin of selected) tx.addInput(hexToHash(coin.txid), coin.vout, 0xfffffffd);
    let fee = feeFor(weight);
    const finalOutputs = outputs.map((o) => ({ ...o }));
    if (subtractFeeFromOutput !== undefined) {
      const out = finalOutputs[subtractFeeFromOutput];
      if (!out) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid subtractfeefrom index');
      out.value -= fee;
      if (out.value < dustThreshold(out.script)) throw new RpcError(RPC_ERROR.WALLET_INSUFFICIENT_FUNDS, 'The transaction amount is too small to pay the fee');
      fee = 0n;
    }
    for (const o of finalOutputs) {
      if (o.value < dustThreshold(o.script)) throw new RpcError(RPC_ERROR.TYPE_ERROR, 'Transaction amount too small');
      tx.addOutput(o.script, o.value);
    }
    const change = total - target - fee;
    const changeOutputKey = change > 0n ? changeKey() : undefined;
    if (changeOutputKey && change >= dustThreshold(changeOutputKey.script)) tx.addOutput(changeOutputKey.script, change);

    const prevouts = selected.map((c) => ({ script: c.key.script, value: c.value }));
    selected.forEach((coin, i) => {
      const witness =
        coin.key.type === 'bech32'
          ? signP2wpkhInput(tx, i, coin.key.secretKey, coin.value)
          : signP2trKeyPathInput(tx, i, coin.key.secretKey, prevouts);
      tx.setWitness(i, witness);
    });
    return tx;
  }

  /**
   * Core's bumpfee, reduced: the same inputs and payments, the change output cut so the whole transaction pays
   * `feeRateSatPerVb`, every input signed again. Throws Core's errors when it is not the wallet's to bump.
   */
  bumpTransaction(original: Transaction, prevouts: ReadonlyArray<{ script: Uint8Array; value: bigint }>, feeRateSatPerVb: number): { tx: Transaction; fee: bigint } {
    if (!(feeRateSatPerVb > 0) || !Number.isFinite(feeRateSatPerVb)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid fee rate');
    const keys = prevouts.map((p) => this.keystore.byScriptHex(bytesToHex(p.script)));
    if (keys.some((k) => k === undefined)) throw new RpcError(RPC_ERROR.WALLET_ERROR, "Transaction contains inputs that don't belong to this wallet");
    const changeIndex = original.outs.findIndex((o) => this.keystore.byScriptHex(bytesToHex(o.script))?.change === true);
    if (changeIndex < 0) throw new RpcError(RPC_ERROR.WALLET_ERROR, 'Transaction does not have a change output');
    const oldFee = prevouts.reduce((s, p) => s + p.value, 0n) - original.outs.reduce((s, o) => s + o.value, 0n);
    // A signature may come out a byte longer: one spare vbyte keeps the rate at or above the one asked.
    const fee = BigInt(Math.ceil((original.virtualSize() + 1) * feeRateSatPerVb));
    const tx = original.clone();
    const change = tx.outs[changeIndex]!;
    change.value -= fee - oldFee;
    if (change.value < dustThreshold(change.script)) throw new RpcError(RPC_ERROR.WALLET_ERROR, 'Change output is too small to bump the fee');
    keys.forEach((key, i) => {
      tx.setWitness(i, key!.type === 'bech32' ? signP2wpkhInput(tx, i, key!.secretKey, prevouts[i]!.value) : signP2trKeyPathInput(tx, i, key!.secretKey, prevouts));
    });
    return { tx, fee };
  }
}
