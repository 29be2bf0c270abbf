/**
 * Batched arithmetic on public points in affine coordinates. Adding many points one by one in
 * projective coordinates costs ~12 field multiplications per addition; adding them pairwise in a
 * tree, with the one division each affine addition needs shared across a whole level by
 * Montgomery's batch inversion, costs ~6. Decoding skips noble's second curve check (the square
 * root already proves the point is on the curve). Public values only: nothing here is constant time.
 * Results are exact group elements, so every caller's bytes are identical to the reference path's.
 */
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { FrostInputError } from '../errors.js';
import { decompressNative } from './native.js';
import { type GroupElement, INFINITY, Point } from './point.js';

const Fp = Point.Fp;
const P: bigint = Fp.ORDER;

/** An affine point; null is the point at infinity. */
export type Affine = { readonly x: bigint; readonly y: bigint } | null;

const mod = (a: bigint): bigint => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

const MASK_256 = (1n << 256n) - 1n;
/** 2^256 mod p = 2^32 + 977. */
const FOLD = (1n << 32n) + 977n;

/**
 * v mod p for 0 ≤ v < 2^512 using p = 2^256 − 2^32 − 977: two folds of the high half instead of a
 * bigint division (a multiply-and-reduce takes ~185 ns instead of ~260 ns here; the batched
 * affine additions below spend most of their time in these).
 */
function reduce(v: bigint): bigint {
  v = (v & MASK_256) + (v >> 256n) * FOLD;
  v = (v & MASK_256) + (v >> 256n) * FOLD;
  return v >= P ? v - P : v;
}

/**
 * Decodes a 33-byte compressed point (same acceptance rules and error as pointFromCompressed). The
 * square root is libsecp256k1's (native.ts): about half the CPU of bigint exponentiation.
 */
export function decodeCompressedAffine(bytes: Uint8Array, what = 'point'): { x: bigint; y: bigint } {
  return decompressNative(bytes, what);
}

/** The bigint decoding (noble's square root), kept as the reference the fast path is tested against. */
export function decodeCompressedAffineReference(bytes: Uint8Array, what = 'point'): { x: bigint; y: bigint } {
  if (bytes.length !== 33) throw new FrostInputError(`${what} must be 33 bytes, got ${bytes.length}`);
  const prefix = bytes[0];
  if (prefix !== 0x02 && prefix !== 0x03) throw new FrostInputError(`${what} has an invalid prefix`);
  const x = bytesToNumberBE(bytes.subarray(1));
  if (x >= P) throw new FrostInputError(`${what} x-coordinate exceeds the field size`);
  const y2 = mod(((x * x) % P) * x + 7n);
  let y: bigint;
  try {
    y = Fp.sqrt(y2);
  } catch {
    throw new FrostInputError(`${what} is not on the curve`);
  }
  if ((y * y) % P !== y2) throw new FrostInputError(`${what} is not on the curve`);
  if ((y & 1n) !== BigInt(prefix & 1)) y = P - y;
  return { x, y };
}

/** Compressed encoding with 33 zero bytes for infinity (BIP445 cbytes_ext). */
export function encodeAffineWithInfinity(a: Affine): Uint8Array {
  const out = new Uint8Array(33);
  if (a === null) return out;
  out[0] = (a.y & 1n) === 1n ? 0x03 : 0x02;
  let x = a.x;
  for (let i = 32; i >= 1; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function affineToPoint(a: Affine): GroupElement {
  return a === null ? INFINITY : Point.fromAffine({ x: a.x, y: a.y });
}

export function pointToAffine(p: GroupElement): Affine {
  if (p.is0()) return null;
  const { x, y } = p.toAffine();
  return { x, y };
}

/** Montgomery's trick: every inverse mod p with one inversion. Zero entries stay zero. */
export function batchInvertFp(values: readonly bigint[]): bigint[] {
  const n = values.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    const v = values[i] as bigint;
    if (v !== 0n) acc = reduce(acc * v);
  }
  let inv = Fp.inv(acc);
  const out = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    const v = values[i] as bigint;
    if (v === 0n) {
      out[i] = 0n;
      continue;
    }
    out[i] = reduce(inv * (prefix[i] as bigint));
    inv = reduce(inv * v);
  }
  return out;
}

/**
 * Element-wise a[i] + b[i] with one field inversion for the whole batch. Handles every special case
 * (infinity, doubling, P + (−P)) exactly, so adversarial inputs cannot make it wrong.
 */
