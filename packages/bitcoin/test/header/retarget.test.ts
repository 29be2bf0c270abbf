import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../src/bytes.js';
import { decodeHeader } from '../../src/header/codec.js';
import { bitsFromHex, bitsToHex } from '../../src/header/compact.js';
import { MAINNET, REGTEST, SIGNET, TESTNET3, TESTNET4 } from '../../src/header/networks.js';
import {
  calculateNextWorkRequired,
  childDifficultyContext,
  requiredBits,
  type DifficultyContext,
} from '../../src/header/retarget.js';
import { hasBitcoinData, readJson, type HeaderJson } from './fixtures.js';

interface EpochCase {
  height: number;
  firstBlock: HeaderJson;
  lastBlock: HeaderJson;
  nextBlock: HeaderJson;
  expectedBits: string;
}

interface CoreRetargetCase {
  name: string;
  lastRetargetTime: number;
  lastHeight: number;
  lastTime: number;
  lastBits: string;
  expectedBits: string;
}

/** The parent's difficulty context as it would be after a whole epoch of blocks at its bits. */
function parentAtEpochEnd(
  height: number,
  time: number,
  bits: number,
  epochStartTime: number,
  epochStartBits = bits,
): DifficultyContext {
  return { height, time, bits, epochStartTime, epochStartBits, lastNonMinDifficultyBits: bits };
}

describe.skipIf(!hasBitcoinData)('retarget on real data (needs ../shared/bitcoin-data)', () => {
  it('gives expectedBits, and the real next header bits, for all 413 mainnet epochs', () => {
    const cases = readJson<{ cases: EpochCase[] }>('mainnet/retarget-epochs.json').cases;
    expect(cases).toHaveLength(413);
    for (const c of cases) {
      const first = decodeHeader(hexToBytes(c.firstBlock.header));
      const last = decodeHeader(hexToBytes(c.lastBlock.header));
      const next = decodeHeader(hexToBytes(c.nextBlock.header));
      const parent = parentAtEpochEnd(c.lastBlock.height, last.time, last.bits, first.time, first.bits);
      const bits = requiredBits(parent, next.time, MAINNET);
      expect(bitsToHex(bits), `height ${c.height}`).toBe(c.expectedBits);
      expect(bits, `height ${c.height}`).toBe(next.bits);
    }
  });

  it("matches Core's CalculateNextWorkRequired cases (pow_tests.cpp)", () => {
    const cases = readJson<{ retarget: { cases: CoreRetargetCase[] } }>(
      'vectors/bitcoin-core-pow-vectors.json',
    ).retarget.cases;
    expect(cases).toHaveLength(4);
    for (const c of cases) {
      const lastBits = bitsFromHex(c.lastBits);
      const got = calculateNextWorkRequired(
        { lastBits, lastTime: c.lastTime, firstTime: c.lastRetargetTime, firstBits: lastBits },
        MAINNET,
      );
      expect(bitsToHex(got), c.name).toBe(c.expectedBits);
    }
  });

  const fixtures = readJson<{
    testnet3MinDifficultyBlock: { parent: HeaderJson; child: HeaderJson };
    testnet4FirstRetarget: {
      firstBlock: HeaderJson;
      lastBlock: HeaderJson;
      expectedBitsAtHeight2016: string;
    };
  }>('testnet/testnet-fixtures.json');

  it('testnet3: a block more than 20 minutes after its parent may drop to minimum difficulty (2132556)', () => {
    const { parent: p, child: c } = fixtures.testnet3MinDifficultyBlock;
    const parentBits = bitsFromHex(p.bits);
    const parent: DifficultyContext = {
      height: p.height,
      time: p.time,
      bits: parentBits,
      epochStartTime: p.time - 1_000_000, // not read: 2132556 is not a retarget height
      epochStartBits: parentBits,
      lastNonMinDifficultyBits: parentBits,
    };
    expect(bitsToHex(requiredBits(parent, c.time, TESTNET3))).toBe(c.bits);
    // Exactly 20 minutes later is not enough: back to the real difficulty.
    expect(bitsToHex(requiredBits(parent, p.time + 1200, TESTNET3))).toBe(p.bits);
    // Mainnet rules demand the parent's bits.
    expect(bitsToHex(requiredBits(parent, c.time, MAINNET))).toBe(p.bits);
  });

  it('testnet3: after min-difficulty blocks, walks back to the last real difficulty', () => {
    const { parent: p, child: c } = fixtures.testnet3MinDifficultyBlock;
    const parentCtx = childDifficultyContext(
      p.height,
      p.time,
      bitsFromHex(p.bits),
      {
        height: p.height - 1,
        time: p.time - 600,
        bits: bitsFromHex(p.bits),
        epochStartTime: 0,
        epochStartBits: bitsFromHex(p.bits),
        lastNonMinDifficultyBits: bitsFromHex(p.bits),
      },
      TESTNET3,
    );
    const childCtx = childDifficultyContext(c.height, c.time, bitsFromHex(c.bits), parentCtx, TESTNET3);
    expect(bitsToHex(childCtx.lastNonMinDifficultyBits)).toBe(p.bits);
    // A grandchild 10 minutes later must return to 1a00ffff, not stay at 1d00ffff.
    expect(bitsToHex(requiredBits(childCtx, c.time + 600, TESTNET3))).toBe(p.bits);
  });

  it('testnet4: the first retarget hits the 4x clamp (2016 carries 1c3fffc0)', () => {
    const { firstBlock: f, lastBlock: l, expectedBitsAtHeight2016 } = fixtures.testnet4FirstRetarget;
    const parent = parentAtEpochEnd(l.height, l.time, bitsFromHex(l.bits), f.time, bitsFromHex(f.bits));
    expect(bitsToHex(requiredBits(parent, l.time + 600, TESTNET4))).toBe(expectedBitsAtHeight2016);
  });
});

