/**
 * Tweaking the threshold public key (BIP445 "Tweak Context"): plain tweaks (BIP32 derivation) and
 * x-only tweaks (BIP341 TapTweak). The signers only fold gacc into their shares; the aggregator
 * adds e·g·tacc to the final s, so the Taproot tweak never needs a secret.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostInputError } from '../errors.js';
import { type GroupElement, hasEvenY, pointFromCompressed, pointToXonly } from '../curve/point.js';
import { N, scalarFromBytesChecked } from '../curve/scalar.js';
import { taggedHash } from '../curve/tagged-hash.js';
import { mulGen } from '../curve/native.js';

export interface TweakContext {
  /** The tweaked key Q. */
  readonly Q: GroupElement;
  /** Accumulated sign factor (±1). */
  readonly gacc: bigint;
  /** Accumulated tweak. */
  readonly tacc: bigint;
}

/** BIP445 "TweakCtxInit". */
export function tweakCtxInit(threshPk: Uint8Array | GroupElement): TweakContext {
  const Q = threshPk instanceof Uint8Array ? pointFromCompressed(threshPk, 'threshold public key') : threshPk;
  return { Q, gacc: 1n, tacc: 0n };
}

/** BIP445 "ApplyTweak". */
export function applyTweak(ctx: TweakContext, tweak: Uint8Array, isXonly: boolean): TweakContext {
  if (tweak.length !== 32) throw new FrostInputError('The tweak must be a 32-byte array.');
  const g = isXonly && !hasEvenY(ctx.Q) ? N - 1n : 1n;
  let twk: bigint;
  try {
    twk = scalarFromBytesChecked(tweak);
  } catch {
    throw new FrostInputError('The tweak value is out of range.');
  }
  const Q = (g === 1n ? ctx.Q : ctx.Q.negate()).add(mulGen(twk));
  if (Q.is0()) throw new FrostInputError('The result of tweaking cannot be infinity.');
  return { Q, gacc: (g * ctx.gacc) % N, tacc: (twk + g * ctx.tacc) % N };
}

// Every signer and verifier of a session tweaks the same key the same way; remember recent results.
const tweakCache = new Map<string, TweakContext>();
const TWEAK_CACHE_LIMIT = 64;

/** BIP445 "ThreshPubkeyAndTweak": apply the tweaks in order. */
export function threshPubkeyAndTweak(threshPk: Uint8Array | GroupElement, tweaks: readonly Uint8Array[], isXonly: readonly boolean[]): TweakContext {
  if (tweaks.length !== isXonly.length) throw new FrostInputError('The tweaks and is_xonly arrays must have the same length.');
  let ctx = tweakCtxInit(threshPk);
  if (tweaks.length === 0) return ctx;
  const key = [bytesToHex(ctx.Q.toBytes(true)), ...tweaks.map((t, i) => `${bytesToHex(t)}:${isXonly[i] === true ? 'x' : 'p'}`)].join('|');
  const cached = tweakCache.get(key);
  if (cached !== undefined) return cached;
  tweaks.forEach((tweak, i) => {
    ctx = applyTweak(ctx, tweak, isXonly[i] as boolean);
  });
  if (tweakCache.size >= TWEAK_CACHE_LIMIT) tweakCache.delete(tweakCache.keys().next().value as string);
  tweakCache.set(key, ctx);
  return ctx;
}

/** BIP341 taproot_tweak_pubkey's tweak: hash_TapTweak(x(P) ‖ merkle_root), merkle_root empty for key-path only. */
export function taprootTweak(internalKeyXonly: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  if (internalKeyXonly.length !== 32) throw new FrostInputError('The internal key must be a 32-byte x-only key.');
  if (merkleRoot !== undefined && merkleRoot.length !== 32) throw new FrostInputError('The merkle root must be 32 bytes.');
  return merkleRoot === undefined ? taggedHash('TapTweak', internalKeyXonly) : taggedHash('TapTweak', internalKeyXonly, merkleRoot);
}

/**
 * BIP86-style custody tweak: the x-only TapTweak of the group key with an empty merkle root, so the
 * output key commits to "no script path" and no participant can have hidden one in the DKG.
 * Returns the tweak to pass as an x-only tweak (`isXonly = true`) and the resulting output key.
 */
export function keyPathOnlyCustodyTweak(groupKey: Uint8Array): { tweak: Uint8Array; outputKey: Uint8Array } {
  return taprootOutput(groupKey);
}

/** Taproot output key for an internal key (x-only or compressed) and optional script-tree merkle root. */
export function taprootOutput(groupKey: Uint8Array, merkleRoot?: Uint8Array): { tweak: Uint8Array; outputKey: Uint8Array } {
  let P: GroupElement;
  if (groupKey.length === 32) P = pointFromCompressed(Uint8Array.of(0x02, ...groupKey), 'group key');
  else if (groupKey.length === 33) P = pointFromCompressed(groupKey, 'group key');
  else throw new FrostInputError('The group key must be 32 (x-only) or 33 (compressed) bytes.');
  const tweak = taprootTweak(pointToXonly(P), merkleRoot);
  const ctx = applyTweak(tweakCtxInit(P), tweak, true);
  return { tweak, outputKey: pointToXonly(ctx.Q) };
}
