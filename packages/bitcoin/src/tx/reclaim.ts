import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, equalBytes, hashToHex, hexToHash } from '../bytes.js';
import { NUMS_INTERNAL_KEY } from '../taproot/tweak.js';
import { depositTaprootOutput } from '../scripts/deposit-address.js';
import { parseReclaimScript } from '../scripts/reclaim.js';
import { encodeTransaction } from './codec.js';
import { TransactionError } from './errors.js';
import { computeTxid, transactionWeight } from './hashes.js';
import { SIGHASH_DEFAULT, taprootSighash } from './sighash-taproot.js';
import type { Transaction } from './types.js';

/** Outputs below this are dust to Core's relay policy; a reclaim paying less cannot be relayed. */
export const DUST_LIMIT = 546n;

/** What the unsigned reclaim needs: everything but the depositor's secret key. */
export type UnsignedReclaimParams = Omit<ReclaimTxParams, 'depositorSecretKey' | 'auxRand'>;

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

/** The reclaim before its signature: the transaction sized for a 64-byte signature, and what signing it needs. */
export interface UnsignedReclaim extends Omit<ReclaimTx, 'hex' | 'txid'> {
  prevout: { value: bigint; scriptPubKey: Uint8Array };
  reclaimScript: Uint8Array;
  controlBlock: Uint8Array;
  leafHash: Uint8Array;
  /** The deposit output's internal key (NUMS) and script tree root. */
  internalKey: Uint8Array;
  merkleRoot: Uint8Array;
  /** The x-only key the reclaim leaf names: only its signature spends. */
  depositorKey: Uint8Array;
}

/**
 * The depositor's escape-hatch spend of a deposit through its reclaim leaf, unsigned: version 2 (BIP68 needs it),
 * nSequence = lock blocks, one output paying the deposit minus the fee for the signed size.
 */
export function planReclaimTx(params: UnsignedReclaimParams): UnsignedReclaim {
  const { deposit, reclaimScript, depositScript, destinationScriptPubKey, feeRate } = params;
  if (!Number.isInteger(deposit.vout) || deposit.vout < 0 || deposit.vout > 0xffffffff) throw new TransactionError(`deposit vout ${deposit.vout} is not a u32`);
  if (typeof deposit.value !== 'bigint' || deposit.value <= 0n) throw new TransactionError('deposit value must be a positive bigint');
  if (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate <= 0) throw new TransactionError(`fee rate ${feeRate} must be a positive number of sat/vB`);
  if (!(destinationScriptPubKey instanceof Uint8Array) || destinationScriptPubKey.length === 0)
    throw new TransactionError('destination scriptPubKey is empty');
  const prevTxid = hexToHash(deposit.txid);

  const { lockBlocks, depositorKey } = parseReclaimScript(reclaimScript);
  if (params.lockBlocks !== undefined && params.lockBlocks !== lockBlocks)
    throw new TransactionError(`lock blocks ${params.lockBlocks} does not match the reclaim script's ${lockBlocks}`);

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
  tx.inputs[0]!.witness = [];
  return {
    tx, vsize, weight, fee, sequence: lockBlocks, prevout, reclaimScript, controlBlock: leaf.controlBlock, leafHash: leaf.leafHash,
    internalKey: NUMS_INTERNAL_KEY, merkleRoot: commitment.merkleRoot!, depositorKey,
  };
}

/** The signature hash the depositor signs (BIP341 script path, SIGHASH_DEFAULT). */
export function reclaimSighash(unsigned: Pick<UnsignedReclaim, 'tx' | 'prevout' | 'leafHash'>): Uint8Array {
  return taprootSighash({ tx: unsigned.tx, inputIndex: 0, prevouts: [unsigned.prevout], hashType: SIGHASH_DEFAULT, leafHash: unsigned.leafHash });
}

/** Puts a BIP340 signature into the reclaim's witness, after checking it against the leaf's key. */
export function completeReclaimTx(unsigned: UnsignedReclaim, signature: Uint8Array): ReclaimTx {
  // The reclaim is signed with SIGHASH_DEFAULT: a 64-byte signature, no hash-type byte.
  if (!(signature instanceof Uint8Array) || signature.length !== 64)
    throw new TransactionError(`the reclaim signature must be 64 bytes (SIGHASH_DEFAULT), got ${signature instanceof Uint8Array ? signature.length : typeof signature}`);
  const sig = signature;
  if (!schnorr.verify(sig, reclaimSighash(unsigned), unsigned.depositorKey))
    throw new TransactionError(`the signature is not the reclaim key ${bytesToHex(unsigned.depositorKey)}'s over this reclaim transaction`);
  const tx: Transaction = { ...unsigned.tx, inputs: [{ ...unsigned.tx.inputs[0]!, witness: [sig, unsigned.reclaimScript, unsigned.controlBlock] }] };
  return { tx, hex: bytesToHex(encodeTransaction(tx)), txid: hashToHex(computeTxid(tx)), vsize: unsigned.vsize, weight: unsigned.weight, fee: unsigned.fee, sequence: unsigned.sequence };
}

/**
 * Builds and signs the depositor's escape-hatch spend of a deposit through its reclaim leaf:
 * version 2 (BIP68 needs it), nSequence = lock blocks, witness = [sig, reclaim script, control block].
 */
export function buildReclaimTx(params: ReclaimTxParams): ReclaimTx {
  const { depositorSecretKey } = params;
  if (!(depositorSecretKey instanceof Uint8Array) || depositorSecretKey.length !== 32) throw new TransactionError('depositor secret key must be 32 bytes');
  const unsigned = planReclaimTx(params);
  let publicKey: Uint8Array;
  try {
    publicKey = schnorr.getPublicKey(depositorSecretKey);
  } catch {
    throw new TransactionError('depositor secret key is not a valid secp256k1 scalar');
  }
  if (!equalBytes(publicKey, unsigned.depositorKey))
    throw new TransactionError(`depositor secret key's public key ${bytesToHex(publicKey)} is not the reclaim key ${bytesToHex(unsigned.depositorKey)}`);
  return completeReclaimTx(unsigned, schnorr.sign(reclaimSighash(unsigned), depositorSecretKey, params.auxRand));
}
