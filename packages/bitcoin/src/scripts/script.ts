import { ScriptTemplateError } from './errors.js';
import { OP } from './opcodes.js';

/** One script element: an opcode, with its data when it is a push. */
export interface ScriptChunk {
  opcode: number;
  data?: Uint8Array;
}

/** The shortest push of `data` (BIP62 / Core's CheckMinimalPush): OP_0, OP_1..16, OP_1NEGATE, direct, PUSHDATA1/2/4. */
export function encodePush(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n === 0) return Uint8Array.of(OP.OP_0);
  if (n === 1 && data[0]! >= 1 && data[0]! <= 16) return Uint8Array.of(OP.OP_1 + data[0]! - 1);
  if (n === 1 && data[0] === 0x81) return Uint8Array.of(OP.OP_1NEGATE);
  if (n < OP.OP_PUSHDATA1) return Uint8Array.of(n, ...data);
  if (n <= 0xff) return Uint8Array.of(OP.OP_PUSHDATA1, n, ...data);
  if (n <= 0xffff) return Uint8Array.of(OP.OP_PUSHDATA2, n & 0xff, n >> 8, ...data);
  throw new ScriptTemplateError('push', `push of ${n} bytes exceeds the 520-byte element limit`);
}

/** Core's CheckMinimalPush: the data is pushed with the shortest opcode that can push it. */
export function isMinimalPush(opcode: number, data: Uint8Array): boolean {
  const n = data.length;
  if (n === 0) return opcode === OP.OP_0;
  if (n === 1 && data[0]! >= 1 && data[0]! <= 16) return false;
  if (n === 1 && data[0] === 0x81) return false;
  if (n < OP.OP_PUSHDATA1) return opcode === n;
  if (n <= 0xff) return opcode === OP.OP_PUSHDATA1;
  if (n <= 0xffff) return opcode === OP.OP_PUSHDATA2;
  return true;
}

/**
 * Splits a script into chunks. Template parsing always asks for minimal pushes, because a non-minimal
 * encoding gives a different script (and so a different leaf hash and address) for the same meaning.
 */
export function decompileScript(script: Uint8Array, template: string, requireMinimal = true): ScriptChunk[] {
  const chunks: ScriptChunk[] = [];
  let i = 0;
  while (i < script.length) {
    const opcode = script[i++]!;
    if (opcode > OP.OP_PUSHDATA4 || opcode === OP.OP_0) {
      // OP_1..OP_16 and OP_1NEGATE are small-number pushes; keep their value as data for uniform reading.
      if (opcode >= OP.OP_1 && opcode <= OP.OP_16) chunks.push({ opcode, data: Uint8Array.of(opcode - OP.OP_1 + 1) });
      else if (opcode === OP.OP_0) chunks.push({ opcode, data: new Uint8Array(0) });
      else if (opcode === OP.OP_1NEGATE) chunks.push({ opcode, data: Uint8Array.of(0x81) });
      else chunks.push({ opcode });
      continue;
    }
    let len: number;
    if (opcode < OP.OP_PUSHDATA1) len = opcode;
    else {
      const width = opcode === OP.OP_PUSHDATA1 ? 1 : opcode === OP.OP_PUSHDATA2 ? 2 : 4;
      if (i + width > script.length) throw new ScriptTemplateError(template, `truncated push length at byte ${i - 1}`);
      len = 0;
      for (let k = width - 1; k >= 0; k--) len = len * 256 + script[i + k]!;
      i += width;
    }
    if (i + len > script.length) throw new ScriptTemplateError(template, `push of ${len} bytes runs past the end of the script`);
    const data = script.slice(i, i + len);
    i += len;
    if (requireMinimal && !isMinimalPush(opcode, data)) throw new ScriptTemplateError(template, `non-minimal push of ${len} bytes at byte ${i - len - 1}`);
    chunks.push({ opcode, data });
  }
  return chunks;
}

/** CScriptNum encoding: little-endian magnitude, sign in the top bit, minimal length. */
export function encodeScriptNum(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new ScriptTemplateError('script number', `${value} is not a safe integer`);
  if (value === 0) return new Uint8Array(0);
  const negative = value < 0;
  let abs = Math.abs(value);
  const out: number[] = [];
  while (abs > 0) {
    out.push(abs & 0xff);
    abs = Math.floor(abs / 256);
  }
  if (out[out.length - 1]! & 0x80) out.push(negative ? 0x80 : 0x00);
  else if (negative) out[out.length - 1]! |= 0x80;
  return Uint8Array.from(out);
}

/** Decodes a CScriptNum of at most `maxLength` bytes, refusing non-minimal encodings (Core's fRequireMinimal). */
export function decodeScriptNum(bytes: Uint8Array, maxLength: number, template: string): number {
  if (bytes.length > maxLength) throw new ScriptTemplateError(template, `script number is ${bytes.length} bytes, more than ${maxLength}`);
  if (bytes.length === 0) return 0;
  const last = bytes[bytes.length - 1]!;
  if ((last & 0x7f) === 0 && (bytes.length === 1 || (bytes[bytes.length - 2]! & 0x80) === 0))
    throw new ScriptTemplateError(template, 'non-minimally encoded script number');
  let value = 0;
  for (let k = bytes.length - 1; k >= 0; k--) value = value * 256 + (k === bytes.length - 1 ? bytes[k]! & 0x7f : bytes[k]!);
  return last & 0x80 ? -value : value;
}

/** The minimal push of a script number (small numbers use OP_0..OP_16). */
export function pushScriptNum(value: number): Uint8Array {
  if (value >= 0 && value <= 16) return Uint8Array.of(value === 0 ? OP.OP_0 : OP.OP_1 + value - 1);
  return encodePush(encodeScriptNum(value));
}

/** Reads the number a push chunk carries; the small-number opcodes are read as the values they push. */
export function chunkScriptNum(chunk: ScriptChunk | undefined, maxLength: number, template: string, what: string): number {
  if (chunk?.data === undefined) throw new ScriptTemplateError(template, `${what} must be a number push`);
  if (chunk.opcode === OP.OP_1NEGATE) return -1;
  if (chunk.opcode >= OP.OP_1 && chunk.opcode <= OP.OP_16) return chunk.data[0]!;
  return decodeScriptNum(chunk.data, maxLength, template);
}

export function expectOpcode(chunk: ScriptChunk | undefined, opcode: number, name: string, template: string, position: number): void {
  if (chunk === undefined || chunk.opcode !== opcode || (chunk.data !== undefined && opcode > OP.OP_16))
    throw new ScriptTemplateError(template, `expected ${name} at element ${position}`);
}

export function expectPush(chunk: ScriptChunk | undefined, length: number, what: string, template: string): Uint8Array {
  if (chunk?.data === undefined || chunk.opcode > OP.OP_PUSHDATA4) throw new ScriptTemplateError(template, `${what} must be a data push`);
  if (chunk.data.length !== length) throw new ScriptTemplateError(template, `${what} must be ${length} bytes, got ${chunk.data.length}`);
  return chunk.data;
}
