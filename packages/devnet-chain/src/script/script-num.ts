import { ScriptError, SCRIPT_ERR } from './script-error.js';

/** CScriptNum: little-endian magnitude with a sign bit, minimally encoded, at most `maxLength` bytes. */
export function decodeScriptNumber(bytes: Uint8Array, maxLength = 4): bigint {
  if (bytes.length > maxLength) throw new ScriptError(`${SCRIPT_ERR.SCRIPTNUM} (script number of ${bytes.length} bytes, limit ${maxLength})`);
  if (bytes.length === 0) return 0n;
  const last = bytes[bytes.length - 1]!;
  if ((last & 0x7f) === 0 && (bytes.length === 1 || (bytes[bytes.length - 2]! & 0x80) === 0))
    throw new ScriptError(`${SCRIPT_ERR.SCRIPTNUM} (non-minimally encoded script number)`);
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(i === bytes.length - 1 ? bytes[i]! & 0x7f : bytes[i]!);
  return (last & 0x80) !== 0 ? -value : value;
}

export function encodeScriptNumber(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  const negative = value < 0n;
  let abs = negative ? -value : value;
  const out: number[] = [];
  while (abs > 0n) {
    out.push(Number(abs & 0xffn));
    abs >>= 8n;
  }
  if ((out[out.length - 1]! & 0x80) !== 0) out.push(negative ? 0x80 : 0x00);
  else if (negative) out[out.length - 1]! |= 0x80;
  return Uint8Array.from(out);
}

/** CastToBool: any non-zero byte is true, except a lone sign bit in the last byte (negative zero). */
export function castToBool(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) return !(i === bytes.length - 1 && bytes[i] === 0x80);
  }
  return false;
}
