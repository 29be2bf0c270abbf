import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, equalBytes, hashToHex, hexToHash } from '../bytes.js';
import { depositTaprootOutput } from '../scripts/deposit-address.js';
import { parseReclaimScript } from '../scripts/reclaim.js';
import { encodeTransaction } from './codec.js';
import { TransactionError } from './errors.js';
import { computeTxid, transactionWeight } from './hashes.js';
import { SIGHASH_DEFAULT, taprootSighash } from './sighash-taproot.js';
import type { Transaction } from './types.js';

/** Outputs below this are dust to Core's relay policy; a reclaim paying less cannot be relayed. */
export const DUST_LIMIT = 546n;

export interface ReclaimTxParams {
  deposit: {
    /** Deposit transaction id in display hex. */
    txid: string;
    vout: number;
    /** Deposit amount in satoshis. */
    value: bigint;
  };
  /** The reclaim leaf being executed. */
  reclaimScript: Uint8Array;
  /** The sibling deposit leaf, needed for the control block and the prevout scriptPubKey. */
  depositScript: Uint8Array;
  /** The depositor's 32-byte secret key; its x-only public key must be the one in the reclaim leaf. */
  depositorSecretKey: Uint8Array;
  /** Where the reclaimed coins go. */
  destinationScriptPubKey: Uint8Array;
  /** Fee rate in sat/vB; the fee is rate × the signed transaction's vsize, rounded up. */
  feeRate: number;
  /** If given, must equal the reclaim leaf's lock (a guard against reclaiming with the wrong script). */
  lockBlocks?: number;
  /** BIP340 auxiliary randomness; random when omitted. */
  auxRand?: Uint8Array;
}

export interface ReclaimTx {
  tx: Transaction;
  hex: string;
  /** Display hex. */
  txid: string;
  vsize: number;
  weight: number;
  fee: bigint;
  /** nSequence of the input: the relative lock in blocks (BIP68). */
  sequence: number;
}

/**
 * Builds and signs the depositor's escape-hatch spend of a deposit through its reclaim leaf:
 * version 2 (BIP68 needs it), nSequence = lock blocks, witness = [sig, reclaim script, control block].
 */
export function buildReclaimTx(params: ReclaimTxParams): ReclaimTx {
  const { deposit, reclaimScript, depositScript, depositorSecretKey, destinationScriptPubKey, feeRate } = params;
  if (!Number.isInteger(deposit.vout) || deposit.vout < 0 || deposit.vout > 0xffffffff) throw new TransactionError(`deposit vout ${deposit.vout} is not a u32`);
  if (typeof deposit.value !== 'bigint' || deposit.value <= 0n) throw new TransactionError('deposit value must be a positive bigint');
  if (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate <= 0) throw new TransactionError(`fee rate ${feeRate} must be a positive number of sat/vB`);
  if (!(destinationScriptPubKey instanceof Uint8Array) || destinationScriptPubKey.length === 0)
    throw new TransactionError('destination scriptPubKey is empty');
  if (!(depositorSecretKey instanceof Uint8Array) || depositorSecretKey.length !== 32) throw new TransactionError('depositor secret key must be 32 bytes');
  const prevTxid = hexToHash(deposit.txid);

  const { lockBlocks, depositorKey } = parseReclaimScript(reclaimScript);
  if (params.lockBlocks !== undefined && params.lockBlocks !== lockBlocks)
    throw new TransactionError(`lock blocks ${params.lockBlocks} does not match the reclaim script's ${lockBlocks}`);
  let publicKey: Uint8Array;
  try {
    publicKey = schnorr.getPublicKey(depositorSecretKey);
  } catch {
    throw new TransactionError('depositor secret key is not a valid secp256k1 scalar');
  }
  if (!equalBytes(publicKey, depositorKey))
    throw new TransactionError(`depositor secret key's public key ${bytesToHex(publicKey)} is not the reclaim key ${bytesToHex(depositorKey)}`);

  const commitment = depositTaprootOutput(depositScript, reclaimScript);
  const leaf = commitment.leaves[1]!;
  const prevout = { value: deposit.value, scriptPubKey: commitment.scriptPubKey };

  const tx: Transaction = {
    version: 2,
    inputs: [{ prevout: { txid: prevTxid, vout: deposit.vout }, scriptSig: new Uint8Array(0), sequence: lockBlocks, witness: [] }],
    outputs: [{ value: deposit.value, scriptPubKey: destinationScriptPubKey }],
    locktime: 0,
  };
  // A SIGHASH_DEFAULT signature is always 64 bytes, so sizing with a placeholder gives the exact vsize.
  tx.inputs[0]!.witness = [new Uint8Array(64), reclaimScript, leaf.controlBlock];
  const weight = transactionWeight(tx);
  const vsize = Math.ceil(weight / 4);
  const fee = BigInt(Math.ceil(vsize * feeRate));
  const value = deposit.value - fee;
  if (value < DUST_LIMIT) throw new TransactionError(`deposit of ${deposit.value} sat minus fee ${fee} sat leaves ${value} sat, below the ${DUST_LIMIT} sat dust limit`);
  tx.outputs[0]!.value = value;

  const sighash = taprootSighash({ tx, inputIndex: 0, prevouts: [prevout], hashType: SIGHASH_DEFAULT, leafHash: leaf.leafHash });
  const signature = schnorr.sign(sighash, depositorSecretKey, params.auxRand);
  tx.inputs[0]!.witness = [signature, reclaimScript, leaf.controlBlock];
  return { tx, hex: bytesToHex(encodeTransaction(tx)), txid: hashToHex(computeTxid(tx)), vsize, weight, fee, sequence: lockBlocks };
}
