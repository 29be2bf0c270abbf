/**
 * Feldman verifiable secret sharing (ChillDKG "VSS"): a polynomial f of degree t-1 whose
 * coefficients are committed to as points; participant i (0-based) gets f(i + 1).
 */
import { FrostInputError } from '../errors.js';
import { type GroupElement, INFINITY, pointToCompressedWithInfinity, pointToXonly } from '../curve/point.js';
import { N, scalarFromBytesChecked } from '../curve/scalar.js';
import { taggedHash } from '../curve/tagged-hash.js';
import { type Affine, affineToPoint, decodeCompressedAffine, evalPointPolyAffine, evalPointPolyConsecutive, pointToAffine, sumColumnsAffine } from '../curve/batch.js';
import { u32be } from './bytes.js';
import { MsgParseError } from './errors.js';
import { mulGen } from '../curve/native.js';

export const BIP_TAG = 'BIP DKG/';

/** Tagged hash under the ChillDKG tag prefix "BIP DKG/". */
export function taggedHashBipDkg(tag: string, ...msgs: Uint8Array[]): Uint8Array {
  return taggedHash(BIP_TAG + tag, ...msgs);
}

/** k·P for a small non-negative integer k (left-to-right double-and-add; public values only). */
function mulSmall(P: GroupElement, k: number): GroupElement {
  if (k === 0 || P.is0()) return INFINITY;
  let acc = P;
  for (let bit = Math.floor(Math.log2(k)) - 1; bit >= 0; bit--) {
    acc = acc.double();
    if ((k >> bit) & 1) acc = acc.add(P);
  }
  return acc;
}

/** A commitment to a polynomial: the points c_j·G (infinity allowed, so a sum can never be rejected). */
export class VSSCommitment {
  constructor(readonly ges: readonly GroupElement[]) {}

  get t(): number {
    return this.ges.length;
  }

  static fromBytes(b: Uint8Array, t: number): VSSCommitment {
    if (b.length !== 33 * t) throw new FrostInputError('VSS commitment has the wrong length');
    const ges: GroupElement[] = [];
    for (let j = 0; j < t; j++) {
      const enc = b.subarray(33 * j, 33 * (j + 1));
      try {
        // One square root per point and no second curve check (ChillDKG coordinators decode n·t points).
        ges.push(enc.every((x) => x === 0) ? INFINITY : affineToPoint(decodeCompressedAffine(enc)));
      } catch {
        throw new MsgParseError('invalid VSS commitment');
      }
    }
    return new VSSCommitment(ges);
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(33 * this.ges.length);
    this.ges.forEach((P, j) => out.set(pointToCompressedWithInfinity(P), 33 * j));
    return out;
  }

  commitmentToSecret(): GroupElement {
    return this.ges[0] as GroupElement;
  }

  commitmentToNonconstTerms(): readonly GroupElement[] {
    return this.ges.slice(1);
  }

  /**
   * The public share of participant i: Σ_j (i+1)^j · C_j, by Horner's rule in the group. The
   * evaluation point i + 1 is small, so each step is a handful of doublings and additions
   * instead of a full 256-bit scalar multiplication.
   */
  pubshare(i: number): GroupElement {
    const x = i + 1;
    let acc = INFINITY;
    for (let j = this.ges.length - 1; j >= 0; j--) acc = mulSmall(acc, x).add(this.ges[j] as GroupElement);
    return acc;
  }

  /**
   * Every public share 0..n−1 at once: the polynomial in the binomial basis, then forward differences
   * (evalPointPolyConsecutive in curve/batch.ts), every step one batched affine operation. Equal to
   * pubshare(i) for every i.
   */
  pubshares(n: number): GroupElement[] {
    if (n === 0) return [];
    return evalPointPolyConsecutive(this.ges.map(pointToAffine), n).map(affineToPoint);
  }

  /** pubshares(n) by lockstep Horner (the previous fast path), kept to compare against. */
  pubsharesHorner(n: number): GroupElement[] {
    if (n === 0) return [];
    const coeffs: Affine[] = this.ges.map(pointToAffine);
    return evalPointPolyAffine(
      coeffs,
      Array.from({ length: n }, (_, i) => i + 1),
    ).map(affineToPoint);
  }

  /** Σ of commitments of equal degree, all coefficients at once with batched affine additions. */
  static sum(coms: readonly VSSCommitment[]): VSSCommitment {
    const t = coms[0]?.t ?? 0;
    if (coms.some((c) => c.t !== t)) throw new FrostInputError('VSS commitments of different degree');
    const rows = coms.map((c) => c.ges.map(pointToAffine));
    return new VSSCommitment(sumColumnsAffine(rows, t).map(affineToPoint));
  }

  static verifySecshare(secshare: bigint, pubshare: GroupElement): boolean {
    return mulGen(secshare).equals(pubshare);
  }

  add(other: VSSCommitment): VSSCommitment {
    if (other.t !== this.t) throw new FrostInputError('VSS commitments of different degree');
    return new VSSCommitment(this.ges.map((P, j) => P.add(other.ges[j] as GroupElement)));
  }

  /**
   * Adds TapTweak(x(C_0)) to the constant term so the threshold key commits to an unspendable
   * script path: no participant can have hidden a Taproot script commitment in its contribution.
   * Returns the tweaked commitment, the scalar tweak (added to every secret share) and tweak·G.
   */
  invalidTaprootCommit(): { commitment: VSSCommitment; tweak: bigint; pubtweak: GroupElement } {
    const pk = this.commitmentToSecret();
    const tweak = scalarFromBytesChecked(taggedHash('TapTweak', pointToXonly(pk)), 'TapTweak');
    const pubtweak = mulGen(tweak);
    const ges = [pk.add(pubtweak), ...this.ges.slice(1)];
    return { commitment: new VSSCommitment(ges), tweak, pubtweak };
  }
}

/** The dealer side of VSS: the polynomial f. */
export class VSS {
  private constructor(private readonly coeffs: readonly bigint[]) {}

  /** Coefficients derived from the seed: a_j = hash_{BIP DKG/vss coeffs}(seed ‖ j). */
  static generate(seed: Uint8Array, t: number): VSS {
    const coeffs: bigint[] = [];
    for (let j = 0; j < t; j++) coeffs.push(scalarFromBytesChecked(taggedHashBipDkg('vss coeffs', seed, u32be(j)), 'VSS coefficient'));
    return new VSS(coeffs);
  }

  /** f(i + 1) by Horner's rule. */
  secshareFor(i: number): bigint {
    const x = BigInt(i + 1);
    let value = 0n;
    for (let j = this.coeffs.length - 1; j >= 0; j--) value = (value * x + (this.coeffs[j] as bigint)) % N;
    return value;
  }

  secshares(n: number): bigint[] {
    return Array.from({ length: n }, (_, i) => this.secshareFor(i));
  }

  commit(): VSSCommitment {
    return new VSSCommitment(this.coeffs.map((c) => mulGen(c)));
  }

  secret(): bigint {
    return this.coeffs[0] as bigint;
  }
}
