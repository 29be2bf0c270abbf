// validateHeader as a pure function, on real mainnet headers with contexts built from the data.
import { describe, expect, it } from 'vitest';
import { decodeHeader, headerHash } from '../../src/header/codec.js';
import { HeaderRuleError } from '../../src/header/errors.js';
import { medianTimePast } from '../../src/header/mtp.js';
import { MAINNET } from '../../src/header/networks.js';
import { validateHeader, type HeaderContext } from '../../src/header/validate.js';
import { MAINNET_FILE, MAINNET_FIRST_HEIGHT, hasBitcoinData, readHeaderLines } from './fixtures.js';

describe.skipIf(!hasBitcoinData)('validateHeader on real mainnet headers (needs ../shared/bitcoin-data)', () => {
  const headers = readHeaderLines(MAINNET_FILE);
  const decoded = headers.map(decodeHeader);
  const epochStart = decoded[0]!; // 822528 starts an epoch

  /** Context for the header at index i, everything taken from the data. */
  function contextFor(i: number, now = 1_800_000_000): HeaderContext {
    const p = decoded[i - 1]!;
    return {
      params: MAINNET,
      parent: {
        height: MAINNET_FIRST_HEIGHT + i - 1,
        hash: headerHash(headers[i - 1]!),
        time: p.time,
        bits: p.bits,
        epochStartTime: epochStart.time,
        epochStartBits: epochStart.bits,
        lastNonMinDifficultyBits: p.bits,
      },
      recentTimes: decoded.slice(Math.max(0, i - 11), i).map((h) => h.time),
      now,
    };
  }

  it('accepts every header of the first epoch, including the retarget at 824544', () => {
    for (let i = 11; i <= 2016; i++) expect(() => validateHeader(decoded[i]!, contextFor(i))).not.toThrow();
  });

  it('every real timestamp is after the median of the 11 before it', () => {
    for (let i = 11; i < headers.length; i++)
      expect(decoded[i]!.time).toBeGreaterThan(medianTimePast(decoded.slice(i - 11, i).map((h) => h.time)));
  });

  it('names the broken rule, the height and the display hash', () => {
    const ctx = contextFor(100);
    const wrongParent = { ...ctx, parent: { ...ctx.parent, hash: headerHash(headers[98]!) } };
    let err: HeaderRuleError | undefined;
    try {
      validateHeader(decoded[100]!, wrongParent);
    } catch (e) {
      err = e as HeaderRuleError;
    }
    expect(err).toBeInstanceOf(HeaderRuleError);
    expect(err!.rule).toBe('prev-blk-not-found');
    expect(err!.height).toBe(MAINNET_FIRST_HEIGHT + 100);
    expect(err!.hash).toBe(Buffer.from(headerHash(headers[100]!)).reverse().toString('hex'));
    expect(err!.message).toMatch(/^prev-blk-not-found at height 822628 \(0{18}/);

    const recentTimes = Array(11).fill(decoded[100]!.time);
    expect(() => validateHeader(decoded[100]!, { ...ctx, recentTimes })).toThrow(/time-too-old/);
    expect(() => validateHeader(decoded[100]!, { ...ctx, now: decoded[100]!.time - 7201 })).toThrow(
      /time-too-new/,
    );
    expect(() => validateHeader({ ...decoded[100]!, nonce: 0 }, ctx)).toThrow(/high-hash/);
  });

  it('rejects a malformed context', () => {
    const ctx = contextFor(100);
    expect(() => validateHeader(decoded[100]!, { ...ctx, recentTimes: [] })).toThrow(RangeError);
    expect(() => validateHeader(decoded[100]!, { ...ctx, recentTimes: ctx.recentTimes.slice(1) })).toThrow(
      RangeError,
    );
    expect(() =>
      validateHeader(decoded[100]!, { ...ctx, parent: { ...ctx.parent, hash: new Uint8Array(31) } }),
    ).toThrow(RangeError);
  });
});

describe('medianTimePast', () => {
  it('takes the middle of the sorted window as Core, fewer than 11 near genesis', () => {
    expect(medianTimePast([5, 1, 4, 2, 3, 11, 10, 9, 8, 7, 6])).toBe(6);
    expect(medianTimePast([10, 20])).toBe(20);
    expect(medianTimePast([7])).toBe(7);
    expect(() => medianTimePast([])).toThrow(RangeError);
    expect(() => medianTimePast(Array(12).fill(1))).toThrow(RangeError);
  });
});
