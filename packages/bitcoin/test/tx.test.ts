import fs from 'node:fs';
import { schnorr } from '@noble/curves/secp256k1.js';
import { Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { EncodingError, bytesToHex, hashToHex, hexToBytes } from '../src/bytes.js';
import { addressToOutputScript } from '../src/address.js';
import { buildDepositScript, buildReclaimScript, depositAddress, ScriptTemplateError } from '../src/scripts/index.js';
import { parseControlBlock, taprootTweak, taprootTweakSecretKey, verifyTaprootCommitment, tapLeafHash } from '../src/taproot/index.js';
import { sharedPath } from '@tapbridge/testing';
import {
  TransactionError,
  buildReclaimTx,
  computeTxid,
  decodeTransaction,
  encodeTransaction,
  p2wpkhScriptCode,
  segwitV0Sighash,
  taprootPrecomputed,
  taprootSigMsg,
  taprootSighash,
  transactionVsize,
  type TxOutput,
} from '../src/tx/index.js';

const vectorFile = sharedPath('vectors/bip341/wallet-test-vectors.json');

interface KeyPathVector {
  given: { rawUnsignedTx: string; utxosSpent: { scriptPubKey: string; amountSats: number }[] };
  intermediary: { hashAmounts: string; hashOutputs: string; hashPrevouts: string; hashScriptPubkeys: string; hashSequences: string };
  inputSpending: {
    given: { txinIndex: number; internalPrivkey: string; merkleRoot: string | null; hashType: number };
    intermediary: { internalPubkey: string; tweak: string; tweakedPrivkey: string; sigMsg: string; sigHash: string };
    expected: { witness: string[] };
  }[];
}

describe.skipIf(!fs.existsSync(vectorFile))('BIP341 keyPathSpending vectors (needs ../shared/vectors)', () => {
  const v = fs.existsSync(vectorFile) ? (JSON.parse(fs.readFileSync(vectorFile, 'utf8')) as { keyPathSpending: KeyPathVector[] }).keyPathSpending[0]! : undefined;
  const tx = v ? decodeTransaction(v.given.rawUnsignedTx) : undefined;
  const prevouts: TxOutput[] = v ? v.given.utxosSpent.map((u) => ({ value: BigInt(u.amountSats), scriptPubKey: hexToBytes(u.scriptPubKey) })) : [];

  it('decodes and re-encodes the unsigned transaction byte for byte', () => {
    expect(bytesToHex(encodeTransaction(tx!))).toBe(v!.given.rawUnsignedTx);
    expect(tx!.inputs).toHaveLength(9);
  });

  it('computes the shared digests', () => {
    const pre = taprootPrecomputed(tx!, prevouts);
    expect(bytesToHex(pre.hashAmounts)).toBe(v!.intermediary.hashAmounts);
    expect(bytesToHex(pre.hashOutputs)).toBe(v!.intermediary.hashOutputs);
    expect(bytesToHex(pre.hashPrevouts)).toBe(v!.intermediary.hashPrevouts);
    expect(bytesToHex(pre.hashScriptPubkeys)).toBe(v!.intermediary.hashScriptPubkeys);
    expect(bytesToHex(pre.hashSequences)).toBe(v!.intermediary.hashSequences);
  });

  it.each(v ? v.inputSpending.map((s) => [s.given.txinIndex, s.given.hashType, s] as const) : [])(
    'input %i hash type 0x%s: sigMsg, sigHash, tweaked key and signature',
    (inputIndex, hashType, s) => {
      const params = { tx: tx!, inputIndex, prevouts, hashType };
      // The vectors' sigMsg carries the 0x00 epoch byte that BIP341 prepends before hashing.
      expect('00' + bytesToHex(taprootSigMsg(params))).toBe(s.intermediary.sigMsg);
      const sighash = taprootSighash(params);
      expect(bytesToHex(sighash)).toBe(s.intermediary.sigHash);
      const merkleRoot = s.given.merkleRoot === null ? undefined : hexToBytes(s.given.merkleRoot);
      const tweaked = taprootTweakSecretKey(hexToBytes(s.given.internalPrivkey), merkleRoot);
      expect(bytesToHex(tweaked)).toBe(s.intermediary.tweakedPrivkey);
      expect(bytesToHex(taprootTweak(hexToBytes(s.intermediary.internalPubkey), merkleRoot).tweak)).toBe(s.intermediary.tweak);
      // The vectors sign with all-zero auxiliary randomness; non-default hash types append their byte.
      const sig = schnorr.sign(sighash, tweaked, new Uint8Array(32));
      const witness = bytesToHex(sig) + (hashType === 0 ? '' : hashType.toString(16).padStart(2, '0'));
      expect(witness).toBe(s.expected.witness[0]);
    },
  );

  it('agrees with bitcoinjs-lib for every hash type on every input, key path and script path', () => {
    const btx = BitcoinjsTransaction.fromHex(v!.given.rawUnsignedTx);
    const scripts = prevouts.map((p) => p.scriptPubKey);
    const values = prevouts.map((p) => p.value);
    const leafHash = tapLeafHash(hexToBytes('51'));
    for (const hashType of [0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83])
      for (let i = 0; i < tx!.inputs.length; i++) {
        if ((hashType & 3) === 3 && i >= tx!.outputs.length) continue;
        // bitcoinjs-lib 7.0.5 presizes ANYONECANPAY messages for a 34-byte (P2TR) prevout script only.
        if (hashType & 0x80 && prevouts[i]!.scriptPubKey.length !== 34) continue;
        const ours = taprootSighash({ tx: tx!, inputIndex: i, prevouts, hashType });
        expect(bytesToHex(ours)).toBe(bytesToHex(btx.hashForWitnessV1(i, scripts, values, hashType)));
      }
    for (const hashType of [0x00, 0x01, 0x02, 0x03, 0x81])
      for (let i = 0; i < tx!.outputs.length; i++) {
        if (hashType & 0x80 && prevouts[i]!.scriptPubKey.length !== 34) continue;
        const ours = taprootSighash({ tx: tx!, inputIndex: i, prevouts, hashType, leafHash });
        expect(bytesToHex(ours)).toBe(bytesToHex(btx.hashForWitnessV1(i, scripts, values, hashType, leafHash)));
      }
  });

  it('rejects bad hash types, indexes, prevouts and SIGHASH_SINGLE without an output', () => {
    expect(() => taprootSighash({ tx: tx!, inputIndex: 0, prevouts, hashType: 0x04 })).toThrow(/invalid taproot hash type 0x4/);
    expect(() => taprootSighash({ tx: tx!, inputIndex: 9, prevouts })).toThrow(/out of range/);
    expect(() => taprootSighash({ tx: tx!, inputIndex: 0, prevouts: prevouts.slice(1) })).toThrow(/one prevout per input/);
    expect(() => taprootSighash({ tx: tx!, inputIndex: 5, prevouts, hashType: 0x03 })).toThrow(TransactionError);
  });
});

describe('transaction codec', () => {
  // A witness transaction from BIP143's native P2WPKH example (signed form).
  const signed =
    '01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000494830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee0121025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000';

  it('round-trips with and without witness and computes txid, wtxid, weight like bitcoinjs-lib', () => {
    const tx = decodeTransaction(signed);
    expect(bytesToHex(encodeTransaction(tx))).toBe(signed);
    const btx = BitcoinjsTransaction.fromHex(signed);
    expect(hashToHex(tx.txid)).toBe(btx.getId());
    expect(hashToHex(computeTxid(tx))).toBe(btx.getId());
    expect(bytesToHex(tx.wtxid)).toBe(bytesToHex(btx.getHash(true)));
    expect(tx.weight).toBe(btx.weight());
    expect(transactionVsize(tx)).toBe(btx.virtualSize());
    const stripped = encodeTransaction(tx, { witness: false });
    expect(stripped.length).toBe(tx.strippedSize);
    expect(hashToHex(decodeTransaction(stripped).txid)).toBe(btx.getId());
  });

  it('computes the BIP143 P2WPKH sighash of its example', () => {
    const tx = decodeTransaction(signed);
    const scriptCode = p2wpkhScriptCode(hexToBytes('1d0f172a0ecb48aee1be1f2687d2963ae33f71a1'));
    // BIP143 native P2WPKH example: sigHash of input 1 (600000000 sat).
    expect(bytesToHex(segwitV0Sighash({ tx, inputIndex: 1, scriptCode, value: 600_000_000n }))).toBe(
      'c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670',
    );
  });

  it('rejects truncation, trailing bytes, unknown flags and superfluous witness records', () => {
    expect(() => decodeTransaction(signed.slice(0, -2))).toThrow(EncodingError);
    expect(() => decodeTransaction(signed + '00')).toThrow(/trailing/);
    expect(() => decodeTransaction('0100000000020100')).toThrow(/unknown transaction flags/);
    // One input with an empty witness under the witness flag.
    const superfluous = '010000000001' + '01' + '00'.repeat(32) + '00000000' + '00' + 'ffffffff' + '01' + '0000000000000000' + '00' + '00' + '00000000';
    expect(() => decodeTransaction(superfluous)).toThrow(/superfluous witness/);
  });
});

describe('reclaim transaction', () => {
  const depositorSecret = hexToBytes('00'.repeat(31) + '07');
  const depositorKey = schnorr.getPublicKey(depositorSecret);
  const groupKey = schnorr.getPublicKey(hexToBytes('00'.repeat(31) + '09'));
  const recipient = '0x52908400098527886e0f7030069857d2e4169ee7';
  const lockBlocks = 144;
  const deposit = depositAddress({ network: 'regtest', groupKey, recipient, maxFee: 10_000n, reclaimKey: depositorKey, lockBlocks });
  const destination = addressToOutputScript('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'regtest');
  const depositTxid = 'a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d';
  const params = {
    deposit: { txid: depositTxid, vout: 1, value: 100_000n },
    reclaimScript: deposit.reclaimLeaf.script,
    depositScript: deposit.depositLeaf.script,
    depositorSecretKey: depositorSecret,
    destinationScriptPubKey: destination,
    feeRate: 2.5,
    lockBlocks,
  };

  it('spends the reclaim leaf with nSequence = lock blocks, version 2 and a valid signature', () => {
    const r = buildReclaimTx(params);
    const tx = decodeTransaction(r.hex);
    expect(tx.version).toBe(2);
    expect(r.sequence).toBe(lockBlocks);
    expect(tx.inputs[0]!.sequence).toBe(lockBlocks);
    expect(hashToHex(tx.inputs[0]!.prevout.txid)).toBe(depositTxid);
    expect(hashToHex(tx.txid)).toBe(r.txid);
    const [sig, script, controlBlock] = tx.inputs[0]!.witness;
    expect(sig!.length).toBe(64);
    expect(bytesToHex(script!)).toBe(bytesToHex(buildReclaimScript({ lockBlocks, depositorKey })));
    const outputKey = deposit.scriptPubKey.subarray(2);
    expect(verifyTaprootCommitment(outputKey, script!, controlBlock!)).toBe(true);
    expect(bytesToHex(parseControlBlock(controlBlock!).path[0]!)).toBe(bytesToHex(tapLeafHash(buildDepositScript({ maxFee: 10_000n, recipient, groupKey }))));
    const prevouts = [{ value: 100_000n, scriptPubKey: deposit.scriptPubKey }];
    const sighash = taprootSighash({ tx, inputIndex: 0, prevouts, leafHash: tapLeafHash(script!) });
    expect(schnorr.verify(sig!, sighash, depositorKey)).toBe(true);
    // Fee from the real vsize: weight/4 rounded up, times the rate, rounded up.
    expect(r.vsize).toBe(Math.ceil(tx.weight / 4));
    expect(r.fee).toBe(BigInt(Math.ceil(r.vsize * 2.5)));
    expect(tx.outputs[0]!.value).toBe(100_000n - r.fee);
  });

  it('signs the same sighash bitcoinjs-lib computes for that script-path spend', () => {
    const r = buildReclaimTx(params);
    const btx = BitcoinjsTransaction.fromHex(r.hex);
    const leafHash = tapLeafHash(deposit.reclaimLeaf.script);
    const theirs = btx.hashForWitnessV1(0, [deposit.scriptPubKey], [100_000n], BitcoinjsTransaction.SIGHASH_DEFAULT, leafHash);
    expect(schnorr.verify(btx.ins[0]!.witness[0]!, theirs, depositorKey)).toBe(true);
    expect(btx.virtualSize()).toBe(r.vsize);
    expect(btx.getId()).toBe(r.txid);
  });

  it('refuses the wrong key, a mismatched lock, dust and bad inputs', () => {
    expect(() => buildReclaimTx({ ...params, depositorSecretKey: hexToBytes('00'.repeat(31) + '08') })).toThrow(/is not the reclaim key/);
    expect(() => buildReclaimTx({ ...params, lockBlocks: 100 })).toThrow(/does not match/);
    expect(() => buildReclaimTx({ ...params, deposit: { ...params.deposit, value: 700n } })).toThrow(/dust/);
    expect(() => buildReclaimTx({ ...params, feeRate: 0 })).toThrow(TransactionError);
    expect(() => buildReclaimTx({ ...params, deposit: { ...params.deposit, txid: 'zz' } })).toThrow(EncodingError);
    expect(() => buildReclaimTx({ ...params, reclaimScript: deposit.depositLeaf.script })).toThrow(ScriptTemplateError);
  });
});
