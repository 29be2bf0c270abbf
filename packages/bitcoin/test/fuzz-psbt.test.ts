// Fuzz test of the one PSBT parser that takes outside bytes: finalizeReclaimPsbt, behind `tapbridge deposit
// reclaim-finalize` (the depositor's wallet hands the signed PSBT back). Random and mutated PSBTs (unsigned, signed
// with a tapScriptSig, finalized with a witness) give a TransactionError or the reclaim signed by the reclaim key,
// never a crash (TypeError, RangeError), a hang or a transaction that is not the reclaim we built.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import { schnorr } from '@noble/curves/secp256k1.js';
import { Psbt, Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams, mutatedBytes, onlyErrors, randomBytesLike } from '../../testing/src/fuzz.js';
import { addressToOutputScript } from '../src/address.js';
import { hexToBytes } from '../src/bytes.js';
import { depositAddress } from '../src/scripts/index.js';
import { TransactionError, buildReclaimTx, decodeTransaction, finalizeReclaimPsbt, reclaimPsbt, type ReclaimTx } from '../src/tx/index.js';

const depositorSecret = hexToBytes('00'.repeat(31) + '07');
const depositorKey = schnorr.getPublicKey(depositorSecret);
const groupKey = schnorr.getPublicKey(hexToBytes('00'.repeat(31) + '09'));
const lockBlocks = 144;
const deposit = depositAddress({ network: 'regtest', groupKey, recipient: '0x52908400098527886e0f7030069857d2e4169ee7', maxFee: 10_000n, reclaimKey: depositorKey, lockBlocks });
const params = {
  deposit: { txid: 'a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d', vout: 1, value: 100_000n },
  reclaimScript: deposit.reclaimLeaf.script,
  depositScript: deposit.depositLeaf.script,
  destinationScriptPubKey: addressToOutputScript('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'regtest'),
  feeRate: 2.5,
  lockBlocks,
};
const aux = new Uint8Array(32).fill(5);
const reference = buildReclaimTx({ ...params, depositorSecretKey: depositorSecret, auxRand: aux });

const walletSigner = {
  publicKey: Uint8Array.of(0x02, ...depositorKey),
  sign: (): Uint8Array => {
    throw new Error('ECDSA is never asked for a taproot input');
  },
  signSchnorr: (hash: Uint8Array) => schnorr.sign(hash, depositorSecret, aux),
};

// The corpus: what a wallet sends back (unsigned, a tapScriptSig, a finalized witness), with and without key origin.
const unsigned = reclaimPsbt(params).psbt;
const withOrigin = reclaimPsbt({ ...params, keyOrigin: { masterFingerprint: hexToBytes('d34db33f'), path: "m/86'/1'/0'/0/7" } }).psbt;
const signed = (() => {
  const p = Psbt.fromBase64(withOrigin);
  p.signTaprootInput(0, walletSigner, deposit.reclaimLeaf.leafHash);
  return p.toBase64();
})();
const finalized = (() => {
  const p = Psbt.fromBase64(signed);
  const witness = decodeTransaction(reference.hex).inputs[0]!.witness;
  p.finalizeInput(0, () => ({ finalScriptWitness: Uint8Array.from([witness.length, ...witness.flatMap((item) => [item.length, ...item])]) }));
  return p.toBase64();
})();
const corpus = [unsigned, withOrigin, signed, finalized].map((b64) => new Uint8Array(Buffer.from(b64, 'base64')));
const PSBT_MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);

/** A result must be exactly the reclaim, signed by the reclaim key: nothing else ever comes out of a PSBT. */
function check(base64: string): void {
  const r = onlyErrors<ReclaimTx>(() => finalizeReclaimPsbt(base64, params), [TransactionError]);
  if (r instanceof Error) return;
  expect(r.txid).toBe(reference.txid);
  const witness = decodeTransaction(r.hex).inputs[0]!.witness;
  expect(schnorr.verify(witness[0]!, hexToBytes(reclaimSighashOf(r)), depositorKey)).toBe(true);
}

/** The reclaim sighash, recomputed through bitcoinjs-lib (an independent implementation). */
function reclaimSighashOf(r: ReclaimTx): string {
  const tx = BitcoinjsTransaction.fromHex(r.hex);
  return Buffer.from(tx.hashForWitnessV1(0, [deposit.scriptPubKey], [params.deposit.value], 0x00, deposit.reclaimLeaf.leafHash)).toString('hex');
}

describe('fuzz: reclaim PSBTs handed back by a wallet (finalizeReclaimPsbt)', () => {
  it('the corpus is what it should be: unsigned refused for its missing signature, signed and finalized give the reclaim', () => {
    expect(() => finalizeReclaimPsbt(unsigned, params)).toThrow(/no signature by the reclaim key/);
    expect(finalizeReclaimPsbt(signed, params).hex).toBe(reference.hex);
    expect(finalizeReclaimPsbt(finalized, params).hex).toBe(reference.hex);
  });

  it('regression: an unsigned transaction bitcoinjs-lib reads but our codec refuses (output above MAX_MONEY) is a TransactionError', () => {
    // Found by "mutated real PSBTs" (FUZZ_SEED=-1200961279 FUZZ_PATH=355:30:2:1:1:1:2): an EncodingError escaped.
    const p = Psbt.fromBase64(unsigned);
    const tx = (p.data.globalMap.unsignedTx as unknown as { tx: BitcoinjsTransaction }).tx;
    tx.outs[0]!.value = 2_251_799_813_784_933n;
    expect(() => finalizeReclaimPsbt(p.toBase64(), params)).toThrow(TransactionError);
    expect(() => finalizeReclaimPsbt(p.toBase64(), params)).toThrow(/unsigned transaction is invalid: .*exceeds MAX_MONEY/);
  });

  it('mutated real PSBTs give a TransactionError or exactly the signed reclaim', () => {
    fc.assert(fc.property(mutatedBytes(corpus, 4, 20_000), (bytes) => check(Buffer.from(bytes).toString('base64'))), fuzzParams(3_000));
  }, FUZZ_TIMEOUT_MS);

  it('random bytes, also after the PSBT magic', () => {
    fc.assert(fc.property(randomBytesLike([PSBT_MAGIC, corpus[0]!.subarray(0, 60)], 600), (bytes) => check(Buffer.from(bytes).toString('base64'))), fuzzParams(3_000));
  }, FUZZ_TIMEOUT_MS);

  it('random strings (not base64, unicode, whitespace, very long)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.base64String({ maxLength: 400 })), check), fuzzParams(3_000));
    for (const s of ['', ' ', '\n', 'cHNidP8=', 'cHNidP8A', 'A'.repeat(1_000_000)]) check(s);
  }, FUZZ_TIMEOUT_MS);
});
