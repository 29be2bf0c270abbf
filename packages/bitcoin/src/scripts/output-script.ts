import { ScriptTemplateError } from './errors.js';
import { OP } from './opcodes.js';

/** The standard output templates (Bitcoin Core src/script/solver.h TxoutType), as the indexer needs them. */
export type OutputScriptType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'witness_unknown' | 'op_return' | 'nonstandard';

export interface ClassifiedOutputScript {
  type: OutputScriptType;
  /** The hash, key or witness program the template carries; for OP_RETURN the raw bytes after the opcode. */
  payload: Uint8Array;
  /** Witness version for witness programs. */
  witnessVersion?: number;
}

/** Witness program per BIP141: a version opcode (OP_0, OP_1..OP_16) then one direct push of 2..40 bytes. */
export function witnessProgram(script: Uint8Array): { version: number; program: Uint8Array } | undefined {
  const n = script.length;
  if (n < 4 || n > 42) return undefined;
  const op = script[0]!;
  if (op !== OP.OP_0 && (op < OP.OP_1 || op > OP.OP_16)) return undefined;
  if (script[1]! + 2 !== n) return undefined;
  return { version: op === OP.OP_0 ? 0 : op - OP.OP_1 + 1, program: script.subarray(2) };
}

export function classifyOutputScript(script: Uint8Array): ClassifiedOutputScript {
  if (!(script instanceof Uint8Array)) throw new ScriptTemplateError('output script', 'script must be a Uint8Array');
  const n = script.length;
  if (n === 25 && script[0] === OP.OP_DUP && script[1] === OP.OP_HASH160 && script[2] === 20 && script[23] === OP.OP_EQUALVERIFY && script[24] === OP.OP_CHECKSIG)
    return { type: 'p2pkh', payload: script.subarray(3, 23) };
  if (n === 23 && script[0] === OP.OP_HASH160 && script[1] === 20 && script[22] === OP.OP_EQUAL)
    return { type: 'p2sh', payload: script.subarray(2, 22) };
  if (n >= 1 && script[0] === OP.OP_RETURN) return { type: 'op_return', payload: script.subarray(1) };
  const wp = witnessProgram(script);
  if (wp) {
    if (wp.version === 0 && wp.program.length === 20) return { type: 'p2wpkh', payload: wp.program, witnessVersion: 0 };
    if (wp.version === 0 && wp.program.length === 32) return { type: 'p2wsh', payload: wp.program, witnessVersion: 0 };
    if (wp.version === 1 && wp.program.length === 32) return { type: 'p2tr', payload: wp.program, witnessVersion: 1 };
    // Witness v0 with any other length is unspendable, not a future upgrade (BIP141).
    if (wp.version !== 0) return { type: 'witness_unknown', payload: wp.program, witnessVersion: wp.version };
  }
  return { type: 'nonstandard', payload: script };
}

export function p2pkhScript(pubKeyHash: Uint8Array): Uint8Array {
  if (pubKeyHash.length !== 20) throw new ScriptTemplateError('p2pkh', 'public key hash must be 20 bytes');
  return Uint8Array.of(OP.OP_DUP, OP.OP_HASH160, 20, ...pubKeyHash, OP.OP_EQUALVERIFY, OP.OP_CHECKSIG);
}

export function p2shScript(scriptHash: Uint8Array): Uint8Array {
  if (scriptHash.length !== 20) throw new ScriptTemplateError('p2sh', 'script hash must be 20 bytes');
  return Uint8Array.of(OP.OP_HASH160, 20, ...scriptHash, OP.OP_EQUAL);
}

/** OP_n <program>; checks BIP141's version and length rules. */
export function witnessScript(version: number, program: Uint8Array): Uint8Array {
  if (!Number.isInteger(version) || version < 0 || version > 16) throw new ScriptTemplateError('witness program', `witness version ${version} is not 0..16`);
  if (program.length < 2 || program.length > 40) throw new ScriptTemplateError('witness program', `program length ${program.length} is not 2..40`);
  if (version === 0 && program.length !== 20 && program.length !== 32)
    throw new ScriptTemplateError('witness program', `witness v0 program must be 20 or 32 bytes, got ${program.length}`);
  return Uint8Array.of(version === 0 ? OP.OP_0 : OP.OP_1 + version - 1, program.length, ...program);
}
