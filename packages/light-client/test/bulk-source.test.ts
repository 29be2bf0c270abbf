// Catch-up through a source's bulk read (getHeaderRange: batched Core RPC, Esplora pages): the same chain as the
// per-height path, and a bulk answer that lies is refused by validation, never stored.
import { describe, expect, it } from 'vitest';
import { InMemoryHeaderStore } from '../src/index.js';
import type { HeaderSource } from '../src/index.js';
import { MemoryHeaderSource } from '../src/testing/index.js';
import { REGTEST, hashes, mainChain, mineHeaders, openSync, parentOf, unminedHeader } from './helpers.js';

/** A MemoryHeaderSource with a bulk read, which `lie` may rewrite. */
function bulk(inner: MemoryHeaderSource, lie?: (from: number, raws: Uint8Array[]) => Uint8Array[]): HeaderSource & { ranges: Array<[number, number]> } {
  const ranges: Array<[number, number]> = [];
  return {
    name: inner.name,
    ranges,
    getTip: () => inner.getTip(),
    getBlockHash: (h) => inner.getBlockHash(h),
    getHeader: (h) => inner.getHeader(h),
    async getHeaderRange(from, count) {
      ranges.push([from, count]);
      const raws: Uint8Array[] = [];
      for (let h = from; h < from + count; h++) raws.push(await inner.getHeader(await inner.getBlockHash(h)));
      return lie ? lie(from, raws) : raws;
    },
  };
}

describe('HeaderSync over a bulk source', () => {
  it('takes consecutive ranges (the next one fetched ahead) and stores the same chain as the per-height path', async () => {
    const chain = mainChain(300);
    const inner = new MemoryHeaderSource('bulk').setChain(chain);
    const source = bulk(inner);
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [source]);
    expect((await sync.syncOnce()).accepted).toBe(300);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain)]);
    expect(store.events.map((e) => e.payload.height)).toEqual([...Array(301).keys()]);
    expect(source.ranges).toEqual([[1, 64], [65, 64], [129, 64], [193, 64], [257, 44]]);
    // Hashes only for the fork search; no header is asked one by one.
    expect(inner.calls.getHeader).toBe(300);
    expect(seen.rejections).toEqual([]);
  });

  it('refuses an answer with the wrong number of headers or a header that is not 80 bytes, storing nothing of it', async () => {
    for (const lie of [(_f: number, r: Uint8Array[]) => r.slice(1), (_f: number, r: Uint8Array[]) => r.map((x, i) => (i === 5 ? x.subarray(0, 79) : x))]) {
      const source = bulk(new MemoryHeaderSource('liar').setChain(mainChain(100)), lie);
      const store = new InMemoryHeaderStore();
      const { sync, seen } = await openSync(store, [source]);
      const round = await sync.syncOnce();
      expect(round).toMatchObject({ accepted: 0, failedSources: 1 });
      expect(seen.rejections[0]).toMatchObject({ source: 'liar', rule: 'malformed-header' });
      expect(store.bestChain()).toEqual([REGTEST.genesisHash]);
      expect(sync.status().sources[0]!.strikes).toBe(1);
    }
  });

  it('refuses a header that breaks the rules in the middle of a range: those before it are kept, it and the rest are not', async () => {
    const chain = mainChain(40);
    const forged = unminedHeader(chain[19]!);
    const source = bulk(new MemoryHeaderSource('liar').setChain(chain), (from, raws) => raws.map((r, i) => (from + i === 21 ? forged : r)));
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [source]);
    // The round that ends in a rejection counts the source as failed; the headers before the bad one are stored.
    expect(await sync.syncOnce()).toMatchObject({ failedSources: 1 });
    expect(seen.rejections).toEqual([expect.objectContaining({ source: 'liar', rule: 'high-hash', height: 21 })]);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain.slice(0, 20))]);
  });

  it('refuses headers of other heights (a shifted range): they do not link, and after the fork searches the source is blamed', async () => {
    const chain = mainChain(100);
    const source = bulk(new MemoryHeaderSource('liar').setChain(chain), (from, raws) => raws.map((_r, i) => chain[Math.min(chain.length - 1, from + i)]!));
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [source]);
    expect(await sync.syncOnce()).toMatchObject({ accepted: 0, failedSources: 1 });
    expect(seen.rejections).toEqual([expect.objectContaining({ source: 'liar', rule: 'prev-blk-not-found' })]);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash]);
  });

  it('blames a source whose range ends at its tip height on another header than the tip it named, after the fork searches', async () => {
    // Its tip and hash-at-height name a forged header at 30; its bulk pages serve the real one there (already ours).
    const chain = mainChain(40);
    const honest = new MemoryHeaderSource('honest').setChain(chain);
    const forged = unminedHeader(chain[28]!);
    const forgedHash = hashes([forged])[0]!;
    const inner = new MemoryHeaderSource('liar').setChain(chain.slice(0, 30));
    const liar: HeaderSource = {
      ...bulk(inner),
      getTip: async () => ({ height: 30, hash: forgedHash }),
      getBlockHash: async (h) => (h === 30 ? forgedHash : inner.getBlockHash(h)),
    };
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [honest, liar]);
    expect(await sync.syncOnce()).toMatchObject({ accepted: 40, failedSources: 1 });
    expect(seen.rejections).toEqual([expect.objectContaining({ source: 'liar', rule: 'hash-mismatch', height: 30, hash: forgedHash })]);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain)]);
  });

  it('follows a source that reorganises between two ranges onto its new branch', async () => {
    const chain = mainChain(150);
    const inner = new MemoryHeaderSource('moving').setChain(chain);
    const branch = mineHeaders(REGTEST, parentOf(chain[49]!), 130, { salt: 9 });
    let switched = false;
    const source = bulk(inner, (from, raws) => {
      // After the first range is served, the source moves to a heavier branch forking at 50.
      if (!switched && from === 1) {
        switched = true;
        inner.reorgTo(50, branch);
      }
      return raws;
    });
    const store = new InMemoryHeaderStore();
    const { sync } = await openSync(store, [source]);
    for (let i = 0; i < 5 && sync.tip.height < 180; i++) await sync.syncOnce();
    expect(sync.tip.height).toBe(180);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain.slice(0, 50)), ...hashes(branch)]);
  });
});
