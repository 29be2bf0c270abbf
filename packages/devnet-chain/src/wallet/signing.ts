import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { Transaction, crypto as bcrypto } from 'bitcoinjs-lib';
import { concatBytes, p2pkhScript, taprootTweakSecretKey } from '@tapbridge/bitcoin';
import type { Prevout } from '../script/verify-input.js';

function assertSecretKey(secretKey: Uint8Array): void {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new TypeError('secret key must be 32 bytes');
}

function assertInput(tx: Transaction, index: number, prevouts: readonly Prevout[]): void {
  if (!Number.isInteger(index) || index < 0 || index >= tx.ins.length) throw new RangeError(`input ${index} does not exist`);
  if (prevouts.length !== tx.ins.length) throw new RangeError(`need one prevout per input (${tx.ins.length}), got ${prevouts.length}`);
}

/** BIP143 signature for a P2WPKH input; returns the witness [DER ‖ hashType, compressed pubkey]. */
export function signP2wpkhInput(tx: Transaction, index: number, secretKey: Uint8Array, value: bigint, hashType = Transaction.SIGHASH_ALL): Uint8Array[] {
  assertSecretKey(secretKey);
  const publicKey = secp256k1.getPublicKey(secretKey, true);
  const sighash = tx.hashForWitnessV0(index, p2pkhScript(bcrypto.hash160(publicKey)), value, hashType);
  const der = secp256k1.sign(sighash, secretKey, { prehash: false, lowS: true, format: 'der' });
  return [concatBytes(der, Uint8Array.of(hashType)), publicKey];
}

/** BIP341 signature encoding: 64 bytes for SIGHASH_DEFAULT, else the hash type appended. */
function encodeSchnorr(signature: Uint8Array, hashType: number): Uint8Array {
  return hashType === Transaction.SIGHASH_DEFAULT ? signature : concatBytes(signature, Uint8Array.of(hashType));
}

/**
 * Key-path signature for a P2TR input whose internal key is `secretKey`'s (BIP86-style when there is no
 * script tree; pass the tree's merkle root otherwise). Returns the witness [signature].
 */
export function signP2trKeyPathInput(
  tx: Transaction,
  index: number,
  secretKey: Uint8Array,
  prevouts: readonly Prevout[],
  options: { merkleRoot?: Uint8Array; hashType?: number } = {},
): Uint8Array[] {
  assertSecretKey(secretKey);
  assertInput(tx, index, prevouts);
  const hashType = options.hashType ?? Transaction.SIGHASH_DEFAULT;
  const tweaked = taprootTweakSecretKey(secretKey, options.merkleRoot);
  const sighash = tx.hashForWitnessV1(index, prevouts.map((p) => p.script), prevouts.map((p) => p.value), hashType);
  return [encodeSchnorr(schnorr.sign(sighash, tweaked), hashType)];
}

/**
 * A BIP342 signature for one tapscript leaf (a CHECKSIG / CHECKSIGADD key of that leaf). Build the witness
 * with {@link taprootScriptPathWitness}.
 */
export function signTapscript(
  tx: Transaction,
  index: number,
  secretKey: Uint8Array,
  prevouts: readonly Prevout[],
  leafHash: Uint8Array,
  hashType = Transaction.SIGHASH_DEFAULT,
): Uint8Array {
  assertSecretKey(secretKey);
  assertInput(tx, index, prevouts);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== 32) throw new TypeError('leaf hash must be 32 bytes');
  const sighash = tx.hashForWitnessV1(index, prevouts.map((p) => p.script), prevouts.map((p) => p.value), hashType, leafHash);
  return encodeSchnorr(schnorr.sign(sighash, secretKey), hashType);
}

/** Script-path witness: the script's arguments (bottom of stack first), then the leaf script, then the control block. */
export function taprootScriptPathWitness(args: readonly Uint8Array[], leafScript: Uint8Array, controlBlock: Uint8Array): Uint8Array[] {
  return [...args, leafScript, controlBlock];
}
