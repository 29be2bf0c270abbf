/**
 * A threshold key as a signing group uses it: the DKG's threshold public key and every
 * participant's public share, decoded once. Sessions over any signer subset are derived from it.
 */
import { FrostInputError } from '../errors.js';
import { type GroupElement, hasEvenY, pointFromCompressed, pointToXonly } from '../curve/point.js';
import { type SignersContext, rememberValidatedSigners } from './signers-context.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export interface GroupKeyShares {
  readonly n: number;
  readonly t: number;
  /** Compressed threshold public key. */
  readonly threshPk: Uint8Array;
  /** Compressed public share of every participant, indexed by participant id (0..n−1). */
  readonly pubshares: readonly Uint8Array[];
}

export class GroupKey {
  readonly n: number;
  readonly t: number;
  readonly threshPk: Uint8Array;
  readonly pubshares: readonly Uint8Array[];
  readonly threshPoint: GroupElement;
  readonly pubsharePoints: readonly GroupElement[];

  private constructor(shares: GroupKeyShares, threshPoint: GroupElement, pubsharePoints: GroupElement[]) {
    this.n = shares.n;
    this.t = shares.t;
    this.threshPk = Uint8Array.from(shares.threshPk);
    this.pubshares = Object.freeze(shares.pubshares.map((p) => Uint8Array.from(p)));
    this.threshPoint = threshPoint;
    this.pubsharePoints = Object.freeze(pubsharePoints);
  }

  /**
   * Decodes the DKG output. The pubshares must come from a completed DKG (ChillDKG derives them
   * from the certified sum of commitments, so they lie on one polynomial with the threshold key
   * as constant term); per-session contexts therefore skip BIP445's re-interpolation check, which
   * would otherwise cost a t-point multi-scalar multiplication per signer per session.
   */
  static fromShares(shares: GroupKeyShares): GroupKey {
    const { n, t, threshPk, pubshares } = shares;
    if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || t > n) throw new FrostInputError('The threshold must be 1 <= t <= n.');
    if (pubshares.length !== n) throw new FrostInputError('There must be one pubshare per participant.');
    const threshPoint = pointFromCompressed(threshPk, 'threshold public key');
    const points = pubshares.map((p, i) => pointFromCompressed(p, `pubshare of participant ${i}`));
    return new GroupKey(shares, threshPoint, points);
  }

  /** x-only threshold key (BIP340). */
  get xonly(): Uint8Array {
    return pointToXonly(this.threshPoint);
  }

  get hasEvenY(): boolean {
    return hasEvenY(this.threshPoint);
  }

  /** The BIP445 signers context for a signer subset (0-based participant ids). */
  signersContext(ids: readonly number[]): SignersContext {
    if (ids.length < this.t || ids.length > this.n) throw new FrostInputError('The number of signers must be between t and n.');
    if (new Set(ids).size !== ids.length) throw new FrostInputError('The participant identifier list contains duplicate elements.');
    ids.forEach((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.n) throw new FrostInputError(`The participant identifier ${id} is out of range.`);
    });
    const ctx: SignersContext = Object.freeze({
      n: this.n,
      t: this.t,
      ids: Object.freeze([...ids]),
      pubshares: Object.freeze(ids.map((id) => this.pubshares[id] as Uint8Array)),
      threshPk: this.threshPk,
    });
    rememberValidatedSigners(ctx, {
      ids: ctx.ids,
      pubsharePoints: Object.freeze(ids.map((id) => this.pubsharePoints[id] as GroupElement)),
      pubshareHex: Object.freeze(ctx.pubshares.map((p) => bytesToHex(p))),
      threshPoint: this.threshPoint,
    });
    return ctx;
  }
}
