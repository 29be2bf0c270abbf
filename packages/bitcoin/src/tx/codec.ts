import { ByteReader, ByteWriter, EncodingError, bytesToHex, hexToBytes } from '../bytes.js';
import { hash256 } from '../merkle/hash.js';
import type { DecodedTransaction, Transaction, TxInput, TxOutput } from './types.js';

const TWO_32 = 4294967296;
// Smallest encodings, which bound the counts a transaction can claim: an input is outpoint (36) + empty
// script (1) + sequence (4); an output is value (8) + empty script (1).
const MIN_INPUT_SIZE = 41;
const MIN_OUTPUT_SIZE = 9;
/** Consensus MAX_MONEY: no single output may exceed 21 million BTC. */
export const MAX_MONEY = 21_000_000n * 100_000_000n;

// One growing scratch buffer for txid preimages: allocating one per transaction showed up as GC time.
let scratch = new Uint8Array(1 << 16);

/** SHA256d of version ‖ body ‖ locktime: the txid preimage of a witness transaction, cut from its bytes. */
function strippedHash(bytes: Uint8Array, start: number, bodyStart: number, bodyEnd: number, lockStart: number): Uint8Array {
  const body = bodyEnd - bodyStart;
  if (scratch.length < body + 8) scratch = new Uint8Array(Math.max(body + 8, scratch.length * 2));
  const buf = scratch;
  buf.set(bytes.subarray(start, start + 4), 0);
  buf.set(bytes.subarray(bodyStart, bodyEnd), 4);
  buf.set(bytes.subarray(lockStart, lockStart + 4), 4 + body);
  return hash256(buf.subarray(0, body + 8));
}

/**
 * Reads one transaction at the reader's position (BIP144 serialization, with or without witness).
 * txid and wtxid are hashed straight from the input bytes, without re-encoding: the block scanner
 * depends on this being cheap. Byte arrays in the result are views into `r.bytes`.
 */
export function readTransaction(r: ByteReader): DecodedTransaction {
  const bytes = r.bytes;
  const start = r.offset;
  const version = r.i32le();
  let hasWitness = false;
  let bodyStart = r.offset;
  let nIn = r.count(MIN_INPUT_SIZE, 'input');
  if (nIn === 0) {
    // BIP144 extended format: marker 0x00 then flags; 0x01 is the only defined flag.
    const flags = r.u8();
    if (flags !== 1) throw new EncodingError(`unknown transaction flags 0x${flags.toString(16)} at offset ${r.offset - 1}`);
    hasWitness = true;
    bodyStart = r.offset;
    nIn = r.count(MIN_INPUT_SIZE, 'input');
  }
  const inputs: TxInput[] = new Array<TxInput>(nIn);
  for (let i = 0; i < nIn; i++) {
    const txid = r.take(32);
    const vout = r.u32le();
    const scriptSig = r.varBytes();
    const sequence = r.u32le();
    inputs[i] = { prevout: { txid, vout }, scriptSig, sequence, witness: [] };
  }
  const nOut = r.count(MIN_OUTPUT_SIZE, 'output');
  const outputs: TxOutput[] = new Array<TxOutput>(nOut);
  for (let i = 0; i < nOut; i++) {
    const lo = r.u32le();
    const hi = r.u32le();
    // Any valid amount is below 2^53, so one BigInt conversion of an exact double suffices.
    const value = hi < 0x200000 ? BigInt(hi * TWO_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
    if (value > MAX_MONEY) throw new EncodingError(`output ${i} value ${value} exceeds MAX_MONEY`);
    outputs[i] = { value, scriptPubKey: r.varBytes() };
  }
  const bodyEnd = r.offset;
  if (hasWitness) {
    let anyWitness = false;
    for (let i = 0; i < nIn; i++) {
      const n = r.count(1, 'witness item');
      const items: Uint8Array[] = new Array<Uint8Array>(n);
      for (let k = 0; k < n; k++) items[k] = r.varBytes();
      inputs[i]!.witness = items;
      if (n > 0) anyWitness = true;
    }
    // Core refuses the extended format when no input has witness data ("Superfluous witness record").
    if (!anyWitness) throw new EncodingError('superfluous witness record: witness flag set but every witness is empty');
  }
  const witnessEnd = r.offset;
  const locktime = r.u32le();
  const end = r.offset;
  const size = end - start;
  let txid: Uint8Array;
  let wtxid: Uint8Array;
  let strippedSize: number;
  if (hasWitness) {
    txid = strippedHash(bytes, start, bodyStart, bodyEnd, witnessEnd);
    wtxid = hash256(bytes.subarray(start, end));
    strippedSize = 4 + (bodyEnd - bodyStart) + 4;
  } else {
    txid = hash256(bytes.subarray(start, end));
    wtxid = txid;
    strippedSize = size;
  }
  return { version, inputs, outputs, locktime, txid, wtxid, size, strippedSize, weight: strippedSize * 3 + size };
}

/** Decodes exactly one transaction; trailing bytes are an error. */
export function decodeTransaction(bytes: Uint8Array | string): DecodedTransaction {
  const raw = typeof bytes === 'string' ? hexToBytes(bytes.trim()) : bytes;
  const r = new ByteReader(raw);
  const tx = readTransaction(r);
  if (r.remaining !== 0) throw new EncodingError(`${r.remaining} trailing bytes after the transaction`);
  return tx;
}

export const hasWitness = (tx: Transaction): boolean => tx.inputs.some((i) => i.witness.length > 0);

/** Serializes a transaction; with witness (BIP144) only if asked and some input has witness data. */
export function encodeTransaction(tx: Transaction, options: { witness?: boolean } = {}): Uint8Array {
  const withWitness = (options.witness ?? true) && hasWitness(tx);
  const w = new ByteWriter().i32le(tx.version);
  if (withWitness) w.u8(0).u8(1);
  w.varint(tx.inputs.length);
  tx.inputs.forEach((input, i) => {
    if (input.prevout.txid.length !== 32) throw new EncodingError(`input ${i} prevout txid must be 32 bytes`);
    w.bytes(input.prevout.txid).u32le(input.prevout.vout).varBytes(input.scriptSig).u32le(input.sequence);
  });
  w.varint(tx.outputs.length);
  tx.outputs.forEach((out, i) => {
    if (out.value < 0n || out.value > MAX_MONEY) throw new EncodingError(`output ${i} value ${out.value} is outside 0..MAX_MONEY`);
    w.u64le(out.value).varBytes(out.scriptPubKey);
  });
  if (withWitness) for (const input of tx.inputs) {
    w.varint(input.witness.length);
    for (const item of input.witness) w.varBytes(item);
  }
  return w.u32le(tx.locktime).finish();
}

export const encodeTransactionHex = (tx: Transaction, options?: { witness?: boolean }): string => bytesToHex(encodeTransaction(tx, options));
