import type { Transaction } from 'bitcoinjs-lib';
import { classifyOutputScript } from '@tapbridge/bitcoin';
import { rejectTx } from '../errors.js';
import { POLICY } from '../params.js';

/** Core's GetDustThreshold: an output is dust if spending it costs more than a third of its value at 3 sat/vB. */
export function dustThreshold(script: Uint8Array): bigint {
  const c = classifyOutputScript(script);
  if (c.type === 'op_return') return 0n;
  const outputSize = 8 + (script.length < 0xfd ? 1 : 3) + script.length;
  const spendSize = c.witnessVersion !== undefined ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4;
  return (BigInt(outputSize + spendSize) * POLICY.dustRelayFeeSatPerKvB) / 1000n;
}

/** Core's IsStandardTx, for the parts a devnet user can trip over. */
export function checkStandard(tx: Transaction): void {
  if (tx.version < 1 || tx.version > POLICY.maxStandardTxVersion) throw rejectTx('version');
  if (tx.weight() > POLICY.maxStandardTxWeight) throw rejectTx('tx-size');
  if (tx.byteLength(false) < POLICY.minStandardTxNonWitnessSize) throw rejectTx('tx-size-small');
  let datacarrierBytes = 0;
  for (const out of tx.outs) {
    const c = classifyOutputScript(out.script);
    if (c.type === 'nonstandard') throw rejectTx('scriptpubkey');
    if (c.type === 'op_return') datacarrierBytes += out.script.length;
    else if (out.value < dustThreshold(out.script)) throw rejectTx('dust');
  }
  if (datacarrierBytes > POLICY.maxDatacarrierBytes) throw rejectTx('datacarrier');
}
