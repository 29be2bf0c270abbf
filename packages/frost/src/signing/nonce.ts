/** Nonce generation and aggregation (BIP445 "NonceGen", "NonceAgg"). */
import { randomBytes } from '@noble/hashes/utils.js';
import { FrostInputError, InvalidContributionError } from '../errors.js';
import { type GroupElement, INFINITY, pointFromCompressed, pointToCompressedWithInfinity } from '../curve/point.js';
import { scalarFromBytesWrapping, scalarToBytes } from '../curve/scalar.js';
import { taggedHash } from '../curve/tagged-hash.js';
import { type Affine, decodeCompressedAffine, encodeAffineWithInfinity, sumAffine } from '../curve/batch.js';
import { SecNonce } from './secnonce.js';
import { mulGenCompressed } from '../curve/native.js';

export interface NonceGenInput {
  /** The signer's secret share (32 bytes); mixed in as defence in depth against bad randomness. */
  secshare?: Uint8Array;
  /** The signer's compressed public share (33 bytes). */
  pubshare?: Uint8Array;
  /** The x-only threshold public key (32 bytes). */
  threshPk?: Uint8Array;
  /** The message, if already known. */
  msg?: Uint8Array;
  /** Any extra input (e.g. a session id or counter). */
  extraIn?: Uint8Array;
}

export interface NonceGenOutput {
  secnonce: SecNonce;
  /** R1 ‖ R2 compressed (66 bytes). */
  pubnonce: Uint8Array;
}

function u32(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, false);
  return b;
}

function u64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(x), false);
  return b;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ (b[i] ?? 0));
}

/**
 * BIP445 "NonceGen" with caller-supplied rand' (deterministic; only for test vectors and for
 * callers with their own CSPRNG). Returns the raw 64-byte secnonce so vectors can compare it.
 */
export function nonceGenInternal(rand_: Uint8Array, input: NonceGenInput = {}): { secnonce: Uint8Array; pubnonce: Uint8Array } {
  if (rand_.length !== 32) throw new FrostInputError('rand_ must be 32 bytes.');
  const { secshare, pubshare, threshPk, msg, extraIn } = input;
  if (secshare !== undefined && secshare.length !== 32) throw new FrostInputError('The optional byte array secshare must have length 32.');
  if (pubshare !== undefined && pubshare.length !== 33) throw new FrostInputError('The optional byte array pubshare must have length 33.');
  if (threshPk !== undefined && threshPk.length !== 32) throw new FrostInputError('The optional byte array thresh_pk must have length 32.');
  const rand = secshare !== undefined ? xor(secshare, taggedHash('BIP0445/aux', rand_)) : rand_;
  const pk = pubshare ?? new Uint8Array(0);
  const tpk = threshPk ?? new Uint8Array(0);
  const msgPrefixed = msg === undefined ? Uint8Array.of(0) : Uint8Array.from([1, ...u64(msg.length), ...msg]);
  const extra = extraIn ?? new Uint8Array(0);
  const k = [0, 1].map((i) =>
    scalarFromBytesWrapping(
      taggedHash('BIP0445/nonce', rand, Uint8Array.of(pk.length), pk, Uint8Array.of(tpk.length), tpk, msgPrefixed, u32(extra.length), extra, Uint8Array.of(i)),
    ),
  );
  const [k1, k2] = k as [bigint, bigint];
  if (k1 === 0n || k2 === 0n) throw new Error('nonce is zero (negligible probability)');
  const pubnonce = new Uint8Array(66);
  pubnonce.set(mulGenCompressed(k1), 0);
  pubnonce.set(mulGenCompressed(k2), 33);
  const secnonce = new Uint8Array(64);
  secnonce.set(scalarToBytes(k1), 0);
  secnonce.set(scalarToBytes(k2), 32);
  return { secnonce, pubnonce };
}

