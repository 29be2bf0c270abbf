import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, EncodingError, hexToBytes, bytesToHex, sha256d } from '../src/bytes.js';

describe('bytes', () => {
  it('round-trips CompactSize at every width and rejects non-canonical forms', () => {
    for (const n of [0, 0xfc, 0xfd, 0xffff, 0x10000, 0xffffffff, 0x100000000]) {
      const enc = new ByteWriter().varint(n).finish();
      expect(new ByteReader(enc).varint()).toBe(n);
    }
    expect(() => new ByteReader(hexToBytes('fdfc00')).varint()).toThrow(EncodingError);
  });
  it('hashes the genesis header to its known hash', () => {
    const genesis =
      '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';
    expect(bytesToHex(sha256d(hexToBytes(genesis)).reverse())).toBe(
      '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    );
  });
  it('rejects bad hex and truncated reads', () => {
    expect(() => hexToBytes('abc')).toThrow(EncodingError);
    expect(() => new ByteReader(new Uint8Array(2)).u32le()).toThrow(/truncated/);
  });
});
