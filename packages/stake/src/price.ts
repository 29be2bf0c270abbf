/**
 * The stake token's price in sats: the median of at least `minSources` fresh observations from independent sources,
 * moving at most `maxChangeBps` per update. A missing or stale price is never replaced by a guess: the feed reports
 * `frozen` and capacity stops (no new mints, no unbonding releases) until enough fresh sources agree again.
 */
import { z } from 'zod';
import { assertBps, BPS, mulDivCeil, mulDivFloor } from './amounts.js';
import { PriceFeedError, StakeRuleError } from './errors.js';

export interface PriceFeedConfig {
  /** Fresh observations needed for a price (at least 3, so one lying source cannot move the median). */
  minSources: number;
  /** Older observations (ms) are ignored; an accepted price older than this is stale. */
  maxAgeMs: number;
  /** Most the published price may move per update, in bps of the previous price. */
  maxChangeBps: number;
}

/** One source's answer: sats per whole stake token (10^18 base units). */
export interface PriceObservation {
  source: string;
  satsPerToken: bigint;
  /** When the source said it (its own timestamp if it gives one, else when we received it), Unix ms. */
  observedAt: number;
}

/** The last accepted price. */
export interface PublishedPrice {
  satsPerToken: bigint;
  /** When it was accepted, Unix ms. */
  at: number;
  /** The median it moved towards: capacity uses min(published, median), so a clamp never overstates stake value. */
  median: bigint;
  sources: number;
}

export type PriceUpdate =
  | { status: 'ok'; price: PublishedPrice; clamped: boolean }
  | { status: 'frozen'; reason: string; fresh: number };

export function checkPriceFeedConfig(c: PriceFeedConfig): PriceFeedConfig {
  if (!Number.isInteger(c.minSources) || c.minSources < 3) throw new StakeRuleError(`minSources must be an integer >= 3, got ${c.minSources}`);
  if (!Number.isInteger(c.maxAgeMs) || c.maxAgeMs <= 0) throw new StakeRuleError(`maxAgeMs must be a positive integer, got ${c.maxAgeMs}`);
  assertBps(c.maxChangeBps, 'maxChangeBps', 1_000_000);
  if (c.maxChangeBps === 0) throw new StakeRuleError('maxChangeBps must be positive, or the price could never move');
  return c;
}

/** Median of a non-empty list; for an even count the lower middle value (the conservative one for collateral). */
export function medianLow(values: readonly bigint[]): bigint {
  if (values.length === 0) throw new StakeRuleError('median of an empty list');
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * One feed update at time `now`. Each source counts once (its newest fresh observation); non-positive prices and
 * observations from the future (beyond the staleness bound) are dropped. Without `minSources` fresh ones the feed
 * is frozen, whatever the previous price was.
 */
export function updatePrice(config: PriceFeedConfig, previous: PublishedPrice | null, observations: readonly PriceObservation[], now: number): PriceUpdate {
  checkPriceFeedConfig(config);
  const newest = new Map<string, PriceObservation>();
  for (const o of observations) {
    if (o.satsPerToken <= 0n) continue;
    if (o.observedAt < now - config.maxAgeMs || o.observedAt > now + config.maxAgeMs) continue;
    const seen = newest.get(o.source);
    if (seen === undefined || o.observedAt > seen.observedAt) newest.set(o.source, o);
  }
  if (newest.size < config.minSources) {
    return { status: 'frozen', reason: `${newest.size} fresh price source(s), ${config.minSources} needed`, fresh: newest.size };
  }
  const median = medianLow([...newest.values()].map((o) => o.satsPerToken));
  if (previous === null) return { status: 'ok', price: { satsPerToken: median, at: now, median, sources: newest.size }, clamped: false };
  const up = previous.satsPerToken + mulDivFloor(previous.satsPerToken, BigInt(config.maxChangeBps), BPS);
  const downBy = mulDivFloor(previous.satsPerToken, BigInt(config.maxChangeBps), BPS);
  const down = previous.satsPerToken - downBy > 0n ? previous.satsPerToken - downBy : 1n;
  const next = median > up ? up : median < down ? down : median;
  return { status: 'ok', price: { satsPerToken: next, at: now, median, sources: newest.size }, clamped: next !== median };
}

/**
 * The price capacity may use at `now`: the lower of the published price and its median (a clamped fall must not
 * overstate collateral), or null when there is none or it is older than the staleness bound.
 */
export function usablePrice(config: PriceFeedConfig, price: PublishedPrice | null, now: number): bigint | null {
  if (price === null || price.at < now - config.maxAgeMs || price.at > now + config.maxAgeMs) return null;
  return price.satsPerToken < price.median ? price.satsPerToken : price.median;
}

/** Sats value of `units` stake-token base units at `satsPerToken`, rounded down (collateral is never overstated). */
export function stakeValueSats(units: bigint, satsPerToken: bigint, tokenDecimals = 18): bigint {
  return mulDivFloor(units, satsPerToken, 10n ** BigInt(tokenDecimals));
}

/** Stake base units worth at least `sats`, rounded up. */
export function unitsForSats(sats: bigint, satsPerToken: bigint, tokenDecimals = 18): bigint {
  if (satsPerToken <= 0n) throw new StakeRuleError('price must be positive');
  return mulDivCeil(sats, 10n ** BigInt(tokenDecimals), satsPerToken);
}

const decimalOrNumber = z.union([z.string().regex(/^[0-9]{1,30}(\.[0-9]{1,18})?$/), z.number().finite().nonnegative()]);

/**
 * Reads a source's JSON answer: the price at `pricePath` (dot-separated keys) in sats per token, as a number or a
 * decimal string (fractions are truncated, never rounded up), and optionally its own Unix timestamp (s or ms) at
 * `timePath`. Anything else is a PriceFeedError naming the source.
 */
export function parsePriceResponse(source: string, json: unknown, pricePath: string, receivedAt: number, timePath?: string): PriceObservation {
  const at = (path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined), json);
  const raw = decimalOrNumber.safeParse(at(pricePath));
  if (!raw.success) throw new PriceFeedError(`${source}: no price at ${pricePath} (want a non-negative number or decimal string)`);
  const text = typeof raw.data === 'number' ? (Number.isSafeInteger(Math.trunc(raw.data)) ? String(Math.trunc(raw.data)) : null) : raw.data.split('.')[0]!;
  if (text === null) throw new PriceFeedError(`${source}: price ${raw.data} is beyond exact integer range; send it as a decimal string`);
  const satsPerToken = BigInt(text);
  if (satsPerToken <= 0n) throw new PriceFeedError(`${source}: price must be at least 1 sat per token, got ${String(raw.data)}`);
  let observedAt = receivedAt;
  if (timePath !== undefined) {
    const t = z.number().int().positive().safeParse(at(timePath));
    if (!t.success) throw new PriceFeedError(`${source}: no integer timestamp at ${timePath}`);
    observedAt = t.data < 10_000_000_000 ? t.data * 1000 : t.data;
  }
  return { source, satsPerToken, observedAt };
}
