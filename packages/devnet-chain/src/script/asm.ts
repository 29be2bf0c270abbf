import { opcodes } from 'bitcoinjs-lib';
import { bytesToHex } from '@tapbridge/bitcoin';

const OPCODE_NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(opcodes) as Array<[string, unknown]>) {
  if (typeof code === 'number' && !OPCODE_NAMES.has(code)) OPCODE_NAMES.set(code, name);
}

/** Core's ScriptToAsmStr (without signature decoding): pushes as hex, OP_0..OP_16 as numbers, else opcode names. */
export function scriptToAsm(script: Uint8Array): string {
  const parts: string[] = [];
  let i = 0;
  while (i < script.length) {
    const op = script[i++]!;
    if (op === 0x00) parts.push('0');
    else if (op <= 0x4e) {
      const width = op < 0x4c ? 0 : op === 0x4c ? 1 : op === 0x4d ? 2 : 4;
      let len = op < 0x4c ? op : 0;
      for (let k = width - 1; k >= 0; k--) len = len * 256 + (script[i + k] ?? 0);
      i += width;
      if (i + len > script.length) {
        parts.push('[error]');
        break;
      }
      parts.push(bytesToHex(script.subarray(i, i + len)));
      i += len;
    } else if (op === 0x4f) parts.push('-1');
    else if (op >= 0x51 && op <= 0x60) parts.push(String(op - 0x50));
    else parts.push(OPCODE_NAMES.get(op) ?? 'OP_UNKNOWN');
  }
  return parts.join(' ');
}
