// REST and NATS input of the header API at the edge: any height, hash or range text is a HeaderApiError (400 or
// 404) or a lookup with values Postgres can take (heights are INTEGER). Queries are recording stand-ins.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../../packages/testing/src/fuzz.js';
import { HeaderApi, HeaderApiError, MAX_RANGE } from '../src/header-api.js';
import type { HeaderQueries } from '../src/header-queries.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const INT_MAX = 0x7fffffff;

function api() {
  const heights: number[] = [];
  const hashes: string[] = [];
  const queries = {
    byHeight: async (h: number) => (heights.push(h), undefined),
    byHash: async (h: string) => (hashes.push(h), undefined),
    range: async (from: number, to: number) => (heights.push(from, to), []),
  } as unknown as HeaderQueries;
  return { api: new HeaderApi(queries, {} as never), heights, hashes };
}

const key = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.bigInt({ min: -10n, max: 2n ** 64n }).map(String),
  fc.integer().map(String),
  fc.double().map(String),
  fc.stringMatching(/^[0-9a-fA-F]{60,68}$/),
  fc.constantFrom('\u0000', '2147483648', '2147483647', '0x10', ' 1', '1 ', '01'),
);

describe('fuzz: header API input', () => {
  it('GET /headers/:heightOrHash: a HeaderApiError or a lookup Postgres can take', async () => {
    const { api: a, heights, hashes } = api();
    await fc.assert(
      fc.asyncProperty(fc.oneof(key, fc.integer(), fc.double()), async (k) => {
        try {
          await a.header(k);
        } catch (e) {
          if (!(e instanceof HeaderApiError)) throw e;
        }
      }),
      fuzzParams(3_000),
    );
    expect(heights.every((h) => Number.isInteger(h) && h >= 0 && h <= INT_MAX)).toBe(true);
    expect(hashes.every((h) => /^[0-9a-fA-F]{64}$/.test(h))).toBe(true);
  });

  it('GET /headers?from&to: a HeaderApiError or a bounded range of valid heights', async () => {
    const { api: a, heights } = api();
    await fc.assert(
      fc.asyncProperty(fc.option(key, { nil: undefined }), fc.option(key, { nil: undefined }), async (from, to) => {
        try {
          const r = await a.range(from, to);
          expect(r.to - r.from + 1).toBeLessThanOrEqual(MAX_RANGE);
        } catch (e) {
          if (!(e instanceof HeaderApiError)) throw e;
        }
      }),
      fuzzParams(3_000),
    );
    expect(heights.every((h) => Number.isInteger(h) && h >= 0 && h <= INT_MAX)).toBe(true);
  });
});
