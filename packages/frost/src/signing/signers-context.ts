/**
 * The signers context (BIP445 "Signers Context"): the key-generation output a signing session
 * refers to, and the subset of participants who sign.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { sha256 } from '../curve/tagged-hash.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostInputError } from '../errors.js';
import { type GroupElement, Point, pointFromCompressed } from '../curve/point.js';
import { deriveInterpolatingValues } from './lagrange.js';

export interface SignersContext {
  /** Number of participants in key generation. */
  readonly n: number;
  /** Threshold. */
  readonly t: number;
  /** 0-based participant identifiers of this session's signers. */
  readonly ids: readonly number[];
  /** Compressed public shares, aligned with `ids`. */
  readonly pubshares: readonly Uint8Array[];
  /** Compressed threshold public key (before any tweak). */
  readonly threshPk: Uint8Array;
}

/** Decoded, validated form of a signers context. */
export interface ValidatedSigners {
  readonly ids: readonly number[];
  readonly pubsharePoints: readonly GroupElement[];
  readonly pubshareHex: readonly string[];
  readonly threshPoint: GroupElement;
}

/**
 * BIP445 "DeriveThreshPubkey": Q = Σ λ_i · X_i. One multi-scalar multiplication, so deriving the
 * key for 667 signers costs one Pippenger pass rather than 667 separate multiplications.
 */
export function deriveThreshPubkey(ids: readonly number[], pubshares: readonly GroupElement[]): GroupElement {
  const lambdas = deriveInterpolatingValues(ids);
  return pippenger(Point, [...pubshares], lambdas);
}

// Validation re-derives the threshold key from the pubshares; a session repeats it for every signer
// and every verification, so results are memoised by a digest of the context's bytes.
const validated = new Map<string, ValidatedSigners>();
const CACHE_LIMIT = 64;

function contextDigest(ctx: SignersContext): string {
  const parts: number[] = [ctx.n, ctx.t, ctx.ids.length, ...ctx.ids];
  const header = new Uint8Array(new Uint32Array(parts).buffer);
  const total = header.length + ctx.threshPk.length + ctx.pubshares.reduce((a, p) => a + p.length + 1, 0);
  const buf = new Uint8Array(total);
  buf.set(header, 0);
  let off = header.length;
  buf.set(ctx.threshPk, off);
  off += ctx.threshPk.length;
  for (const p of ctx.pubshares) {
    buf[off++] = p.length;
    buf.set(p, off);
    off += p.length;
  }
  return bytesToHex(sha256(buf));
}

function remember(key: string, value: ValidatedSigners): void {
  if (validated.size >= CACHE_LIMIT) validated.delete(validated.keys().next().value as string);
  validated.set(key, value);
}

// Frozen contexts built by GroupKey are recognised by identity, skipping even the digest.
const byIdentity = new WeakMap<SignersContext, ValidatedSigners>();

/**
 * Records a context as validated without re-interpolating the threshold key. Only for frozen
 * contexts built by {@link GroupKey} from DKG output, whose pubshares are consistent by
 * construction and whose bytes the GroupKey owns.
 */
export function rememberValidatedSigners(ctx: SignersContext, value: ValidatedSigners): void {
  byIdentity.set(ctx, value);
  remember(contextDigest(ctx), value);
}

/** BIP445 "ValidateSignersCtx"; returns the decoded context. */
export function validateSignersCtx(ctx: SignersContext): ValidatedSigners {
  const known = byIdentity.get(ctx);
  if (known !== undefined) return known;
  const { n, t, ids, pubshares, threshPk } = ctx;
  if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || t > n) throw new FrostInputError('The threshold must be 1 <= t <= n.');
  if (!(t <= ids.length && ids.length <= n)) throw new FrostInputError('The number of signers must be between t and n.');
  if (pubshares.length !== ids.length) throw new FrostInputError('The pubshares and ids arrays must have the same length.');
  ids.forEach((id, idx) => {
    if (!Number.isInteger(id) || id < 0 || id > n - 1) throw new FrostInputError(`The participant identifier at index ${idx} is out of range.`);
  });
  const key = contextDigest(ctx);
  const cached = validated.get(key);
  if (cached !== undefined) return cached;

  const pubsharePoints: GroupElement[] = [];
  ids.forEach((_id, idx) => {
    try {
      pubsharePoints.push(pointFromCompressed(pubshares[idx] as Uint8Array));
    } catch {
      throw new FrostInputError(`Invalid pubshare at index ${idx}.`);
    }
  });
  if (new Set(ids).size !== ids.length) throw new FrostInputError('The participant identifier list contains duplicate elements.');
  const Q = deriveThreshPubkey(ids, pubsharePoints);
  if (Q.is0() || threshPk.length !== 33 || bytesToHex(Q.toBytes(true)) !== bytesToHex(threshPk)) {
    throw new FrostInputError('The provided key material is incorrect.');
  }
  const result: ValidatedSigners = Object.freeze({
    ids: Object.freeze([...ids]),
    pubsharePoints: Object.freeze(pubsharePoints),
    pubshareHex: Object.freeze(pubshares.map((p) => bytesToHex(p))),
    threshPoint: Q,
  });
  remember(key, result);
  return result;
}

/** BIP445 serialize_ids: identifiers sorted ascending, 4 bytes big-endian each. */
export function serializeIds(ids: readonly number[]): Uint8Array {
  const sorted = [...ids].sort((a, b) => a - b);
  const out = new Uint8Array(4 * sorted.length);
  const view = new DataView(out.buffer);
  sorted.forEach((id, i) => view.setUint32(4 * i, id, false));
  return out;
}
