import { Psbt } from 'bitcoinjs-lib';
import type { TaprootKeyInfo } from '../sweep/psbt.js';
import { hexToBytes } from '../bytes.js';
import { disbursalTransactions, type DisbursalToSign } from './build.js';

const bytes = (b: Uint8Array | string): Uint8Array => (typeof b === 'string' ? hexToBytes(b) : b);

/**
 * Each disbursal transaction as an unsigned BIP174 PSBT (base64, intermediate first) with the BIP371 key-path fields
 * of the custody key that signs it, for anyone to inspect in a wallet tool before keeping or broadcasting it.
 */
export function disbursalPsbts(build: DisbursalToSign, custody: TaprootKeyInfo): string[] {
  return disbursalTransactions(build).map((t) => {
    const psbt = new Psbt();
    psbt.setVersion(t.tx.version);
    psbt.setLocktime(t.tx.locktime);
    const input = t.tx.inputs[0]!;
    psbt.addInput({
      hash: input.prevout.txid,
      index: input.prevout.vout,
      sequence: input.sequence,
      witnessUtxo: { script: t.prevout.scriptPubKey, value: t.prevout.value },
      tapInternalKey: bytes(custody.internalKey),
      ...(custody.merkleRoot === undefined ? {} : { tapMerkleRoot: bytes(custody.merkleRoot) }),
    });
    for (const out of t.tx.outputs) psbt.addOutput({ script: out.scriptPubKey, value: out.value });
    return psbt.toBase64();
  });
}
