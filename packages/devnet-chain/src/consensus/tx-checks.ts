import type { Transaction } from 'bitcoinjs-lib';
import { hashToHex } from '@tapbridge/bitcoin';
import { formatBtc } from '../amount.js';
import type { Coin } from '../chain/utxo-set.js';
import { rejectTx } from '../errors.js';
import { REGTEST_PARAMS } from '../params.js';
import { ScriptError } from '../script/script-error.js';
import { verifyInputScript } from '../script/verify-input.js';

/** wtxid in display hex. */
export const wtxidHex = (tx: Transaction): string => hashToHex(tx.getHash(true));

const isNullHash = (h: Uint8Array): boolean => h.every((b) => b === 0);

export function isCoinbaseTx(tx: Transaction): boolean {
  return tx.ins.length === 1 && isNullHash(tx.ins[0]!.hash) && tx.ins[0]!.index === 0xffffffff;
}

/** Core's CheckTransaction: rules that need no context. */
export function checkTransaction(tx: Transaction): void {
  if (tx.ins.length === 0) throw rejectTx('bad-txns-vin-empty');
  if (tx.outs.length === 0) throw rejectTx('bad-txns-vout-empty');
  if (tx.byteLength(false) * 4 > REGTEST_PARAMS.maxBlockWeight) throw rejectTx('bad-txns-oversize');
  let total = 0n;
  for (const out of tx.outs) {
    if (out.value < 0n) throw rejectTx('bad-txns-vout-negative');
    if (out.value > REGTEST_PARAMS.maxMoney) throw rejectTx('bad-txns-vout-toolarge');
    total += out.value;
    if (total > REGTEST_PARAMS.maxMoney) throw rejectTx('bad-txns-txouttotal-toolarge');
  }
  const seen = new Set<string>();
  for (const input of tx.ins) {
    const key = `${Buffer.from(input.hash).toString('hex')}:${input.index}`;
    if (seen.has(key)) throw rejectTx('bad-txns-inputs-duplicate');
    seen.add(key);
  }
  if (isCoinbaseTx(tx)) {
    const len = tx.ins[0]!.script.length;
    if (len < 2 || len > 100) throw rejectTx('bad-cb-length');
  } else if (tx.ins.some((input) => isNullHash(input.hash) && input.index === 0xffffffff)) {
    throw rejectTx('bad-txns-prevout-null');
  }
}

/**
 * Core's Consensus::CheckTxInputs once every coin is known: coinbase maturity and value balance.
 * Returns the fee.
 */
export function checkTxInputs(tx: Transaction, coins: readonly Coin[], spendHeight: number): bigint {
  let valueIn = 0n;
  for (const coin of coins) {
    if (coin.coinbase && spendHeight - coin.height < REGTEST_PARAMS.coinbaseMaturity)
      throw rejectTx('bad-txns-premature-spend-of-coinbase', `tried to spend coinbase at depth ${spendHeight - coin.height}`);
    valueIn += coin.value;
    if (coin.value < 0n || coin.value > REGTEST_PARAMS.maxMoney || valueIn > REGTEST_PARAMS.maxMoney) throw rejectTx('bad-txns-inputvalues-outofrange');
  }
  const valueOut = tx.outs.reduce((sum, out) => sum + out.value, 0n);
  if (valueIn < valueOut) throw rejectTx('bad-txns-in-belowout', `value in (${formatBtc(valueIn)}) < value out (${formatBtc(valueOut)})`);
  return valueIn - valueOut;
}

/** Runs every input's script; failures carry Core's reject reason, distinguishing consensus from policy flags. */
export function checkInputScripts(tx: Transaction, coins: readonly Coin[]): void {
  const prevouts = coins.map((c) => ({ script: c.script, value: c.value }));
  for (let i = 0; i < tx.ins.length; i++) {
    try {
      verifyInputScript(tx, i, prevouts);
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      throw rejectTx(e.policy ? `non-mandatory-script-verify-flag (${e.message})` : `mandatory-script-verify-flag-failed (${e.message})`);
    }
  }
}
