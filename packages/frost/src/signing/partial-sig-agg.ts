/** Partial signature aggregation (BIP445 "PartialSigAgg"). */
import { FrostInputError, InvalidContributionError } from '../errors.js';
import { hasEvenY, pointToXonly } from '../curve/point.js';
import { N, scalarFromBytesChecked, scalarToBytes } from '../curve/scalar.js';
import { type SessionContext, getSessionValues } from './session.js';

/**
 * BIP445 "PartialSigAgg": s = Σ s_i + e·g·tacc, signature = x(R) ‖ s. Scalar additions only; the
 * Taproot tweak enters here, applied by the aggregator. Blames a psig ≥ n on its index.
 */
export function partialSigAgg(psigs: readonly Uint8Array[], session: SessionContext): Uint8Array {
  const { Q, tacc, signers, R, e } = getSessionValues(session);
  if (psigs.length !== signers.ids.length) throw new FrostInputError('The psigs and ids arrays must have the same length.');
  let s = 0n;
  psigs.forEach((psig, idx) => {
    let s_i: bigint;
    try {
      s_i = scalarFromBytesChecked(psig);
    } catch {
      throw new InvalidContributionError(idx, 'psig');
    }
    s += s_i;
  });
  const g = hasEvenY(Q) ? 1n : N - 1n;
  s = (s + ((e * g) % N) * tacc) % N;
  const sig = new Uint8Array(64);
  sig.set(pointToXonly(R), 0);
  sig.set(scalarToBytes(s), 32);
  return sig;
}
