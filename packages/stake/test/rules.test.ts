import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../testing/src/fuzz.js';
import {
  admitHeldDeposits, admitNewDeposit, bookCapacity, capacityOf, collateralStake, epochOfHeight, medianLow, parsePriceResponse, PriceFeedError,
  releasableUnbondings, selectEpochSet, StakeRuleError, stakeValueSats, thresholdFor, updatePrice, usablePrice, type EpochConfig, type PriceFeedConfig,
} from '../src/index.js';
import { address, bookArb } from './arbitraries.js';

const feed: PriceFeedConfig = { minSources: 3, maxAgeMs: 60_000, maxChangeBps: 1_000 };
const obs = (source: string, satsPerToken: bigint, observedAt: number) => ({ source, satsPerToken, observedAt });
const TOKEN = 10n ** 18n;

describe('price feed', () => {
  it('publishes the median of three fresh sources, and a single liar cannot move it', () => {
    const u = updatePrice(feed, null, [obs('a', 1_000n, 0), obs('b', 1_010n, 0), obs('c', 999_999n, 0)], 1_000);
    expect(u).toEqual({ status: 'ok', clamped: false, price: { satsPerToken: 1_010n, at: 1_000, median: 1_010n, sources: 3 } });
  });

  it('freezes with fewer than three fresh sources and never falls back to the old price', () => {
    const prev = { satsPerToken: 1_000n, at: 0, median: 1_000n, sources: 3 };
    const u = updatePrice(feed, prev, [obs('a', 1_000n, 0), obs('b', 1_000n, 0), obs('c', 1_000n, -70_000), obs('a', 5n, -1)], 1_000);
    expect(u).toMatchObject({ status: 'frozen', fresh: 2 });
    expect(usablePrice(feed, prev, 59_000)).toBe(1_000n);
    expect(usablePrice(feed, prev, 61_000)).toBeNull();
    expect(usablePrice(feed, null, 0)).toBeNull();
  });

  it('moves at most maxChangeBps per update; capacity uses the lower of clamped and median', () => {
    const prev = { satsPerToken: 1_000n, at: 0, median: 1_000n, sources: 3 };
    const up = updatePrice(feed, prev, [obs('a', 2_000n, 0), obs('b', 2_000n, 0), obs('c', 2_000n, 0)], 1);
    expect(up).toMatchObject({ status: 'ok', clamped: true, price: { satsPerToken: 1_100n, median: 2_000n } });
    const down = updatePrice(feed, prev, [obs('a', 500n, 0), obs('b', 500n, 0), obs('c', 500n, 0)], 1);
    expect(down).toMatchObject({ status: 'ok', clamped: true, price: { satsPerToken: 900n, median: 500n } });
    if (down.status === 'ok') expect(usablePrice(feed, down.price, 1)).toBe(500n);
  });

  it('property: an accepted price lies within the fresh sources and within the change bound of the previous one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ source: fc.constantFrom('a', 'b', 'c', 'd', 'e'), satsPerToken: fc.bigInt({ min: -5n, max: 10n ** 12n }), observedAt: fc.integer({ min: -200_000, max: 200_000 }) }), { maxLength: 12 }),
        fc.option(fc.bigInt({ min: 1n, max: 10n ** 12n })),
        (observations, prevPrice) => {
          const prev = prevPrice === null ? null : { satsPerToken: prevPrice, at: 0, median: prevPrice, sources: 3 };
          const u = updatePrice(feed, prev, observations, 0);
          const fresh = observations.filter((o) => o.satsPerToken > 0n && Math.abs(o.observedAt) <= feed.maxAgeMs);
          if (new Set(fresh.map((o) => o.source)).size < 3) return u.status === 'frozen';
          if (u.status !== 'ok') return false;
          const values = fresh.map((o) => o.satsPerToken);
          const [lo, hi] = [values.reduce((a, b) => (a < b ? a : b)), values.reduce((a, b) => (a > b ? a : b))];
          if (u.price.median < lo || u.price.median > hi) return false;
          if (prev === null) return u.price.satsPerToken === u.price.median;
          const bound = (prev.satsPerToken * 1_000n) / 10_000n;
          const moved = u.price.satsPerToken - prev.satsPerToken;
          return (moved < 0n ? -moved : moved) <= bound || u.price.satsPerToken === 1n;
        },
      ),
      fuzzParams(500),
    );
  }, FUZZ_TIMEOUT_MS);

  it('reads prices from source JSON and refuses anything unusable by name', () => {
    expect(parsePriceResponse('s1', { data: { price: '1234.99' } }, 'data.price', 5)).toEqual({ source: 's1', satsPerToken: 1234n, observedAt: 5 });
    expect(parsePriceResponse('s1', { p: 77, t: 1_700_000_000 }, 'p', 5, 't').observedAt).toBe(1_700_000_000_000);
    expect(() => parsePriceResponse('s1', { p: '-1' }, 'p', 0)).toThrow(PriceFeedError);
    expect(() => parsePriceResponse('s1', { p: 0 }, 'p', 0)).toThrow(/at least 1 sat/);
    expect(() => parsePriceResponse('s1', { p: 1e300 }, 'p', 0)).toThrow(/decimal string/);
    expect(() => parsePriceResponse('s1', { __proto__: { p: 5 } }, 'p', 0)).toThrow(/no price at p/);
    expect(medianLow([4n, 1n, 3n, 2n])).toBe(2n);
  });
});

