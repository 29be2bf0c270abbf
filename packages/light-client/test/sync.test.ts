import { describe, expect, it } from 'vitest';
import { HeaderChain, headerHashHex } from '@tapbridge/bitcoin';
import { HeaderStoreMismatchError, HeaderSync, InMemoryHeaderStore, reorgId } from '../src/index.js';
import { MemoryHeaderSource } from '../src/testing/index.js';
import { GENESIS, REGTEST, hashes, mainChain, mineHeaders, openSync, parentOf, unminedHeader } from './helpers.js';

describe('HeaderSync: catch-up and tip following', () => {
  it('syncs a chain from genesis in batches, storing it and announcing every header once in ascending height', async () => {
    const chain = mainChain(250);
    const source = new MemoryHeaderSource('a').setChain(chain);
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [source]);

    const round = await sync.syncOnce();
    expect(round.accepted).toBe(250);
    expect(sync.tip.height).toBe(250);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain)]);
    expect(seen.validated).toBe(250);
    expect(store.events.map((e) => e.subject)).toEqual(Array(251).fill('btc.header.connected'));
    expect(store.events.map((e) => e.payload.height)).toEqual([...Array(251).keys()]);
    expect(store.events.map((e) => e.id)).toEqual([REGTEST.genesisHash, ...hashes(chain)].map((h) => `btc.header.connected:${h}:initial`));
    // Each event links to the one before it.
    for (let i = 1; i < store.events.length; i++) expect(store.events[i]!.payload.prevHash).toBe(store.events[i - 1]!.payload.hash);
    expect(store.events.at(-1)!.payload.chainwork).toBe((251n * 2n).toString(16).padStart(64, '0'));

    // Following the tip: new blocks arrive, the next round takes exactly those.
    const more = mineHeaders(REGTEST, parentOf(chain.at(-1)!), 3);
    source.extend(more);
    expect((await sync.syncOnce()).accepted).toBe(3);
    expect((await sync.syncOnce()).accepted).toBe(0);
    expect(store.events).toHaveLength(254);
    expect(sync.status().sources[0]).toMatchObject({ name: 'a', tip: { height: 253 }, lag: 0, strikes: 0 });
  });

  it('resumes after a restart from the stored chain without gaps or repeats', async () => {
    const chain = mainChain(300);
    const source = new MemoryHeaderSource('a').setChain(chain.slice(0, 120));
    const store = new InMemoryHeaderStore();
    await (await openSync(store, [source])).sync.syncOnce();

    source.setChain(chain);
    const { sync } = await openSync(store, [source], { retainDepth: 50 });
    expect(sync.tip.height).toBe(120);
    await sync.syncOnce();
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain)]);
    const ids = store.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(301);
    expect(store.events.map((e) => e.payload.height)).toEqual([...Array(301).keys()]);

    // With a small retainDepth the stored root has moved up; a restart rebuilds from it, not from genesis.
    const again = (await openSync(store, [source], { retainDepth: 50 })).sync;
    expect(again.status().root.height).toBeGreaterThan(0);
    expect(again.tip.hash).toBe(headerHashHex(chain.at(-1)!));
  });

  it('starts from a checkpoint and refuses a store synced from another start', async () => {
    const chain = mainChain(200);
    const full = new HeaderChain('regtest');
    for (const raw of chain) full.add(raw);
    const checkpoint = full.checkpointAt(150);
    const source = new MemoryHeaderSource('a').setChain(chain);
    const store = new InMemoryHeaderStore();
    const { sync } = await openSync(store, [source], { checkpoint });
    await sync.syncOnce();
    expect(store.bestChain()).toEqual(hashes(chain.slice(149)));
    expect(store.events[0]!.payload).toMatchObject({ height: 150, hash: checkpoint.hash });

    await expect(openSync(store, [source])).rejects.toThrow(HeaderStoreMismatchError);
    await expect(openSync(store, [source], { checkpoint: full.checkpointAt(140) })).rejects.toThrow(/synced from 150\//);
    await expect(openSync(new InMemoryHeaderStore(), [source], { network: 'mainnet', checkpoint })).rejects.toThrow();
  });
});

