/**
 * Batch verification of BIP445 partial signatures, and finding the invalid ones.
 *
 * Each partial signature satisfies s_i·G = ±R1_i ± b·R2_i + c_i·P_i with c_i = e·λ_i·g·gacc. With
 * random 128-bit weights z_i the checks fold into one multi-scalar multiplication
 *   (Σ z_i s_i)·G − Σ z_i·(±R1_i) − (±b)·Σ z_i·R2_i − Σ (z_i c_i)·P_i = 0,
 * which an invalid s_i passes with probability 2^-128. A coordinator only needs this when the
 * aggregate signature fails (a partial signature was wrong); the happy path is one BIP340 check.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { G, type GroupElement, Point, hasEvenY } from '../curve/point.js';
import { N } from '../curve/scalar.js';
import { verifyPartialSigPoints } from './partial-sig-verify.js';
import type { SessionValues } from './session.js';

/** One signer's response, decoded: psig scalar, its pubnonce points, pubshare and Lagrange coefficient. */
export interface PartialSigClaim {
  readonly s: bigint;
  readonly R1: GroupElement;
  readonly R2: GroupElement;
  readonly P: GroupElement;
  readonly lambda: bigint;
}

type Values = Pick<SessionValues, 'Q' | 'gacc' | 'b' | 'R' | 'e'>;

function weight(): bigint {
  // 128-bit, never zero.
  return bytesToNumberBE(randomBytes(16)) | 1n;
}

/** True iff every claim verifies (up to probability 2^-128 of a false positive). */
export function batchVerifyPartialSigs(claims: readonly PartialSigClaim[], values: Values): boolean {
  if (claims.length === 0) return true;
  if (claims.length === 1) {
    const c = claims[0] as PartialSigClaim;
    return verifyPartialSigPoints(c.s, c.R1, c.R2, c.P, c.lambda, values.Q, values.gacc, values.b, values.R, values.e);
  }
  const { Q, gacc, b, R, e } = values;
  if (claims.length <= INDIVIDUAL_BELOW) {
    return claims.every((c) => verifyPartialSigPoints(c.s, c.R1, c.R2, c.P, c.lambda, Q, gacc, b, R, e));
  }
  const g = hasEvenY(Q) ? 1n : N - 1n;
  const evenR = hasEvenY(R);
  const eg = (((e * g) % N) * gacc) % N;
  const bSigned = evenR ? b : (N - b) % N;
  const points: GroupElement[] = [G];
  const scalars: bigint[] = [0n];
  let sumS = 0n;
  for (const c of claims) {
    const z = weight();
    sumS = (sumS + z * c.s) % N;
    // Coefficients of −(±R1_i + (±b)·R2_i + c_i·P_i)·z_i; for even R the nonce term is +R1.
    points.push(c.R1, c.R2, c.P);
    scalars.push(evenR ? N - z : z, (N - ((z * bSigned) % N)) % N, (N - ((((z * c.lambda) % N) * eg) % N)) % N);
  }
  scalars[0] = sumS;
  const keep = scalars.map((s, i) => s !== 0n && !(points[i] as GroupElement).is0());
  return pippenger(
    Point,
    points.filter((_p, i) => keep[i]),
    scalars.filter((_s, i) => keep[i]),
  ).is0();
}

/** Below this many claims, checking each one costs less than a multi-scalar multiplication's set-up. */
const INDIVIDUAL_BELOW = 4;

/**
 * Indices of the invalid claims. One batch check clears a clean set; once the set is known to hold
 * an invalid claim (the batch failed, or the caller knows, e.g. the aggregate signature failed),
 * every claim is checked by itself. With libsecp256k1's multiplications (curve/native.ts) one
 * claim costs about 0.7 ms of CPU, so checking all of them costs about what the bisection's batch
 * checks did (k/2 + k/4 + … claims in noble's Pippenger), and it is exact: it names every invalid
 * claim and blame never rests on a random-weight inference.
 */
export function findInvalidPartialSigs(claims: readonly PartialSigClaim[], values: Values, atLeastOneInvalid = false): number[] {
  if (!atLeastOneInvalid && batchVerifyPartialSigs(claims, values)) return [];
  const { Q, gacc, b, R, e } = values;
  const bad: number[] = [];
  claims.forEach((c, i) => {
    if (!verifyPartialSigPoints(c.s, c.R1, c.R2, c.P, c.lambda, Q, gacc, b, R, e)) bad.push(i);
  });
  return bad;
}