describe('collateral and capacity', () => {
  const R = { collateralRatioBps: 15_000 };

  it('capacity = stake value / R − (custody + pending); frozen without a price', () => {
    // 300 tokens at 1,000 sats = 300,000 sats of stake; / 1.5 = 200,000; minus 150,000 owed.
    const c = capacityOf(R, 300n * TOKEN, 1_000n, { custodySats: 100_000n, pendingSats: 50_000n });
    expect(c).toEqual({ status: 'open', stakeUnits: 300n * TOKEN, stakeValueSats: 300_000n, obligationsSats: 150_000n, capacitySats: 50_000n, ratioBps: 20_000n });
    expect(capacityOf(R, 300n * TOKEN, null, { custodySats: 0n, pendingSats: 0n }).status).toBe('frozen');
    expect(() => capacityOf({ collateralRatioBps: 9_999 }, 1n, 1n, { custodySats: 0n, pendingSats: 0n })).toThrow(StakeRuleError);
  });

  it('holds deposits beyond capacity and releases them strictly in confirmation order', () => {
    const c = capacityOf(R, 300n * TOKEN, 1_000n, { custodySats: 150_000n, pendingSats: 0n });
    const held = [{ depositId: 'a', amountSats: 30_000n }, { depositId: 'b', amountSats: 30_000n }, { depositId: 'c', amountSats: 1n }];
    expect(admitHeldDeposits(c, held)).toEqual({ mint: [held[0]], stillHeld: [held[1], held[2]] });
    expect(admitNewDeposit(c, 0, 50_000n)).toBe('mint');
    expect(admitNewDeposit(c, 0, 50_001n)).toBe('hold');
    expect(admitNewDeposit(c, 1, 1n)).toBe('hold');
    expect(admitHeldDeposits(capacityOf(R, 0n, null, { custodySats: 0n, pendingSats: 0n }), held).mint).toEqual([]);
  });

  it('property: admitted deposits are a prefix of the queue and never exceed capacity', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 22n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 8n }), { maxLength: 20 }), (stake, price, owed, amounts) => {
        const c = capacityOf(R, stake, price, { custodySats: owed, pendingSats: 0n });
        const held = amounts.map((a, i) => ({ depositId: `d${i}`, amountSats: a }));
        const { mint, stillHeld } = admitHeldDeposits(c, held);
        const minted = mint.reduce((s, d) => s + d.amountSats, 0n);
        if (c.status !== 'open') return false;
        const after = capacityOf(R, stake, price, { custodySats: owed, pendingSats: minted });
        return [...mint, ...stillHeld].every((d, i) => d === held[i]) && (minted === 0n || (after.status === 'open' && after.capacitySats >= 0n)) && (stillHeld.length === 0 || stillHeld[0]!.amountSats > (c.capacitySats - minted));
      }),
      fuzzParams(500),
    );
  }, FUZZ_TIMEOUT_MS);

  it('property: releasing unbonding never drops collateral below R × obligations, and follows id order', () => {
    fc.assert(
      fc.property(bookArb, fc.bigInt({ min: 1n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 10n ** 10n }), (book, price, owed) => {
        const released = releasableUnbondings(R, book, price, { custodySats: owed, pendingSats: 0n });
        const ids = new Set(released.map((u) => u.id));
        const after = { ...book, unbonding: book.unbonding.map((u) => (ids.has(u.id) ? { ...u, released: true } : u)) };
        const c = bookCapacity(R, after, price, { custodySats: owed, pendingSats: 0n });
        const pendingIds = book.unbonding.filter((u) => !u.released).map((u) => u.id);
        const inOrder = released.every((u, i) => u.id === pendingIds[i]);
        return inOrder && (released.length === 0 || (c.status === 'open' && c.capacitySats >= 0n)) && collateralStake(after) === collateralStake(book) - released.reduce((s, u) => s + u.amount, 0n);
      }),
      fuzzParams(500),
    );
    expect(releasableUnbondings(R, { signers: new Map(), delegations: new Map(), unbonding: [] }, null, { custodySats: 0n, pendingSats: 0n })).toEqual([]);
    expect(stakeValueSats(3n * TOKEN - 1n, 10n)).toBe(29n);
  }, FUZZ_TIMEOUT_MS);
});