describe('HeaderSync: reorganisations', () => {
  it('follows a source onto a heavier branch: disconnects tip first, then connects ascending, once each', async () => {
    const chain = mainChain(120);
    const source = new MemoryHeaderSource('a').setChain(chain);
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [source]);
    await sync.syncOnce();
    const before = store.events.length;

    const branch = mineHeaders(REGTEST, parentOf(chain[99]!), 23, { salt: 1 }); // heights 101…123
    source.reorgTo(100, branch);
    await sync.syncOnce();

    const events = store.events.slice(before);
    // The reorg happens when branch header 121 outweighs the old tip 120; 122 and 123 then simply extend it.
    const id = reorgId({ hash: headerHashHex(chain.at(-1)!) } as never, { hash: headerHashHex(branch[20]!) } as never);
    expect(events.map((e) => `${e.subject}@${e.payload.height}`)).toEqual([
      ...[...Array(20).keys()].map((i) => `btc.header.disconnected@${120 - i}`),
      ...[...Array(23).keys()].map((i) => `btc.header.connected@${101 + i}`),
    ]);
    expect(events.map((e) => e.payload.reorgId)).toEqual([...Array(41).fill(id), undefined, undefined]);
    expect(events.at(-1)!.id).toBe(`btc.header.connected:${headerHashHex(branch.at(-1)!)}:initial`);
    expect(events[0]!.id).toBe(`btc.header.disconnected:${headerHashHex(chain.at(-1)!)}:${id}`);
    expect(events.slice(0, 20).map((e) => e.payload.hash)).toEqual(hashes(chain.slice(100)).reverse());
    expect(events.slice(20).map((e) => e.payload.hash)).toEqual(hashes(branch));
    expect(seen.reorgs).toEqual([{ depth: 20, oldTip: headerHashHex(chain.at(-1)!), newTip: headerHashHex(branch[20]!), forkHeight: 100 }]);
    expect(seen.disagreements[0]).toMatchObject({ height: 120, source: 'a', versus: 'best-chain' });
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain.slice(0, 100)), ...hashes(branch)]);
    // The old branch is kept, off the best chain.
    expect(store.headers.get(headerHashHex(chain.at(-1)!))?.inBest).toBe(false);
  });

  it('takes a competing branch longer than a batch to its end, then reorganises to it', async () => {
    const chain = mainChain(300);
    const source = new MemoryHeaderSource('a').setChain(chain);
    const store = new InMemoryHeaderStore();
    const { sync, seen } = await openSync(store, [source], { batchSize: 64 });
    await sync.syncOnce();
    // 200 blocks deep: the branch stays lighter than our chain for three batches before it wins.
    const branch = mineHeaders(REGTEST, parentOf(chain[99]!), 201, { salt: 6 }); // heights 101…301
    source.reorgTo(100, branch);
    const round = await sync.syncOnce();
    expect(round).toMatchObject({ accepted: 201, reorgs: 1 });
    expect(seen.reorgs).toEqual([expect.objectContaining({ depth: 200, forkHeight: 100 })]);
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain.slice(0, 100)), ...hashes(branch)]);
  });

  it('resumes a branch it stored in part, after a restart, without refetching from the fork', async () => {
    const chain = mainChain(100);
    const branch = mineHeaders(REGTEST, parentOf(chain[49]!), 60, { salt: 7 }); // heights 51…110
    const source = new MemoryHeaderSource('a').setChain(chain);
    const store = new InMemoryHeaderStore();
    await (await openSync(store, [source])).sync.syncOnce();
    // The source shows 40 blocks of the branch (lighter than our chain), later all of it.
    source.reorgTo(50, branch.slice(0, 40));
    await (await openSync(store, [source])).sync.syncOnce();
    expect(store.bestChain()).toHaveLength(101);
    source.extend(branch.slice(40));
    const { sync } = await openSync(store, [source]);
    const calls = source.calls.getHeader;
    await sync.syncOnce();
    expect(source.calls.getHeader - calls).toBe(20);
    expect(sync.tip.hash).toBe(headerHashHex(branch.at(-1)!));
  });

  it('searches for the fork again when the source switches branches in the middle of a catch-up', async () => {
    const chain = mainChain(200);
    const branch = mineHeaders(REGTEST, parentOf(chain[49]!), 170, { salt: 8 }); // heights 51…220
    const source = new MemoryHeaderSource('a').setChain(chain);
    // After the first batch (64 headers), the source reorganises onto the longer branch.
    let served = 0;
    source.serveHeader = (_hash, raw) => {
      if (++served === 64) source.reorgTo(50, branch);
      return raw;
    };
    const { sync, seen } = await openSync(new InMemoryHeaderStore(), [source], { batchSize: 64, concurrency: 1 });
    await sync.syncOnce();
    // This round still aims at the height the source claimed when it began (200), now on the branch.
    expect(sync.tip.hash).toBe(headerHashHex(branch[149]!));
    await sync.syncOnce();
    expect(sync.tip.hash).toBe(headerHashHex(branch.at(-1)!));
    expect(seen.rejections).toEqual([]);
    expect(sync.status().sources[0]).toMatchObject({ strikes: 0 });
    expect(seen.reorgs).toEqual([expect.objectContaining({ forkHeight: 50, depth: 14 })]);
  });

  it('keeps a lighter branch aside and switches when it becomes heavier, with new event ids for returning headers', async () => {
    const chain = mainChain(60);
    const honest = new MemoryHeaderSource('a').setChain(chain);
    const other = new MemoryHeaderSource('b').setChain(chain.slice(0, 50)).extend(mineHeaders(REGTEST, parentOf(chain[49]!), 5, { salt: 2 }));
    const store = new InMemoryHeaderStore();
    const { sync } = await openSync(store, [honest, other]);
    await sync.syncOnce();
    expect(sync.tip.hash).toBe(headerHashHex(chain.at(-1)!));
    const side = [...store.headers.values()].filter((h) => !h.inBest);
    expect(side.map((h) => h.height).sort()).toEqual([51, 52, 53, 54, 55]);

    // A restart brings the side branch back into memory, so it can still win.
    const { sync: restarted } = await openSync(store, [other]);
    const branchTip = (await other.getTip()).hash;
    const grow = mineHeaders(REGTEST, parentOf((await other.getHeader(branchTip))), 6, { salt: 2 });
    other.extend(grow); // 61 on branch b
    await restarted.syncOnce();
    expect(restarted.tip.height).toBe(61);
    const lastDisconnect = store.events.filter((e) => e.subject === 'btc.header.disconnected');
    expect(lastDisconnect.map((e) => e.payload.height)).toEqual([60, 59, 58, 57, 56, 55, 54, 53, 52, 51]);

    // And back again: the original branch's headers reconnect under a new reorg id, never reusing the old ids.
    honest.extend(mineHeaders(REGTEST, parentOf(chain.at(-1)!), 2));
    const { sync: third } = await openSync(store, [honest]);
    await third.syncOnce();
    expect(third.tip.height).toBe(62);
    const ids = store.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const h55 = store.events.filter((e) => e.payload.hash === headerHashHex(chain[54]!)).map((e) => e.subject);
    expect(h55).toEqual(['btc.header.connected', 'btc.header.disconnected', 'btc.header.connected']);
  });

  it('gives the same event ids when a failed store write is retried after a reload', async () => {
    const chain = mainChain(80);
    const branch = mineHeaders(REGTEST, parentOf(chain[69]!), 15, { salt: 3 });
    const run = async (failOnce: boolean) => {
      const source = new MemoryHeaderSource('a').setChain(chain);
      const store = new InMemoryHeaderStore();
      const { sync } = await openSync(store, [source]);
      await sync.syncOnce();
      source.reorgTo(70, branch);
      let fail = failOnce;
      store.beforeApply = () => {
        if (fail) {
          fail = false;
          throw new Error('database went away');
        }
      };
      if (failOnce) await expect(sync.syncOnce()).rejects.toThrow('database went away');
      await sync.syncOnce();
      return store.events.map((e) => e.id);
    };
    const clean = await run(false);
    const retried = await run(true);
    expect(retried).toEqual(clean);
    expect(new Set(retried).size).toBe(retried.length);
  });
});

