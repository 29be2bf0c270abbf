// HeaderChain on real mainnet headers 822528…830592: sync from a checkpoint, four retargets, chainwork,
// tampering caught by the right rule, and the real one-block forks of stale-headers.json.
import { describe, expect, it } from 'vitest';
import { hashToHex, hexToBytes } from '../../src/bytes.js';
import { decodeHeader, encodeHeader, headerHash, headerHashHex } from '../../src/header/codec.js';
import { bitsToHex } from '../../src/header/compact.js';
import { HeaderChain } from '../../src/header/chain.js';
import { checkpointFromHeaders, type Checkpoint } from '../../src/header/checkpoint.js';
import { HeaderRuleError } from '../../src/header/errors.js';
import { MAINNET } from '../../src/header/networks.js';
import { chainworkFromHex } from '../../src/header/work.js';
import { MAINNET_FILE, MAINNET_FIRST_HEIGHT, hasBitcoinData, readHeaderLines, readJson } from './fixtures.js';

interface StaleJson {
  height: number;
  hash: string;
  header: string;
  mainChainHashAtHeight: string;
  mainChainHeaderAtHeight: string;
}

// After the last header (2024-02-…); the real headers are all in the past of this clock.
const NOW = () => 1_800_000_000;

function expectRule(fn: () => unknown, rule: string, height?: number): HeaderRuleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HeaderRuleError);
    const err = e as HeaderRuleError;
    expect(err.rule).toBe(rule);
    if (height !== undefined) expect(err.height).toBe(height);
    return err;
  }
  throw new Error(`expected ${rule}`);
}

