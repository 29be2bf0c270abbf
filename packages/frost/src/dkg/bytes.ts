/** Small byte helpers for the DKG wire formats. */
import { FrostInputError } from '../errors.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export function u32be(x: number): Uint8Array {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new FrostInputError(`${x} does not fit in 4 bytes`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, false);
  return b;
}

export function readU32be(b: Uint8Array, offset = 0): number {
  return new DataView(b.buffer, b.byteOffset + offset, 4).getUint32(0, false);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && bytesToHex(a) === bytesToHex(b);
}

/** Splits b into `count` chunks of `size` bytes starting at `offset`. */
export function chunks(b: Uint8Array, offset: number, size: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => b.subarray(offset + i * size, offset + (i + 1) * size));
}
