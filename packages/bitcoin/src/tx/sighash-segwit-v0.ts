import { ByteWriter, sha256d } from '../bytes.js';
import { OP } from '../scripts/opcodes.js';
import { TransactionError } from './errors.js';
import { SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_NONE, SIGHASH_SINGLE } from './sighash-taproot.js';
import type { Transaction } from './types.js';

export interface SegwitV0SighashParams {
  tx: Transaction;
  inputIndex: number;
  /** For P2WPKH, p2wpkhScriptCode(pubKeyHash); for P2WSH, the witness script. */
  scriptCode: Uint8Array;
  /** Amount of the output being spent, in satoshis. */
  value: bigint;
  hashType?: number;
}

/** BIP143: P2WPKH signs as if its script were the P2PKH template over the same hash. */
export function p2wpkhScriptCode(pubKeyHash: Uint8Array): Uint8Array {
  if (pubKeyHash.length !== 20) throw new TransactionError('public key hash must be 20 bytes');
  return Uint8Array.of(OP.OP_DUP, OP.OP_HASH160, 20, ...pubKeyHash, OP.OP_EQUALVERIFY, OP.OP_CHECKSIG);
}

/** BIP143 signature hash for witness v0 inputs. */
export function segwitV0Sighash(params: SegwitV0SighashParams): Uint8Array {
  const { tx, inputIndex, scriptCode, value } = params;
  const hashType = params.hashType ?? SIGHASH_ALL;
  if (!Number.isInteger(inputIndex) || inputIndex < 0 || inputIndex >= tx.inputs.length)
    throw new TransactionError(`input index ${inputIndex} out of range for ${tx.inputs.length} inputs`);
  if (!Number.isInteger(hashType) || hashType < 0 || hashType > 0xff) throw new TransactionError(`hash type ${hashType} is not a byte`);
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const zero: Uint8Array = new Uint8Array(32);
  let hashPrevouts = zero;
  let hashSequence = zero;
  let hashOutputs = zero;
  if (!anyoneCanPay) {
    const w = new ByteWriter();
    for (const i of tx.inputs) w.bytes(i.prevout.txid).u32le(i.prevout.vout);
    hashPrevouts = sha256d(w.finish());
  }
  if (!anyoneCanPay && base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    const w = new ByteWriter();
    for (const i of tx.inputs) w.u32le(i.sequence);
    hashSequence = sha256d(w.finish());
  }
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    const w = new ByteWriter();
    for (const o of tx.outputs) w.u64le(o.value).varBytes(o.scriptPubKey);
    hashOutputs = sha256d(w.finish());
  } else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) {
    const o = tx.outputs[inputIndex]!;
    hashOutputs = sha256d(new ByteWriter().u64le(o.value).varBytes(o.scriptPubKey).finish());
  }
  const input = tx.inputs[inputIndex]!;
  const msg = new ByteWriter()
    .i32le(tx.version)
    .bytes(hashPrevouts)
    .bytes(hashSequence)
    .bytes(input.prevout.txid)
    .u32le(input.prevout.vout)
    .varBytes(scriptCode)
    .u64le(value)
    .u32le(input.sequence)
    .bytes(hashOutputs)
    .u32le(tx.locktime)
    .u32le(hashType)
    .finish();
  return sha256d(msg);
}