describe('epochs', () => {
  const cfg: EpochConfig = { firstHeight: 100, epochLengthBlocks: 10, maxSigners: 3, minSelfBond: 10n, thresholdBps: 6_000 };

  it('numbers epochs from the first height', () => {
    expect(epochOfHeight(cfg, 99)).toBeNull();
    expect(epochOfHeight(cfg, 100)).toBe(0);
    expect(epochOfHeight(cfg, 119)).toBe(1);
    expect(thresholdFor(5, 6_000)).toBe(3);
    expect(thresholdFor(1_000, 6_667)).toBe(667);
    expect(thresholdFor(0, 6_667)).toBe(0);
  });

  it('property: the set is the top N eligible signers by bonded + delegated stake, ranked, with the configured threshold', () => {
    fc.assert(
      fc.property(bookArb, fc.nat({ max: 8 }), fc.integer({ min: 1, max: 6 }), (book, epoch, maxSigners) => {
        const c = { ...cfg, maxSigners };
        const set = selectEpochSet(c, book, epoch);
        const chosen = new Set(set.members.map((m) => m.address));
        const eligible = [...book.signers.values()].filter((s) => s.selfBond >= c.minSelfBond && s.selfBond > 0n && epoch >= s.jailedUntilEpoch);
        const stakeOf = (a: string) => set.members.find((m) => m.address === a)?.stake;
        const minChosen = set.members.at(-1)?.stake ?? 0n;
        const delegatedTo = (a: string) => [...book.delegations.values()].filter((d) => d.signer === a).reduce((s, d) => s + d.amount, 0n);
        return (
          set.members.length === Math.min(maxSigners, eligible.length) &&
          set.members.every((m, i) => i === 0 || set.members[i - 1]!.stake >= m.stake) &&
          set.members.every((m) => eligible.some((e) => e.address === m.address) && m.stake === m.selfBond + delegatedTo(m.address)) &&
          eligible.every((e) => chosen.has(e.address) || e.selfBond + delegatedTo(e.address) <= minChosen) &&
          set.threshold === thresholdFor(set.members.length, c.thresholdBps) &&
          (set.members.length === 0 || set.threshold >= 1) &&
          stakeOf(address(0)) === undefined
        );
      }),
      fuzzParams(500),
    );
  }, FUZZ_TIMEOUT_MS);
});
