// Shared pieces of the fuzz tests (packages/*/test/fuzz-*.test.ts). Not exported from the package index, so
// only fuzz tests load fast-check; they import this file by relative path.
import fc from 'fast-check';

/** Per-test timeout of fuzz tests: generous, since a loaded machine slows CPU-bound properties many times over. */
export const FUZZ_TIMEOUT_MS = 600_000;

/**
 * Iterations per property: `defaultRuns` (sized so the whole fuzz suite stays within a minute or two on a loaded
 * 2-core machine), or FUZZ_RUNS to scale up (e.g. FUZZ_RUNS=200000 for a long local run).
 */
export function fuzzRuns(defaultRuns: number): number {
  const env = Number(process.env.FUZZ_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : defaultRuns;
}

/**
 * fast-check parameters: FUZZ_SEED (and FUZZ_PATH) replay a reported failure; fast-check prints both when a
 * property fails. A found failure is then kept as a concrete regression case beside the property.
 */
export function fuzzParams<T>(defaultRuns: number): fc.Parameters<T> {
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: fuzzRuns(defaultRuns),
    ...(Number.isSafeInteger(seed) ? { seed } : {}),
    ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
  };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `f` and accepts only a result or one of the `allowed` error types: anything else (a TypeError from reading
 * past a buffer, a RangeError from an absurd allocation, a stack overflow) is a parser bug and is rethrown with
 * what happened.
 */
export function onlyErrors<T>(f: () => T, allowed: readonly ErrorClass[]): T | Error {
  try {
    return f();
  } catch (e) {
    if (allowed.some((cls) => e instanceof cls)) return e as Error;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(`unexpected exception (allowed: ${allowed.map((c) => c.name).join(', ')}): ${what}`, { cause: e });
  }
}

export async function onlyErrorsAsync<T>(f: () => Promise<T>, allowed: readonly ErrorClass[]): Promise<T | Error> {
  try {
    return await f();
  } catch (e) {
    if (allowed.some((cls) => e instanceof cls)) return e as Error;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(`unexpected exception (allowed: ${allowed.map((c) => c.name).join(', ')}): ${what}`, { cause: e });
  }
}

/** Values a length or count field is most likely to break on: 0, 1, the CompactSize boundaries, 2^31, 2^32 - 1. */
const NASTY_COUNTS = [0, 1, 0xfc, 0xfd, 0xfe, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** CompactSize encodings that claim huge counts, canonical or not: what an attacker puts in a count field. */
const HUGE_VARINTS: Uint8Array[] = [
  Uint8Array.of(0xfd, 0xff, 0xff),
  Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xfe, 0x00, 0x00, 0x00, 0x80),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xff, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00),
];

type Mutation = (b: Uint8Array) => Uint8Array;

const splice = (b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array => {
  const start = Math.min(at, b.length);
  const end = Math.min(start + remove, b.length);
  const out = new Uint8Array(b.length - (end - start) + insert.length);
  out.set(b.subarray(0, start), 0);
  out.set(insert, start);
  out.set(b.subarray(end), start + insert.length);
  return out;
};

const mutationArb = (maxLength: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    // flip one byte
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]): Mutation => (b) => {
      const out = b.slice();
      if (out.length > 0) out[at % out.length]! ^= x;
      return out;
    }),
    // set one byte to a boundary value
    fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff)).map(([at, v]): Mutation => (b) => {
      const out = b.slice();
      if (out.length > 0) out[at % out.length] = v;
      return out;
    }),
    // truncate
    fc.nat().map((n): Mutation => (b) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
    // drop a range
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([at, n]): Mutation => (b) => splice(b, b.length === 0 ? 0 : at % b.length, n, new Uint8Array(0))),
    // insert random bytes
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, ins]): Mutation => (b) => splice(b, at % (b.length + 1), 0, ins)),
    // overwrite with a huge count (a varint claiming 2^32 items must be refused before anything is allocated)
    fc.tuple(fc.nat(), fc.constantFrom(...HUGE_VARINTS), fc.boolean()).map(([at, v, replace]): Mutation => (b) => splice(b, at % (b.length + 1), replace ? v.length : 0, v)),
    // write a little-endian u32 count
    fc.tuple(fc.nat(), fc.constantFrom(...NASTY_COUNTS)).map(([at, n]): Mutation => (b) => {
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, n >>> 0, true);
      return splice(b, at % (b.length + 1), 4, v);
    }),
    // duplicate a range
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 128 }), fc.nat()).map(([from, n, to]): Mutation => (b) => {
      if (b.length === 0) return b;
      const start = from % b.length;
      const piece = b.slice(start, Math.min(b.length, start + n));
      const out = splice(b, to % (b.length + 1), 0, piece);
      return out.length > maxLength ? out.subarray(0, maxLength) : out;
    }),
  );

/** Valid inputs with 1..`maxMutations` random mutations applied: bytes that get past the first checks. */
export function mutatedBytes(valid: readonly Uint8Array[], maxMutations = 4, maxLength = 4_000_000): fc.Arbitrary<Uint8Array> {
  if (valid.length === 0) throw new Error('mutatedBytes needs at least one valid input');
  return fc
    .tuple(fc.constantFrom(...valid), fc.array(mutationArb(maxLength), { minLength: 1, maxLength: maxMutations }))
    .map(([base, mutations]) => mutations.reduce((b, m) => m(b), base));
}

/** Random bytes, and random bytes that start like `prefix` (so the length checks at the start pass). */
export function randomBytesLike(prefixes: readonly Uint8Array[] = [], maxLength = 512): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength });
  if (prefixes.length === 0) return random;
  return fc.oneof(
    random,
    fc.tuple(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength })).map(([p, tail]) => {
      const out = new Uint8Array(p.length + tail.length);
      out.set(p);
      out.set(tail, p.length);
      return out;
    }),
  );
}

/** Any JSON value (deep nesting included), for parsers that take decoded JSON. */
export const anyJson = (): fc.Arbitrary<unknown> => fc.jsonValue({ maxDepth: 6 });

/** Replaces one leaf of a JSON value (found by a random walk) with an arbitrary JSON value, or drops it. */
export function mutatedJson(valid: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.tuple(fc.constantFrom(...valid), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.oneof(anyJson(), fc.constant(undefined)), fc.boolean()).map(([base, walk, replacement, extraKey]) => {
    const copy = structuredClone(base) as unknown;
    if (copy === null || typeof copy !== 'object') return replacement;
    let node = copy as Record<string, unknown>;
    for (let i = 0; i < walk.length; i++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[walk[i]! % keys.length]!;
      const child = node[key];
      if (i === walk.length - 1 || child === null || typeof child !== 'object') {
        if (extraKey && !Array.isArray(node)) node[`x${walk[i]}`] = replacement;
        else if (replacement === undefined && Array.isArray(node)) node.splice(Number(key), 1);
        else if (replacement === undefined) delete node[key];
        else node[key] = replacement;
        break;
      }
      node = child as Record<string, unknown>;
    }
    return copy;
  });
}