describe('retarget rules', () => {
  it("BIP94 retargets from the epoch's first block, testnet3 from its last", () => {
    // The last block of the epoch was mined at minimum difficulty; the first carries the real one.
    const parent = parentAtEpochEnd(4031, 1_000_000 + 1_209_600, 0x1d00ffff, 1_000_000, 0x1c3fffc0);
    expect(bitsToHex(requiredBits(parent, parent.time + 1, TESTNET4))).toBe('1c3fffc0');
    expect(bitsToHex(requiredBits(parent, parent.time + 1, TESTNET3))).toBe('1d00ffff');
  });
  it('clamps the timespan to a quarter and four times, and caps at powLimit', () => {
    const bits = 0x1b0404cb;
    const quick = requiredBits(parentAtEpochEnd(2015, 1000 + 1, bits, 1000), 2000, MAINNET);
    const instant = requiredBits(parentAtEpochEnd(2015, 1000 + 302400, bits, 1000), 2000, MAINNET);
    expect(quick).toBe(instant);
    const slow = requiredBits(parentAtEpochEnd(2015, 1000 + 10 * 4838400, bits, 1000), 2000, MAINNET);
    const slowest = requiredBits(parentAtEpochEnd(2015, 1000 + 4838400, bits, 1000), 2000, MAINNET);
    expect(slow).toBe(slowest);
    expect(requiredBits(parentAtEpochEnd(2015, 1000 + 4838400, 0x1d00ffff, 1000), 2000, MAINNET)).toBe(
      0x1d00ffff,
    );
    expect(
      requiredBits(parentAtEpochEnd(2015, 1000 + 4838400, SIGNET.powLimitBits, 1000), 2000, SIGNET),
    ).toBe(SIGNET.powLimitBits);
  });
  it('regtest never retargets, and between retargets bits follow the parent', () => {
    expect(requiredBits(parentAtEpochEnd(2015, 1000 + 1, 0x207fffff, 1000), 2000, REGTEST)).toBe(0x207fffff);
    expect(requiredBits(parentAtEpochEnd(2014, 5000, 0x1b0404cb, 1000), 99_999, MAINNET)).toBe(0x1b0404cb);
  });
  it('rejects malformed retarget input', () => {
    expect(() =>
      calculateNextWorkRequired({ lastBits: -1, lastTime: 0, firstTime: 0, firstBits: 0 }, MAINNET),
    ).toThrow(RangeError);
  });
});
