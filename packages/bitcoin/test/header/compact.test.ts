import { describe, expect, it } from 'vitest';
import {
  bitsFromHex,
  bitsToHex,
  decodeCompact,
  encodeCompact,
  targetFromBits,
} from '../../src/header/compact.js';
import { bitcoinData, hasBitcoinData, readJson } from './fixtures.js';

interface CompactCase {
  compact?: string;
  fromTarget?: string;
  target?: string | null;
  negative?: boolean;
  overflow?: boolean;
  reencoded?: string | null;
  reencodeWithNegativeFlag?: boolean;
}

describe.skipIf(!hasBitcoinData)(`compact bits: Core's bignum_SetCompact vectors (needs ${bitcoinData})`, () => {
  const cases = readJson<{ compact: { cases: CompactCase[] } }>('vectors/bitcoin-core-pow-vectors.json')
    .compact.cases;

  it('decodes every vector with the same target, sign and overflow flags, and re-encodes as GetCompact', () => {
    expect(cases.filter((c) => c.compact !== undefined).length).toBeGreaterThanOrEqual(19);
    for (const c of cases) {
      if (c.compact === undefined) continue;
      const decoded = decodeCompact(bitsFromHex(c.compact));
      expect(decoded.negative, c.compact).toBe(c.negative);
      expect(decoded.overflow, c.compact).toBe(c.overflow);
      if (c.overflow) continue; // Core leaves the target undefined on overflow
      expect(decoded.target, c.compact).toBe(BigInt('0x' + c.target!));
      expect(bitsToHex(encodeCompact(decoded.target, decoded.negative)), c.compact).toBe(c.reencoded);
      expect((encodeCompact(decoded.target, decoded.negative) & 0x00800000) !== 0).toBe(
        c.reencodeWithNegativeFlag,
      );
    }
  });

  it("keeps Core's quirk: with exponent ≤ 3 the sign bit is read after the shift", () => {
    expect(decodeCompact(0x00923456).negative).toBe(false);
    expect(decodeCompact(0x01803456).negative).toBe(false);
    expect(decodeCompact(0x01fedcba).negative).toBe(true);
  });

  it('never sets the sign bit when encoding a target whose top mantissa bit is set', () => {
    for (const c of cases) {
      if (c.fromTarget === undefined) continue;
      expect(bitsToHex(encodeCompact(BigInt('0x' + c.fromTarget)))).toBe(c.reencoded);
    }
  });
});

describe('compact bits', () => {
  it('round-trips every normalised bits value of the real difficulty range', () => {
    for (const bits of [0x1d00ffff, 0x1703e8b3, 0x170371b1, 0x207fffff, 0x1e0377ae, 0x1c3fffc0]) {
      const target = targetFromBits(bits)!;
      expect(encodeCompact(target)).toBe(bits);
    }
  });
  it('reports unusable targets as undefined and rejects out-of-range input', () => {
    expect(targetFromBits(0x1d80ffff)).toBeUndefined();
    expect(targetFromBits(0xff123456)).toBeUndefined();
    expect(targetFromBits(0)).toBeUndefined();
    expect(() => decodeCompact(-1)).toThrow(RangeError);
    expect(() => decodeCompact(2 ** 32)).toThrow(RangeError);
    expect(() => encodeCompact(1n << 256n)).toThrow(RangeError);
    expect(() => bitsFromHex('xyz')).toThrow(RangeError);
  });
});