describe.skipIf(!hasBitcoinData)('HeaderChain on real mainnet headers (needs ../shared/bitcoin-data)', () => {
  const headers = readHeaderLines(MAINNET_FILE);
  const chainwork = readJson<{ chainwork: Record<string, string> }>('mainnet/chainwork.json').chainwork;
  const stale = readJson<{ stale: StaleJson[] }>('mainnet/stale-headers.json').stale;
  const heightOf = (i: number) => MAINNET_FIRST_HEIGHT + i;
  const { checkpoint, trusted } = checkpointFromHeaders(
    headers,
    MAINNET_FIRST_HEIGHT,
    chainworkFromHex(chainwork[MAINNET_FIRST_HEIGHT]!),
    MAINNET,
  );

  function chainTo(lastIndex: number, cp: Checkpoint = checkpoint): HeaderChain {
    const chain = new HeaderChain(MAINNET, { checkpoint: cp, now: NOW });
    for (let i = cp.height - MAINNET_FIRST_HEIGHT + 1; i <= lastIndex; i++) chain.add(headers[i]!);
    return chain;
  }

  it('derives the checkpoint from the first 11 headers (822528 starts an epoch)', () => {
    expect(trusted).toBe(11);
    expect(checkpoint.height).toBe(822538);
    expect(checkpoint.hash).toBe(headerHashHex(headers[10]!));
    expect(checkpoint.prevTimestamps).toEqual(headers.slice(0, 10).map((h) => decodeHeader(h).time));
    expect(checkpoint.epochStart).toEqual({ time: decodeHeader(headers[0]!).time, bits: 0x1703e8b3 });
  });

  it('validates all 8065 headers, through the four retargets, to the real tip and chainwork', () => {
    const chain = new HeaderChain(MAINNET, { checkpoint, now: NOW });
    for (let i = trusted; i < headers.length; i++) {
      const result = chain.add(headers[i]!);
      expect(result.status).toBe('connected');
    }
    expect(chain.height).toBe(830592);
    expect(chain.tip.hash).toBe('00000000000000000000506183a8b30fa3224b85e82a70416e1d594bdb632fdb');
    expect(chain.atHeight(830000)?.hash).toBe(
      '000000000000000000011d55599ed27d7efca05f5849b755319c89eb2cffbc1f',
    );
    const retargets: Record<number, string> = {
      824544: '1703d869',
      826560: '1704005a',
      828576: '1703ba5d',
      830592: '170371b1',
    };
    for (const [height, bits] of Object.entries(retargets)) {
      expect(bitsToHex(chain.atHeight(Number(height))!.header.bits)).toBe(bits);
      expect(chain.atHeight(Number(height) - 1)!.header.bits).not.toBe(
        chain.atHeight(Number(height))!.header.bits,
      );
    }
    let compared = 0;
    for (const [height, hex] of Object.entries(chainwork)) {
      const entry = chain.atHeight(Number(height));
      if (!entry) continue;
      expect(entry.chainwork, `chainwork at ${height}`).toBe(chainworkFromHex(hex));
      compared++;
    }
    expect(compared).toBe(8); // 824543/4, 826559/60, 828575/6, 830591/2
  });

  it('restarts from a checkpoint taken from the chain plus the stored headers above it', () => {
    const chain = chainTo(headers.length - 1);
    const saved = chain.checkpointAt(826000);
    // Carried forward from the epoch start at 824544, not stored per block.
    expect(saved.epochStart).toEqual({
      time: decodeHeader(headers[824544 - MAINNET_FIRST_HEIGHT]!).time,
      bits: 0x1703d869,
    });
    expect(saved.prevTimestamps).toEqual(
      headers
        .slice(826000 - MAINNET_FIRST_HEIGHT - 10, 826000 - MAINNET_FIRST_HEIGHT)
        .map((h) => decodeHeader(h).time),
    );
    const restarted = chainTo(headers.length - 1, saved);
    expect(restarted.tip.hash).toBe(chain.tip.hash);
    expect(restarted.tip.chainwork).toBe(chain.tip.chainwork);
    expect(restarted.root.height).toBe(826000);
  });

  describe('tampering is caught by the right rule and leaves the chain untouched', () => {
    const base = chainTo(1000); // tip 823528
    const next = headers[1001]!;
    const nextHeight = heightOf(1001);

    it('changed nonce → high-hash', () => {
      const h = decodeHeader(next);
      const tampered = encodeHeader({ ...h, nonce: (h.nonce + 1) >>> 0 });
      const err = expectRule(() => base.add(tampered), 'high-hash', nextHeight);
      expect(err.hash).toBe(headerHashHex(tampered));
      expect(base.height).toBe(heightOf(1000));
    });

    it('a header whose parent is missing → prev-blk-not-found', () => {
      const size = base.size;
      expectRule(() => base.add(headers[1002]!), 'prev-blk-not-found');
      expect(base.size).toBe(size);
    });

    it('far future → time-too-new (the real header, with a clock set before it)', () => {
      const time = decodeHeader(next).time;
      const early = chainTo(1000);
      const skewed = new HeaderChain(MAINNET, {
        checkpoint: early.checkpointAt(heightOf(1000)),
        now: () => time - 7201,
      });
      expectRule(() => skewed.add(next), 'time-too-new', nextHeight);
      const exact = new HeaderChain(MAINNET, {
        checkpoint: early.checkpointAt(heightOf(1000)),
        now: () => time - 7200,
      });
      expect(exact.add(next).status).toBe('connected');
    });

    it('a retarget off by one unit → bad-diffbits (checkpoint with a shifted epoch start)', () => {
      // 824544 carries 1703d869. Shift the epoch start time so that the required bits differ by one unit.
      const retargetIndex = 824544 - MAINNET_FIRST_HEIGHT;
      const upToLast = chainTo(retargetIndex - 1);
      const real = upToLast.checkpointAt(824543);
      let found = 0;
      for (let shift = -40; shift <= 40 && found < 2; shift++) {
        const cp = { ...real, epochStart: { ...real.epochStart!, time: real.epochStart!.time + shift } };
        const chain = new HeaderChain(MAINNET, { checkpoint: cp, now: NOW });
        try {
          chain.add(headers[retargetIndex]!);
          continue;
        } catch (e) {
          const err = e as HeaderRuleError;
          expect(err.rule).toBe('bad-diffbits');
          const required = Number.parseInt(/required ([0-9a-f]{8})/.exec(err.message)![1]!, 16);
          if (Math.abs(required - 0x1703d869) === 1) found++;
          expect(chain.height).toBe(824543);
        }
      }
      expect(found).toBeGreaterThan(0);
      expect(upToLast.add(headers[retargetIndex]!).status).toBe('connected');
    });

    it('mainnet rules reject a real testnet3 min-difficulty header → bad-diffbits', () => {
      const fx = readJson<{
        testnet3MinDifficultyBlock: { parent: { header: string }; child: { header: string } };
      }>('testnet/testnet-fixtures.json').testnet3MinDifficultyBlock;
      const parentRaw = hexToBytes(fx.parent.header);
      const parent = decodeHeader(parentRaw);
      const cp: Checkpoint = {
        height: 2132555,
        hash: headerHashHex(parentRaw),
        header: fx.parent.header,
        chainwork: 1n << 80n,
        // The fixture has no earlier headers; these times only feed median time past and are all earlier.
        prevTimestamps: Array.from({ length: 10 }, (_, i) => parent.time - 6000 + i * 600),
        epochStart: { time: parent.time - 1_000_000, bits: parent.bits },
      };
      const asMainnet = new HeaderChain(MAINNET, { checkpoint: cp, now: NOW });
      expectRule(() => asMainnet.add(hexToBytes(fx.child.header)), 'bad-diffbits', 2132556);
      const asTestnet = new HeaderChain('testnet3', { checkpoint: cp, now: NOW });
      expect(asTestnet.add(hexToBytes(fx.child.header)).status).toBe('connected');
    });
  });

  it("real stale blocks: first seen wins ties, and the winner's child reorganizes", () => {
    expect(stale).toHaveLength(11);
    const chain = new HeaderChain(MAINNET, { checkpoint, now: NOW });
    const staleAt = new Map(stale.map((s) => [s.height, s]));
    let staleFirst = true;
    for (let i = trusted; i < headers.length; i++) {
      const s = staleAt.get(heightOf(i));
      if (!s) {
        chain.add(headers[i]!);
        continue;
      }
      expect(headerHashHex(hexToBytes(s.header))).toBe(s.hash);
      expect(hashToHex(headerHash(headers[i]!))).toBe(s.mainChainHashAtHeight);
      if (staleFirst) {
        // The stale block arrives first: it is the tip until the real winner gets a child.
        expect(chain.add(hexToBytes(s.header)).status).toBe('connected');
        const winner = chain.add(headers[i]!);
        expect(winner.status).toBe('side-branch');
        expect(chain.tip.hash).toBe(s.hash);
        const tips = chain.tips().map((t) => t.hash);
        expect(tips[0]).toBe(s.hash);
        expect(tips).toContain(s.mainChainHashAtHeight);
        const child = chain.add(headers[i + 1]!);
        expect(child.status).toBe('reorg');
        expect(child.disconnected.map((e) => e.hash)).toEqual([s.hash]);
        expect(child.connected.map((e) => [e.height, e.hash])).toEqual([
          [s.height, s.mainChainHashAtHeight],
          [s.height + 1, headerHashHex(headers[i + 1]!)],
        ]);
        i++;
      } else {
        expect(chain.add(headers[i]!).status).toBe('connected');
        const late = chain.add(hexToBytes(s.header));
        expect(late.status).toBe('side-branch');
        expect(late.entry.height).toBe(s.height);
        expect(chain.isOnBestChain(s.hash)).toBe(false);
        expect(chain.add(hexToBytes(s.header)).status).toBe('duplicate');
      }
      staleFirst = !staleFirst;
    }
    expect(chain.tip.hash).toBe('00000000000000000000506183a8b30fa3224b85e82a70416e1d594bdb632fdb');
    expect(chain.tip.chainwork).toBe(chainworkFromHex(chainwork['830592']!));
    // Every stale block, disconnected or seen second, remains a side tip (all within the default retain depth).
    expect(chain.tips()).toHaveLength(1 + stale.length);
    for (const s of stale) expect(chain.get(s.hash)?.height).toBe(s.height);
  });
});
