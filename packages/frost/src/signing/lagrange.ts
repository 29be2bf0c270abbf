/**
 * Lagrange coefficients for interpolation at 0 (BIP445 "DeriveInterpolatingValue").
 * Participant identifiers are 0-based; the share of identifier i is f(i + 1).
 */
import { N } from '../curve/scalar.js';

function modN(x: bigint): bigint {
  const r = x % N;
  return r < 0n ? r + N : r;
}

/** Modular inverse via the extended Euclidean algorithm (inputs are public identifiers). */
function invert(a: bigint): bigint {
  let [r0, r1] = [modN(a), N];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('value has no inverse modulo n');
  return modN(s0);
}

/** Inverts every element with one modular inversion (Montgomery's trick). Elements must be non-zero. */
export function invertBatch(values: readonly bigint[]): bigint[] {
  const prefix: bigint[] = new Array<bigint>(values.length);
  let acc = 1n;
  for (let i = 0; i < values.length; i++) {
    prefix[i] = acc;
    acc = (acc * (values[i] as bigint)) % N;
  }
  let inv = invert(acc);
  const out: bigint[] = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = (inv * (prefix[i] as bigint)) % N;
    inv = (inv * (values[i] as bigint)) % N;
  }
  return out;
}

/**
 * λ_i = Π_{j ≠ i} (j + 1) / (j − i) over the signer set `ids` (BIP445 "DeriveInterpolatingValue").
 * The caller has checked that `myId` is in `ids` and `ids` has no duplicates.
 */
export function deriveInterpolatingValue(ids: readonly number[], myId: number): bigint {
  // Factors are below 2^33, so products are reduced mod n only every few steps.
  let num = 1n;
  let deno = 1n;
  let negative = false;
  let pending = 0;
  for (const id of ids) {
    if (id === myId) continue;
    num *= BigInt(id + 1);
    const diff = id - myId;
    if (diff < 0) negative = !negative;
    deno *= BigInt(Math.abs(diff));
    if (++pending === 6) {
      num %= N;
      deno %= N;
      pending = 0;
    }
  }
  num %= N;
  deno %= N;
  if (negative) deno = modN(-deno);
  return (num * invert(deno)) % N;
}

/**
 * Every λ_i for the signer set at once, with a single modular inversion for all denominators.
 * Used where the whole set is interpolated (threshold key derivation), so t coefficients cost
 * O(t²) multiplications but only one inversion.
 */
export function deriveInterpolatingValues(ids: readonly number[]): bigint[] {
  let all = 1n;
  for (const id of ids) all = (all * BigInt(id + 1)) % N;
  // Identifiers are below 2^32 and typically below 2^11: small factors are multiplied as doubles
  // while the product stays exact (< 2^53), so t² factors cost about t²/4 bigint multiplications.
  const denominators = ids.map((i) => {
    // (i + 1) · Π_{j ≠ i} (j − i): folding (i + 1) in lets `all` serve as every numerator.
    let d = BigInt(i + 1);
    let small = 1;
    let negative = false;
    for (const j of ids) {
      if (j === i) continue;
      const diff = j - i;
      const f = diff < 0 ? -diff : diff;
      if (diff < 0) negative = !negative;
      if (small * f > Number.MAX_SAFE_INTEGER) {
        d = (d * BigInt(small)) % N;
        small = 1;
      }
      small *= f;
    }
    d = (d * BigInt(small)) % N;
    return negative ? (N - d) % N : d;
  });
  return invertBatch(denominators).map((inv) => (all * inv) % N);
}
