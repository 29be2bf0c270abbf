/**
 * Normalising a DKG output to an even-y threshold key. BIP340 keys are x-only, and the custody
 * address commits to x(Q) with even y; if Q has odd y, negating the whole sharing (every secret
 * share, public share and Q) yields the same x-only key with even y, and the shares remain a
 * valid sharing of −secret.
 */
import { type GroupElement, hasEvenY, pointFromCompressed, pointToCompressed } from '../curve/point.js';
import { N, scalarFromBytesNonzeroChecked, scalarToBytes } from '../curve/scalar.js';
import { FrostInputError } from '../errors.js';
import type { DKGOutput } from './chilldkg.js';
import { mulGenCompressed } from '../curve/native.js';

export function normalizeToEvenY(output: DKGOutput): DKGOutput {
  const Q = pointFromCompressed(output.threshPk, 'threshold public key');
  if (hasEvenY(Q)) return output;
  const negate = (pk: Uint8Array): Uint8Array => pointToCompressed((pointFromCompressed(pk) as GroupElement).negate());
  let secshare: Uint8Array | null = null;
  if (output.secshare !== null) {
    const s = scalarFromBytesNonzeroChecked(output.secshare, 'secret share');
    secshare = scalarToBytes(N - s);
    if (!output.pubshares.some((p) => mulGenCompressed(s).every((b, i) => b === p[i]))) {
      throw new FrostInputError('The secret share does not match any public share.');
    }
  }
  return { secshare, threshPk: pointToCompressed(Q.negate()), pubshares: output.pubshares.map(negate) };
}
