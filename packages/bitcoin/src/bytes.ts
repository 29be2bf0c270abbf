import { createHash } from 'node:crypto';

/** Raised for malformed byte input: wrong length, bad hex, truncated data. */
export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

export function hexToBytes(hex: string, expectedLength?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) throw new EncodingError('invalid hex string');
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (expectedLength !== undefined && bytes.length !== expectedLength)
    throw new EncodingError(`expected ${expectedLength} bytes, got ${bytes.length}`);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Display order (RPC, explorers) is the byte-reversed internal order of hashes. */
export function reverseBytes(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes).reverse();
}

export const hashToHex = (internal: Uint8Array): string => bytesToHex(reverseBytes(internal));
export const hexToHash = (display: string): Uint8Array => reverseBytes(hexToBytes(display, 32));

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Bitcoin's hash256: SHA256(SHA256(x)). */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** Sequential reader over consensus-encoded data; every read checks bounds. */
export class ByteReader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length)
      throw new EncodingError(`truncated data reading ${what} at offset ${this.offset}`);
  }

  u8(): number {
    this.need(1, 'u8');
    return this.bytes[this.offset++]!;
  }

  u32le(): number {
    this.need(4, 'u32');
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }

  i32le(): number {
    return this.u32le() | 0;
  }

  u64le(): bigint {
    const lo = BigInt(this.u32le());
    const hi = BigInt(this.u32le());
    return (hi << 32n) | lo;
  }

  /** CompactSize; rejects non-canonical encodings as Bitcoin Core does. */
  varint(): number {
    const first = this.u8();
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.need(2, 'varint');
      const v = this.bytes[this.offset]! | (this.bytes[this.offset + 1]! << 8);
      this.offset += 2;
      if (v < 0xfd) throw new EncodingError('non-canonical varint');
      return v;
    }
    if (first === 0xfe) {
      const v = this.u32le();
      if (v <= 0xffff) throw new EncodingError('non-canonical varint');
      return v;
    }
    const v = this.u64le();
    if (v <= 0xffffffffn) throw new EncodingError('non-canonical varint');
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new EncodingError('varint too large');
    return Number(v);
  }

  /**
   * A CompactSize item count, refused when even the smallest items could not fit in the bytes left: a count
   * claiming 2^32 entries fails here, before anything is allocated for them.
   */
  count(minItemSize: number, what: string): number {
    const at = this.offset;
    const n = this.varint();
    if (n * minItemSize > this.remaining)
      throw new EncodingError(`${what} count ${n} at offset ${at} cannot fit in the ${this.remaining} bytes left`);
    return n;
  }

  take(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  varBytes(): Uint8Array {
    return this.take(this.varint());
  }
}

/** Growable writer for consensus encoding. */
export class ByteWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  u8(v: number): this {
    return this.bytes(Uint8Array.of(v & 0xff));
  }

  u32le(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.bytes(b);
  }

  i32le(v: number): this {
    return this.u32le(v >>> 0);
  }

  u64le(v: bigint): this {
    if (v < 0n || v > 0xffffffffffffffffn) throw new EncodingError('u64 out of range');
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return this.bytes(b);
  }

  varint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new EncodingError('varint out of range');
    if (n < 0xfd) return this.u8(n);
    if (n <= 0xffff) return this.u8(0xfd).bytes(Uint8Array.of(n & 0xff, n >> 8));
    if (n <= 0xffffffff) return this.u8(0xfe).u32le(n);
    return this.u8(0xff).u64le(BigInt(n));
  }

  varBytes(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return concatBytes(...this.chunks);
  }
}
