import { ByteWriter, sha256 } from '../bytes.js';
import { taggedHash } from '../taproot/tagged-hash.js';
import { TransactionError } from './errors.js';
import type { Transaction, TxOutput } from './types.js';

export const SIGHASH_DEFAULT = 0x00;
export const SIGHASH_ALL = 0x01;
export const SIGHASH_NONE = 0x02;
export const SIGHASH_SINGLE = 0x03;
export const SIGHASH_ANYONECANPAY = 0x80;

const VALID_TAPROOT_HASH_TYPES = new Set([0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83]);

export interface TaprootSighashParams {
  tx: Transaction;
  inputIndex: number;
  /** The outputs every input spends, in input order (BIP341 commits to all amounts and scripts). */
  prevouts: readonly TxOutput[];
  /** Defaults to SIGHASH_DEFAULT. */
  hashType?: number;
  /** Present for a script-path spend: the leaf being executed (ext_flag = 1). */
  leafHash?: Uint8Array;
  /** Witness annex (starting with 0x50), if the input carries one. */
  annex?: Uint8Array;
  /** Position of the last executed OP_CODESEPARATOR; 0xffffffff when none. */
  codeSeparatorPosition?: number;
}

/** The single-SHA256 digests over all inputs and outputs that BIP341 reuses for every input. */
export interface TaprootPrecomputed {
  hashPrevouts: Uint8Array;
  hashAmounts: Uint8Array;
  hashScriptPubkeys: Uint8Array;
  hashSequences: Uint8Array;
  hashOutputs: Uint8Array;
}

export function taprootPrecomputed(tx: Transaction, prevouts: readonly TxOutput[]): TaprootPrecomputed {
  if (prevouts.length !== tx.inputs.length)
    throw new TransactionError(`taproot sighash needs one prevout per input: ${prevouts.length} for ${tx.inputs.length} inputs`);
  const p = new ByteWriter();
  const a = new ByteWriter();
  const s = new ByteWriter();
  const q = new ByteWriter();
  tx.inputs.forEach((input, i) => {
    p.bytes(input.prevout.txid).u32le(input.prevout.vout);
    a.u64le(prevouts[i]!.value);
    s.varBytes(prevouts[i]!.scriptPubKey);
    q.u32le(input.sequence);
  });
  const o = new ByteWriter();
  for (const out of tx.outputs) o.u64le(out.value).varBytes(out.scriptPubKey);
  return {
    hashPrevouts: sha256(p.finish()),
    hashAmounts: sha256(a.finish()),
    hashScriptPubkeys: sha256(s.finish()),
    hashSequences: sha256(q.finish()),
    hashOutputs: sha256(o.finish()),
  };
}

/** BIP341 SigMsg(hash_type, ext_flag), plus BIP342's script-path extension when `leafHash` is given. */
export function taprootSigMsg(params: TaprootSighashParams, precomputed?: TaprootPrecomputed): Uint8Array {
  const { tx, inputIndex, prevouts, leafHash, annex } = params;
  const hashType = params.hashType ?? SIGHASH_DEFAULT;
  if (!VALID_TAPROOT_HASH_TYPES.has(hashType)) throw new TransactionError(`invalid taproot hash type 0x${hashType.toString(16)}`);
  if (!Number.isInteger(inputIndex) || inputIndex < 0 || inputIndex >= tx.inputs.length)
    throw new TransactionError(`input index ${inputIndex} out of range for ${tx.inputs.length} inputs`);
  if (prevouts.length !== tx.inputs.length)
    throw new TransactionError(`taproot sighash needs one prevout per input: ${prevouts.length} for ${tx.inputs.length} inputs`);
  if (leafHash !== undefined && leafHash.length !== 32) throw new TransactionError('leaf hash must be 32 bytes');
  if (annex !== undefined && (annex.length === 0 || annex[0] !== 0x50)) throw new TransactionError('annex must start with 0x50');

  const outputType = hashType === SIGHASH_DEFAULT ? SIGHASH_ALL : hashType & 0x03;
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const pre = precomputed ?? taprootPrecomputed(tx, prevouts);
  const w = new ByteWriter().u8(hashType).i32le(tx.version).u32le(tx.locktime);
  if (!anyoneCanPay) w.bytes(pre.hashPrevouts).bytes(pre.hashAmounts).bytes(pre.hashScriptPubkeys).bytes(pre.hashSequences);
  if (outputType === SIGHASH_ALL) w.bytes(pre.hashOutputs);
  const extFlag = leafHash === undefined ? 0 : 1;
  w.u8(extFlag * 2 + (annex === undefined ? 0 : 1));
  if (anyoneCanPay) {
    const input = tx.inputs[inputIndex]!;
    const prev = prevouts[inputIndex]!;
    w.bytes(input.prevout.txid).u32le(input.prevout.vout).u64le(prev.value).varBytes(prev.scriptPubKey).u32le(input.sequence);
  } else {
    w.u32le(inputIndex);
  }
  if (annex !== undefined) w.bytes(sha256(new ByteWriter().varBytes(annex).finish()));
  if (outputType === SIGHASH_SINGLE) {
    // BIP341 makes SIGHASH_SINGLE without a matching output a failure (no legacy "1" hash).
    const out = tx.outputs[inputIndex];
    if (out === undefined) throw new TransactionError(`SIGHASH_SINGLE for input ${inputIndex} without a matching output`);
    w.bytes(sha256(new ByteWriter().u64le(out.value).varBytes(out.scriptPubKey).finish()));
  }
  if (leafHash !== undefined) {
    // BIP342: tapleaf_hash ‖ key_version (0x00) ‖ codesep_pos.
    w.bytes(leafHash).u8(0).u32le(params.codeSeparatorPosition ?? 0xffffffff);
  }
  return w.finish();
}

/** BIP341 signature hash: TapSighash(0x00 ‖ SigMsg). The 0x00 is the sighash epoch. */
export function taprootSighash(params: TaprootSighashParams, precomputed?: TaprootPrecomputed): Uint8Array {
  return taggedHash('TapSighash', Uint8Array.of(0), taprootSigMsg(params, precomputed));
}
