// 0x-hex helpers for the Ethereum side (Bitcoin-side helpers live in @tapbridge/bitcoin and use other conventions).
import { EncodingError } from '@tapbridge/bitcoin';

export type Hex = `0x${string}`;

export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new EncodingError(`not 0x-prefixed even-length hex: ${hex.slice(0, 80)}`);
  const bytes = Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new EncodingError(`expected ${expectedLength} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** JSON-RPC QUANTITY: minimal hex, "0x0" for zero. */
export function toQuantity(value: bigint | number): Hex {
  return `0x${value.toString(16)}`;
}