export function addAffineBatch(as: readonly Affine[], bs: readonly Affine[]): Affine[] {
  const n = as.length;
  const denoms = new Array<bigint>(n);
  for (let i = 0; i < n; i++) {
    const a = as[i] as Affine;
    const b = bs[i] as Affine;
    if (a === null || b === null) denoms[i] = 0n;
    else if (a.x !== b.x) denoms[i] = b.x > a.x ? b.x - a.x : b.x - a.x + P;
    else if (a.y === b.y && a.y !== 0n) denoms[i] = reduce(2n * a.y);
    else denoms[i] = 0n;
  }
  const inv = batchInvertFp(denoms);
  const out = new Array<Affine>(n);
  for (let i = 0; i < n; i++) {
    const a = as[i] as Affine;
    const b = bs[i] as Affine;
    if (a === null) {
      out[i] = b;
      continue;
    }
    if (b === null) {
      out[i] = a;
      continue;
    }
    let lambda: bigint;
    if (a.x !== b.x) lambda = reduce((b.y - a.y + P) * (inv[i] as bigint));
    else if (a.y === b.y && a.y !== 0n) lambda = reduce(reduce(3n * a.x * a.x) * (inv[i] as bigint));
    else {
      out[i] = null;
      continue;
    }
    // Offsets by multiples of p keep every value reduced non-negative (coordinates are below p).
    const x = reduce(lambda * lambda + 2n * P - a.x - b.x);
    const y = reduce(lambda * (a.x - x + P) + P - a.y);
    out[i] = { x, y };
  }
  return out;
}

/** Element-wise 2·a[i] with one field inversion. */
export function doubleAffineBatch(as: readonly Affine[]): Affine[] {
  return addAffineBatch(as, as);
}

/** Σ points, as a tree of batched affine additions (log2(k) inversions for k points). */
export function sumAffine(points: readonly Affine[]): Affine {
  let level: Affine[] = points.filter((p) => p !== null);
  while (level.length > 1) {
    const half = level.length >> 1;
    const left = level.slice(0, half);
    const right = level.slice(half, 2 * half);
    const next = addAffineBatch(left, right);
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Affine);
    level = next.filter((p) => p !== null);
  }
  return level.length === 0 ? null : (level[0] as Affine);
}

/**
 * Column sums: out[j] = Σ_i rows[i][j], every column at once (one inversion per tree level for all
 * columns together). Used to add n VSS commitments of t points each.
 */
export function sumColumnsAffine(rows: readonly (readonly Affine[])[], width: number): Affine[] {
  let level: Affine[][] = rows.map((r) => [...r]);
  if (level.length === 0) return Array.from({ length: width }, () => null);
  while (level.length > 1) {
    const half = level.length >> 1;
    const flatA: Affine[] = [];
    const flatB: Affine[] = [];
    for (let i = 0; i < half; i++) {
      flatA.push(...(level[i] as Affine[]));
      flatB.push(...(level[i + half] as Affine[]));
    }
    const sums = addAffineBatch(flatA, flatB);
    const next: Affine[][] = [];
    for (let i = 0; i < half; i++) next.push(sums.slice(i * width, (i + 1) * width));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Affine[]);
    level = next;
  }
  return level[0] as Affine[];
}

/**
 * Evaluates the point polynomial Σ_j xs^j · coeffs[j] at many small positive integers at once
 * (Horner's rule, all evaluation points in lockstep so every doubling/addition step is one
 * batched affine operation). For VSS pubshares: x = i + 1.
 */