/** BIP445 "NonceGen": fresh randomness; the secret nonce is a single-use {@link SecNonce}. */
export function nonceGen(input: NonceGenInput = {}): NonceGenOutput {
  const { secnonce, pubnonce } = nonceGenInternal(randomBytes(32), input);
  const wrapped = SecNonce.fromFreshBytes(secnonce, pubnonce);
  secnonce.fill(0);
  return { secnonce: wrapped, pubnonce };
}

/** Decodes a 66-byte pubnonce into (R1, R2), blaming `signerIndex` if it is malformed. */
export function decodePubnonce(pubnonce: Uint8Array, signerIndex: number | null): [GroupElement, GroupElement] {
  try {
    if (pubnonce.length !== 66) throw new FrostInputError('pubnonce must be 66 bytes');
    return [pointFromCompressed(pubnonce.subarray(0, 33)), pointFromCompressed(pubnonce.subarray(33, 66))];
  } catch {
    throw new InvalidContributionError(signerIndex, 'pubnonce');
  }
}

/** Encodes the aggregate nonce (R1, R2), infinity as 33 zero bytes. */
export function encodeAggnonce(R1: GroupElement, R2: GroupElement): Uint8Array {
  const out = new Uint8Array(66);
  out.set(pointToCompressedWithInfinity(R1), 0);
  out.set(pointToCompressedWithInfinity(R2), 33);
  return out;
}

/**
 * BIP445 "NonceAgg": aggnonce = (Σ R1_i, Σ R2_i). Point additions only; one binding factor per
 * session means nothing here depends on the signer. An invalid pubnonce is blamed on its index
 * (first halves are checked before second halves, as in the reference). The sums are trees of
 * batched affine additions (src/curve/batch.ts): same bytes as adding one by one, ~5× faster at
 * 667 signers, where decoding (one square root per point) is what remains.
 */
export function nonceAgg(pubnonces: readonly Uint8Array[]): Uint8Array {
  const halves: Affine[][] = [[], []];
  for (const j of [0, 1]) {
    pubnonces.forEach((pubnonce, idx) => {
      try {
        if (pubnonce.length !== 66) throw new FrostInputError('pubnonce must be 66 bytes');
        (halves[j] as Affine[]).push(decodeCompressedAffine(pubnonce.subarray(33 * j, 33 * (j + 1))));
      } catch {
        throw new InvalidContributionError(idx, 'pubnonce');
      }
    });
  }
  const out = new Uint8Array(66);
  out.set(encodeAffineWithInfinity(sumAffine(halves[0] as Affine[])), 0);
  out.set(encodeAffineWithInfinity(sumAffine(halves[1] as Affine[])), 33);
  return out;
}

/** The reference NonceAgg (one projective addition per point); kept to test the fast path against. */
export function nonceAggReference(pubnonces: readonly Uint8Array[]): Uint8Array {
  let R1 = INFINITY;
  let R2 = INFINITY;
  for (const j of [0, 1]) {
    pubnonces.forEach((pubnonce, idx) => {
      let R: GroupElement;
      try {
        if (pubnonce.length !== 66) throw new FrostInputError('pubnonce must be 66 bytes');
        R = pointFromCompressed(pubnonce.subarray(33 * j, 33 * (j + 1)));
      } catch {
        throw new InvalidContributionError(idx, 'pubnonce');
      }
      if (j === 0) R1 = R1.add(R);
      else R2 = R2.add(R);
    });
  }
  return encodeAggnonce(R1, R2);
}

/**
 * Whether `aggnonce` is the sum of `pubnonces` (what a signer may check before signing; see the
 * README, "Taking the coordinator's aggregate nonce", for why a signer need not).
 */
export function aggnonceMatches(pubnonces: readonly Uint8Array[], aggnonce: Uint8Array): boolean {
  const sum = nonceAgg(pubnonces);
  return aggnonce.length === 66 && sum.every((b, i) => b === aggnonce[i]);
}
