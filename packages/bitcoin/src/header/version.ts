// Version rules: once BIP34, BIP66 and BIP65 are active, versions below 2, 3 and 4 are rejected
// (ContextualCheckBlockHeader, "bad-version"). nVersion is a signed 32-bit integer, so negatives fail too.
import type { NetworkParams } from './networks.js';

/** The smallest version a header at `height` may carry (-2^31, i.e. anything, before BIP34). */
export function minimumVersion(height: number, params: NetworkParams): number {
  let min = -0x80000000;
  if (height >= params.bip34Height) min = Math.max(min, 2);
  if (height >= params.bip66Height) min = Math.max(min, 3);
  if (height >= params.bip65Height) min = Math.max(min, 4);
  return min;
}
