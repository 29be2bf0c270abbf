// The reclaim as a PSBT: a wallet (bitcoinjs-lib's own signer here, standing in for the depositor's wallet or
// hardware device) signs it, and finalizeReclaimPsbt turns it into the same transaction buildReclaimTx signs.
import { schnorr } from '@noble/curves/secp256k1.js';
import { Psbt } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { addressToOutputScript } from '../src/address.js';
import { depositAddress } from '../src/scripts/index.js';
import { TransactionError, buildReclaimTx, decodeTransaction, finalizeReclaimPsbt, reclaimPsbt } from '../src/tx/index.js';

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

/** A wallet's signer, as bitcoinjs-lib's Psbt.signTaprootInput expects one. */
function walletSigner(secret: Uint8Array) {
  return {
    publicKey: Uint8Array.of(0x02, ...schnorr.getPublicKey(secret)),
    sign: (): Uint8Array => {
      throw new Error('ECDSA is never asked for a taproot input');
    },
    signSchnorr: (hash: Uint8Array) => schnorr.sign(hash, secret, aux),
  };
}

function signInWallet(base64: string, secret: Uint8Array): string {
  const psbt = Psbt.fromBase64(base64);
  psbt.signTaprootInput(0, walletSigner(secret), deposit.reclaimLeaf.leafHash);
  return psbt.toBase64();
}

describe('reclaim PSBT (BIP174/371)', () => {
  it('carries what a wallet needs: the prevout, the reclaim leaf and its control block, the lock as nSequence', () => {
    const { psbt } = reclaimPsbt({ ...params, keyOrigin: { masterFingerprint: hexToBytes('d34db33f'), path: "m/86'/1'/0'/0/7" } });
    const decoded = Psbt.fromBase64(psbt);
    expect(decoded.version).toBe(2);
    expect(decoded.txInputs[0]!.sequence).toBe(lockBlocks);
    const input = decoded.data.inputs[0]!;
    expect(bytesToHex(input.witnessUtxo!.script)).toBe(bytesToHex(deposit.scriptPubKey));
    expect(input.witnessUtxo!.value).toBe(100_000n);
    expect(bytesToHex(input.tapLeafScript![0]!.script)).toBe(bytesToHex(deposit.reclaimLeaf.script));
    expect(bytesToHex(input.tapLeafScript![0]!.controlBlock)).toBe(bytesToHex(deposit.reclaimLeaf.controlBlock));
    expect(bytesToHex(input.tapInternalKey!)).toBe(bytesToHex(deposit.internalKey));
    expect(bytesToHex(input.tapMerkleRoot!)).toBe(bytesToHex(deposit.merkleRoot));
    const origin = input.tapBip32Derivation![0]!;
    expect([bytesToHex(origin.pubkey), bytesToHex(origin.masterFingerprint), origin.path]).toEqual([bytesToHex(depositorKey), 'd34db33f', "m/86'/1'/0'/0/7"]);
    expect(bytesToHex(origin.leafHashes[0]!)).toBe(bytesToHex(deposit.reclaimLeaf.leafHash));
  });

  it('signed by a wallet, finalizes to the transaction buildReclaimTx signs', () => {
    const signed = signInWallet(reclaimPsbt(params).psbt, depositorSecret);
    const tx = finalizeReclaimPsbt(signed, params);
    const direct = buildReclaimTx({ ...params, depositorSecretKey: depositorSecret, auxRand: aux });
    expect(tx.hex).toBe(direct.hex);
    expect(tx.txid).toBe(direct.txid);
    expect(decodeTransaction(tx.hex).inputs[0]!.witness.map((w) => w.length)).toEqual([64, deposit.reclaimLeaf.script.length, deposit.reclaimLeaf.controlBlock.length]);
    // A wallet that finalizes the input itself (witness instead of tapScriptSig) is taken too.
    const finalized = Psbt.fromBase64(signed);
    const witness = decodeTransaction(direct.hex).inputs[0]!.witness;
    // Serialized witness stack: item count, then each item with its length (all under 253 bytes here).
    const finalScriptWitness = Uint8Array.from([witness.length, ...witness.flatMap((item) => [item.length, ...item])]);
    finalized.finalizeInput(0, () => ({ finalScriptWitness }));
    expect(finalizeReclaimPsbt(finalized.toBase64(), params).hex).toBe(direct.hex);
  });

  it('refuses a PSBT that is not this reclaim, has no signature, or is signed by another key', () => {
    const { psbt } = reclaimPsbt(params);
    expect(() => finalizeReclaimPsbt(psbt, params)).toThrow(/no signature by the reclaim key/);
    expect(() => finalizeReclaimPsbt(signInWallet(psbt, depositorSecret), { ...params, feeRate: 3 })).toThrow(/not this reclaim/);
    const otherSecret = hexToBytes('00'.repeat(31) + '08');
    const forged = Psbt.fromBase64(psbt);
    forged.updateInput(0, { tapScriptSig: [{ pubkey: depositorKey, leafHash: deposit.reclaimLeaf.leafHash, signature: schnorr.sign(new Uint8Array(32), otherSecret) }] });
    expect(() => finalizeReclaimPsbt(forged.toBase64(), params)).toThrow(/is not the reclaim key/);
    expect(() => finalizeReclaimPsbt('not base64 at all', params)).toThrow(TransactionError);
  });
});
