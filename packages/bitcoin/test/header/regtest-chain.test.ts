// HeaderChain behaviour that real data cannot reach (deep reorgs, pruning, every rule with valid proof of
// work): regtest headers mined here, which is instant at powLimit 207fffff.
import { describe, expect, it } from 'vitest';
import { hexToBytes, hexToHash } from '../../src/bytes.js';
import { decodeHeader, headerHash, headerHashHex } from '../../src/header/codec.js';
import { HeaderChain, type AddResult } from '../../src/header/chain.js';
import { HeaderRuleError } from '../../src/header/errors.js';
import { medianTimePast } from '../../src/header/mtp.js';
import { REGTEST } from '../../src/header/networks.js';
import { mine, mineChain } from './fixtures.js';

const GENESIS = {
  hash: hexToHash(REGTEST.genesisHash),
  time: decodeHeader(hexToBytes(REGTEST.genesisHeader)).time,
};
const NOW = () => GENESIS.time + 100_000_000;
const tipOf = (raw: Uint8Array) => ({ hash: headerHash(raw), time: decodeHeader(raw).time });

function addAll(chain: HeaderChain, raws: Uint8Array[]): AddResult[] {
  return raws.map((r) => chain.add(r));
}

function snapshot(chain: HeaderChain) {
  return { tip: chain.tip.hash, size: chain.size, tips: chain.tips().map((t) => t.hash) };
}

function expectRejected(chain: HeaderChain, raw: Uint8Array, rule: string): void {
  const before = snapshot(chain);
  let error: unknown;
  try {
    chain.add(raw);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HeaderRuleError);
  expect((error as HeaderRuleError).rule).toBe(rule);
  expect((error as HeaderRuleError).hash).toBe(headerHashHex(raw));
  expect(snapshot(chain)).toEqual(before);
}