describe('HeaderSync: sources are data, not truth', () => {
  const bad = {
    'high-hash': (chain: Uint8Array[], liar: MemoryHeaderSource) => {
      // A consistent liar: its chain ends in a header that does not meet the target.
      liar.setChain([...chain.slice(0, 40), unminedHeader(chain[39]!)]);
    },
    'prev-blk-not-found': (chain: Uint8Array[], liar: MemoryHeaderSource) => {
      const stray = mineHeaders(REGTEST, { hash: new Uint8Array(32).fill(9), time: GENESIS.time + 50_000 }, 1)[0]!;
      liar.setChain([...chain.slice(0, 40), stray]);
    },
    'hash-mismatch': (chain: Uint8Array[], liar: MemoryHeaderSource) => {
      liar.setChain(chain);
      const swapped = headerHashHex(chain[40]!);
      liar.serveHeader = (hash, raw) => (hash === swapped ? chain[41]! : raw);
    },
    'malformed-header': (chain: Uint8Array[], liar: MemoryHeaderSource) => {
      liar.setChain(chain);
      const target = headerHashHex(chain[40]!);
      liar.serveHeader = (hash, raw) => (hash === target ? raw.subarray(0, 79) : raw);
    },
    'bad-diffbits': (chain: Uint8Array[], liar: MemoryHeaderSource) => {
      const off = mineHeaders({ ...REGTEST, powLimitBits: 0x207ffffe }, parentOf(chain[39]!), 1)[0]!;
      liar.setChain([...chain.slice(0, 40), off]);
    },
  } as const;

  for (const [rule, arrange] of Object.entries(bad)) {
    it(`rejects ${rule}, stores nothing from it, benches the liar and still follows the honest source`, async () => {
      const chain = mainChain(60);
      const liar = new MemoryHeaderSource('liar');
      arrange(chain, liar);
      const honest = new MemoryHeaderSource('honest').setChain(chain);
      const store = new InMemoryHeaderStore();
      let now = 1_000_000;
      const { sync, seen } = await openSync(store, [liar, honest], { clock: () => now, batchSize: 1000 });
      await sync.syncOnce();

      expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain)]);
      expect([...store.headers.values()].every((h) => h.inBest)).toBe(true);
      expect(seen.rejections).toHaveLength(1);
      expect(seen.rejections[0]).toMatchObject({ source: 'liar', rule, height: 41 });
      const status = sync.status().sources.find((s) => s.name === 'liar')!;
      expect(status.strikes).toBe(1);
      expect(status.lastError).toMatch(rule === 'malformed-header' ? /80 bytes/ : rule === 'hash-mismatch' ? /hashes to/ : new RegExp(rule));
      expect(status.skippedUntil).toBeGreaterThan(now);

      // Benched: the next round leaves it alone; after the back-off it is asked again.
      const callsBefore = { ...liar.calls };
      await sync.syncOnce();
      expect(liar.calls).toEqual(callsBefore);
      now += 1_001;
      await sync.syncOnce();
      expect(liar.calls.getTip).toBe(callsBefore.getTip + 1);
      expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(chain)]);
    });
  }

  it('benches a source whose chain forks below the root it can still reorganise to', async () => {
    const ours = mainChain(120);
    const theirs = mainChain(130, 9); // another chain from genesis up: forks at height 1
    const honest = new MemoryHeaderSource('honest').setChain(ours);
    const other = new MemoryHeaderSource('other').setChain(theirs);
    const store = new InMemoryHeaderStore();
    const { sync } = await openSync(store, [honest], { retainDepth: 50 });
    await sync.syncOnce();
    expect(sync.status().root.height).toBeGreaterThan(0);

    const { sync: both, seen } = await openSync(store, [honest, other], { retainDepth: 50 });
    const round = await both.syncOnce();
    expect(round.failedSources).toBe(1);
    expect(both.tip.hash).toBe(headerHashHex(ours.at(-1)!));
    expect(both.status().sources.find((s) => s.name === 'other')!.lastError).toMatch(/does not contain our root/);
    expect(seen.disagreements[0]).toMatchObject({ height: 120, source: 'other', versus: 'best-chain' });
    expect(store.bestChain()).toEqual([REGTEST.genesisHash, ...hashes(ours)]);
  });

  it('records an unreachable source and recovers when it comes back', async () => {
    const chain = mainChain(30);
    const source = new MemoryHeaderSource('flaky').setChain(chain);
    source.down = new Error('connect ECONNREFUSED 127.0.0.1:18443');
    let now = 0;
    const store = new InMemoryHeaderStore();
    const { sync } = await openSync(store, [source], { clock: () => now });
    expect(await sync.syncOnce()).toEqual({ accepted: 0, reorgs: 0, failedSources: 1 });
    expect(sync.status().sources[0]).toMatchObject({ lastError: 'connect ECONNREFUSED 127.0.0.1:18443', strikes: 1 });
    source.down = undefined;
    now += 5_000;
    expect((await sync.syncOnce()).accepted).toBe(30);
    expect(sync.status().sources[0]).toMatchObject({ strikes: 0, lag: 0 });
  });

  it('reports sources that disagree about the block at a height', async () => {
    const chain = mainChain(20);
    const a = new MemoryHeaderSource('a').setChain(chain);
    const b = new MemoryHeaderSource('b').setChain([...chain.slice(0, 19), ...mineHeaders(REGTEST, parentOf(chain[18]!), 1, { salt: 5 })]);
    const { sync, seen } = await openSync(new InMemoryHeaderStore(), [a, b]);
    await sync.syncOnce();
    expect(seen.disagreements).toContainEqual({ height: 20, source: 'a', hash: headerHashHex(chain[19]!), versus: 'b', versusHash: (await b.getTip()).hash });
    // Equal work: the first seen stays best.
    expect(sync.tip.height).toBe(20);
    // Still the same two claims next round: not reported again.
    const reported = seen.disagreements.length;
    await sync.syncOnce();
    expect(seen.disagreements).toHaveLength(reported);
  });

  it('runs as a polling loop and stops cleanly', async () => {
    const chain = mainChain(40);
    const source = new MemoryHeaderSource('a').setChain(chain.slice(0, 10));
    const store = new InMemoryHeaderStore();
    const sync = await HeaderSync.open({ network: 'regtest', store, sources: [source] });
    sync.start(10);
    source.extend(chain.slice(10));
    const deadline = Date.now() + 5_000;
    while (sync.tip.height < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sync.stop();
    expect(store.bestChain()).toHaveLength(41);
  });
});
