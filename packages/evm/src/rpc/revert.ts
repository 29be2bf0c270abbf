// Human-readable text for a REVERT payload, as geth puts it in the error message ("execution reverted: …").

const ERROR_STRING = '08c379a0'; // Error(string)
const PANIC = '4e487b71'; // Panic(uint256)

export function revertReason(data: Uint8Array): string | undefined {
  const hex = Buffer.from(data).toString('hex');
  if (hex.startsWith(ERROR_STRING) && hex.length >= 8 + 128) {
    const body = hex.slice(8);
    const offset = Number.parseInt(body.slice(0, 64), 16);
    const lengthAt = offset * 2;
    const length = Number.parseInt(body.slice(lengthAt, lengthAt + 64), 16);
    const start = lengthAt + 64;
    if (!Number.isSafeInteger(length) || start + length * 2 > body.length) return undefined;
    return Buffer.from(body.slice(start, start + length * 2), 'hex').toString('utf8');
  }
  if (hex.startsWith(PANIC) && hex.length === 8 + 64) return `panic: 0x${BigInt(`0x${hex.slice(8)}`).toString(16)}`;
  return undefined;
}