export function evalPointPolyAffine(coeffs: readonly Affine[], xs: readonly number[]): Affine[] {
  const m = xs.length;
  xs.forEach((x) => {
    if (!Number.isInteger(x) || x < 1 || x > 2 ** 30) throw new FrostInputError('evaluation points must be small positive integers');
  });
  const bits = xs.map((x) => x.toString(2));
  const maxLen = Math.max(0, ...bits.map((b) => b.length));
  let acc: Affine[] = new Array<Affine>(m).fill(null);
  for (let j = coeffs.length - 1; j >= 0; j--) {
    // acc ← x·acc by left-to-right double-and-add, the evaluation points aligned on their top bits.
    const base = acc;
    let r: Affine[] = base.slice();
    for (let k = 1; k < maxLen; k++) {
      const active: number[] = [];
      for (let i = 0; i < m; i++) if ((bits[i] as string).length > k) active.push(i);
      if (active.length === 0) break;
      const doubled = doubleAffineBatch(active.map((i) => r[i] as Affine));
      active.forEach((i, q) => {
        r[i] = doubled[q] as Affine;
      });
      const adders = active.filter((i) => (bits[i] as string)[k] === '1');
      if (adders.length > 0) {
        const added = addAffineBatch(
          adders.map((i) => r[i] as Affine),
          adders.map((i) => base[i] as Affine),
        );
        adders.forEach((i, q) => {
          r[i] = added[q] as Affine;
        });
      }
    }
    const c = coeffs[j] as Affine;
    r = addAffineBatch(r, new Array<Affine>(m).fill(c));
    acc = r;
  }
  return acc;
}

/** Element-wise ks[i]·points[i] for small positive integers, by batched left-to-right double-and-add. */
export function mulSmallAffineBatch(points: readonly Affine[], ks: readonly number[]): Affine[] {
  const bits = ks.map((k) => {
    if (!Number.isInteger(k) || k < 1 || k > 2 ** 30) throw new FrostInputError('multipliers must be small positive integers');
    return k.toString(2);
  });
  const maxLen = Math.max(0, ...bits.map((b) => b.length));
  const r: Affine[] = points.slice();
  for (let k = 1; k < maxLen; k++) {
    const active: number[] = [];
    for (let i = 0; i < r.length; i++) if ((bits[i] as string).length > k) active.push(i);
    const doubled = doubleAffineBatch(active.map((i) => r[i] as Affine));
    active.forEach((i, q) => {
      r[i] = doubled[q] as Affine;
    });
    const adders = active.filter((i) => (bits[i] as string)[k] === '1');
    if (adders.length === 0) continue;
    const added = addAffineBatch(
      adders.map((i) => r[i] as Affine),
      adders.map((i) => points[i] as Affine),
    );
    adders.forEach((i, q) => {
      r[i] = added[q] as Affine;
    });
  }
  return r;
}

/**
 * The point polynomial f(x) = Σ_j x^j · coeffs[j] at x = 1, 2, …, count (VSS pubshares: pubshare i
 * is f(i + 1)). Equal to evalPointPolyAffine at those points, in about a third of the group
 * operations for t-of-n with t ≈ 2n/3:
 *  1. Horner's rule with the accumulator in the binomial basis, f = Σ_k B_k·C(x, k): since
 *     x·C(x, k) = (k+1)·C(x, k+1) + k·C(x, k), multiplying by x maps B_m to m·(B_{m−1} + B_m), so
 *     the conversion costs t²/2 multiplications by small integers m < t instead of n·t by x ≤ n.
 *  2. B_k = Δ^k f(0) (since Δ C(x, k) = C(x, k−1)), so forward differences step x → x + 1 with t − 1
 *     additions: D_k ← D_k + D_{k+1}, all k at once (one batched affine addition per value).
 */
export function evalPointPolyConsecutive(coeffs: readonly Affine[], count: number): Affine[] {
  if (!Number.isInteger(count) || count < 0 || count > 2 ** 30) throw new FrostInputError('count must be a small non-negative integer');
  const t = coeffs.length;
  if (count === 0) return [];
  if (t === 0) return new Array<Affine>(count).fill(null);
  let B: Affine[] = [];
  for (let j = t - 1; j >= 0; j--) {
    const L = B.length;
    if (L > 0) {
      // B'_m = m·(B_{m−1} + B_m) for m = 1..L (B_L = infinity); B'_0 = 0 before adding the coefficient.
      const sums = addAffineBatch(
        B,
        Array.from({ length: L }, (_, m) => (m + 1 < L ? (B[m + 1] as Affine) : null)),
      );
      B = [null, ...mulSmallAffineBatch(sums, Array.from({ length: L }, (_, m) => m + 1))];
    } else {
      B = [null];
    }
    B[0] = coeffs[j] as Affine;
  }
  const out = new Array<Affine>(count);
  let D = B;
  for (let x = 0; x < count; x++) {
    if (t > 1) {
      const stepped = addAffineBatch(D.slice(0, t - 1), D.slice(1));
      stepped.push(D[t - 1] as Affine);
      D = stepped;
    }
    out[x] = D[0] as Affine;
  }
  return out;
}