describe('HeaderChain (regtest)', () => {
  it('starts at genesis with its work and connects mined headers', () => {
    const chain = new HeaderChain('regtest', { now: NOW });
    expect(chain.tip.hash).toBe(REGTEST.genesisHash);
    expect(chain.tip.chainwork).toBe(2n);
    const results = addAll(chain, mineChain(REGTEST, GENESIS, 5));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('connected'));
    expect(results.map((r) => r.entry.height)).toEqual([1, 2, 3, 4, 5]);
    expect(chain.tip.chainwork).toBe(12n);
    expect(chain.add(results[2]!.entry.raw).status).toBe('duplicate');
  });

  it('keeps an equal-work branch aside, then reorganizes when it gets ahead', () => {
    const chain = new HeaderChain(REGTEST, { now: NOW });
    const main = mineChain(REGTEST, GENESIS, 10);
    addAll(chain, main);
    const forkPoint = tipOf(main[2]!); // height 3
    const branch = mineChain(REGTEST, forkPoint, 8, { salt: 1 }); // heights 4…11
    const sideResults = addAll(chain, branch.slice(0, 7)); // up to height 10: equal work, first seen wins
    expect(sideResults.map((r) => r.status)).toEqual(Array(7).fill('side-branch'));
    expect(chain.tip.hash).toBe(headerHashHex(main[9]!));
    expect(chain.tips().map((t) => t.hash)).toEqual([headerHashHex(main[9]!), headerHashHex(branch[6]!)]);

    const reorg = chain.add(branch[7]!);
    expect(reorg.status).toBe('reorg');
    expect(reorg.disconnected.map((e) => e.height)).toEqual([10, 9, 8, 7, 6, 5, 4]);
    expect(reorg.disconnected.map((e) => e.hash)).toEqual(main.slice(3).map(headerHashHex).reverse());
    expect(reorg.connected.map((e) => e.height)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(reorg.connected.map((e) => e.hash)).toEqual(branch.map(headerHashHex));
    expect(chain.atHeight(5)?.hash).toBe(headerHashHex(branch[1]!));
    expect(chain.atHeight(3)?.hash).toBe(headerHashHex(main[2]!));
    expect(chain.isOnBestChain(headerHashHex(main[5]!))).toBe(false);

    // The old branch can come back: two more blocks on it make it heavier again.
    const revival = mineChain(REGTEST, tipOf(main[9]!), 2, { salt: 2 });
    expect(chain.add(revival[0]!).status).toBe('side-branch');
    const back = chain.add(revival[1]!);
    expect(back.status).toBe('reorg');
    expect(back.disconnected).toHaveLength(8);
    expect(back.connected.map((e) => e.height)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  describe('rejects, with the rule Core names, headers that have valid proof of work', () => {
    const chain = new HeaderChain(REGTEST, { now: NOW });
    const main = mineChain(REGTEST, GENESIS, 12);
    addAll(chain, main);
    const parent = decodeHeader(main[11]!);
    const fields = {
      version: 4,
      prevHash: headerHash(main[11]!),
      merkleRoot: new Uint8Array(32),
      time: parent.time + 600,
      bits: 0x207fffff,
    };
    const mtp = medianTimePast(main.slice(1).map((r) => decodeHeader(r).time));

    it('timestamp equal to median time past → time-too-old; one second later is fine', () => {
      expect(chain.medianTimePast()).toBe(mtp);
      expectRejected(chain, mine(REGTEST, { ...fields, time: mtp }), 'time-too-old');
      const ok = new HeaderChain(REGTEST, { now: NOW, checkpoint: chain.checkpointAt(12) });
      expect(ok.add(mine(REGTEST, { ...fields, time: mtp + 1 })).status).toBe('connected');
    });
    it('more than two hours ahead of the clock → time-too-new', () => {
      const clocked = new HeaderChain(REGTEST, {
        now: () => fields.time - 7201,
        checkpoint: chain.checkpointAt(12),
      });
      expectRejected(clocked, mine(REGTEST, fields), 'time-too-new');
    });
    it('bits other than required → bad-diffbits', () => {
      expectRejected(chain, mine(REGTEST, { ...fields, bits: 0x207ffffe }), 'bad-diffbits');
    });
    it('version 3 after BIP65 → bad-version', () => {
      expectRejected(chain, mine(REGTEST, { ...fields, version: 3 }), 'bad-version');
      expectRejected(chain, mine(REGTEST, { ...fields, version: -1 }), 'bad-version');
    });
    it('unknown parent → prev-blk-not-found', () => {
      expectRejected(
        chain,
        mine(REGTEST, { ...fields, prevHash: new Uint8Array(32).fill(7) }),
        'prev-blk-not-found',
      );
    });
    it('bits above powLimit → bad-target before anything else', () => {
      const raw = new Uint8Array(mine(REGTEST, fields));
      raw.set([0xff, 0xff, 0xff, 0x21], 72); // bits 21ffffff: overflows the regtest limit
      expectRejected(chain, raw, 'bad-target');
    });
  });

  it('BIP94 (regtest -test=bip94): an epoch start may not be more than 600 s before its parent', () => {
    const bip94 = { ...REGTEST, enforceBIP94: true };
    const headers = mineChain(bip94, GENESIS, 2015, { spacing: 200 });
    const make = (params: typeof REGTEST) => {
      const chain = new HeaderChain(params, { now: NOW });
      addAll(chain, headers);
      return chain;
    };
    const parentTime = decodeHeader(headers[2014]!).time;
    const base = {
      version: 4,
      prevHash: headerHash(headers[2014]!),
      merkleRoot: new Uint8Array(32),
      bits: 0x207fffff,
    };
    const warped = mine(bip94, { ...base, time: parentTime - 601 });
    const chain = make(bip94);
    expectRejected(chain, warped, 'time-timewarp-attack');
    expect(chain.add(mine(bip94, { ...base, time: parentTime - 600 })).entry.height).toBe(2016);
    // Without BIP94 the same header only has to beat median time past.
    expect(make(REGTEST).add(warped).status).toBe('connected');
  });

  it('prunes below the retain depth, keeps the rules working across the cut, and restarts from a checkpoint', () => {
    const retainDepth = 20;
    const chain = new HeaderChain(REGTEST, { now: NOW, retainDepth });
    const main = mineChain(REGTEST, GENESIS, 200);
    const times = [GENESIS.time, ...main.map((r) => decodeHeader(r).time)];
    const oldFork = mineChain(REGTEST, tipOf(main[49]!), 3, { salt: 5 }); // forks at height 50
    const newFork = mineChain(REGTEST, tipOf(main[184]!), 2, { salt: 6 }); // forks at height 185
    for (let i = 0; i < main.length; i++) {
      chain.add(main[i]!);
      if (i === 60) addAll(chain, oldFork);
      if (i === 190) addAll(chain, newFork);
      // Memory stays bounded: retainDepth plus the batch slack, plus the side branch.
      expect(chain.size).toBeLessThanOrEqual(retainDepth + 16 + 1 + 3);
    }
    const root = chain.root;
    expect(root.height).toBeGreaterThanOrEqual(200 - retainDepth - 16);
    expect(root.height).toBeLessThanOrEqual(200 - retainDepth);
    expect(chain.atHeight(root.height - 1)).toBeUndefined();
    expect(chain.atHeight(10)).toBeUndefined();
    expect(chain.get(headerHashHex(oldFork[2]!))).toBeUndefined();
    expect(chain.get(headerHashHex(newFork[1]!))?.height).toBe(187);
    expect(chain.tips().map((t) => t.hash)).toEqual([headerHashHex(main[199]!), headerHashHex(newFork[1]!)]);

    // Median time past at the root still sees the ten pruned ancestors.
    const rootMtp = medianTimePast(times.slice(root.height - 10, root.height + 1));
    expect(chain.medianTimePast(root.hash)).toBe(rootMtp);
    const rootFork = {
      version: 4,
      prevHash: hexToHash(root.hash),
      merkleRoot: new Uint8Array(32).fill(9),
      bits: 0x207fffff,
    };
    expectRejected(chain, mine(REGTEST, { ...rootFork, time: rootMtp }), 'time-too-old');
    expect(chain.add(mine(REGTEST, { ...rootFork, time: rootMtp + 1 })).status).toBe('side-branch');
    // A header building on a pruned block has no known parent any more.
    expectRejected(chain, mineChain(REGTEST, tipOf(main[99]!), 1, { salt: 7 })[0]!, 'prev-blk-not-found');

    // Restart: a checkpoint from the chain plus the best-chain headers above it rebuild the same tip.
    const cp = chain.checkpointAt(root.height + 5);
    const restarted = new HeaderChain(REGTEST, { now: NOW, checkpoint: cp });
    addAll(restarted, main.slice(root.height + 5));
    expect(restarted.tip.hash).toBe(chain.tip.hash);
    expect(restarted.tip.chainwork).toBe(chain.tip.chainwork);
    expect(restarted.medianTimePast()).toBe(chain.medianTimePast());
  });

  it('gives a block locator as Core: eleven hashes back from the tip, then doubling steps, ending at the root', () => {
    const chain = new HeaderChain(REGTEST, { now: NOW });
    const main = mineChain(REGTEST, GENESIS, 40);
    addAll(chain, main);
    const heights = chain.locator().map((hash) => chain.get(hash)!.height);
    expect(heights).toEqual([40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 27, 23, 15, 0]);
    expect(new HeaderChain(REGTEST).locator()).toEqual([REGTEST.genesisHash]);
  });

  it('keeps its own copy of each header, so a caller may reuse its buffer', () => {
    const chain = new HeaderChain(REGTEST, { now: NOW });
    const main = mineChain(REGTEST, GENESIS, 3);
    const buffer = new Uint8Array(80);
    for (const raw of main) {
      buffer.set(raw);
      chain.add(buffer);
    }
    buffer.fill(0);
    for (let h = 1; h <= 3; h++) {
      const entry = chain.atHeight(h)!;
      expect(entry.raw).toEqual(main[h - 1]);
      expect(entry.header).toEqual(decodeHeader(main[h - 1]!));
    }
  });

  it('validates its options', () => {
    expect(() => new HeaderChain(REGTEST, { retainDepth: 0 })).toThrow(RangeError);
    expect(() => new HeaderChain('regtest').add(new Uint8Array(79))).toThrow(/80 bytes/);
  });
});
