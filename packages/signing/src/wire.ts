/** Field schemas shared by protocol messages and signing requests (lowercase hex on the wire). */
import { z } from 'zod';

export const hexOf = (bytes: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${what} must be ${bytes} bytes of lowercase hex`);
export const hexBytes = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'must be lowercase hex');
export const hex32 = hexOf(32, 'value');
/** Compressed secp256k1 point (host keys, pubshares, threshold key). */
export const point33 = hexOf(33, 'compressed point');
/** BIP445 pubnonce R1 ‖ R2. */
export const pubnonce66 = hexOf(66, 'pubnonce');
/** Session and request ids: printable, bounded, no separators that could be confused on a subject. */
export const sessionId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._/#-]{0,127}$/, 'must be 1-128 characters of [A-Za-z0-9:._/#-]');
/** 0 = the coordinator, 1..n = signer index. */
export const partyId = z.number().int().min(0).max(65_535);
export const signerIndex = z.number().int().min(1).max(65_535);
