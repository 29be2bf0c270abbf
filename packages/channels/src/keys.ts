// Points and scalars for BOLT 3's revocation keys, on compressed (33-byte) points as BOLT 3 writes them.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';

const { Point } = secp256k1;
const N = Point.Fn.ORDER;

const scalar = (bytes: Uint8Array): bigint => BigInt('0x' + bytesToHex(bytes));
const scalarBytes = (k: bigint): Uint8Array => hexToBytes(k.toString(16).padStart(64, '0'));

function secretScalar(secret: Uint8Array, what: string): bigint {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new ChannelError(`${what} must be 32 bytes`);
  const k = scalar(secret);
  if (k === 0n || k >= N) throw new ChannelError(`${what} is not a valid secp256k1 secret key`);
  return k;
}

function point(bytes: Uint8Array, what: string): InstanceType<typeof Point> {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 33) throw new ChannelError(`${what} must be a 33-byte compressed point`);
  try {
    return Point.fromBytes(bytes);
  } catch {
    throw new ChannelError(`${what} is not a secp256k1 point`);
  }
}

/** The compressed point of a secret (per-commitment point from its secret, basepoint from its secret). */
export function pointOf(secret: Uint8Array): Uint8Array {
  return Point.BASE.multiply(secretScalar(secret, 'secret')).toBytes(true);
}

/** x-only form (BIP340) of a compressed point. */
export function xOnly(compressed: Uint8Array): Uint8Array {
  point(compressed, 'point');
  return compressed.slice(1);
}

/**
 * BOLT 3 revocationpubkey = basepoint·SHA256(basepoint ‖ pcp) + pcp·SHA256(pcp ‖ basepoint). The basepoint is the
 * counterparty's, the per-commitment point the holder's: neither side alone knows its secret until the holder
 * reveals the per-commitment secret (revokes the state).
 */
export function revocationPubkey(revocationBasepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  const rb = point(revocationBasepoint, 'revocation basepoint');
  const pcp = point(perCommitmentPoint, 'per-commitment point');
  const a = scalar(sha256(concatBytes(revocationBasepoint, perCommitmentPoint))) % N;
  const b = scalar(sha256(concatBytes(perCommitmentPoint, revocationBasepoint))) % N;
  const key = rb.multiply(a).add(pcp.multiply(b));
  if (key.equals(Point.ZERO)) throw new ChannelError('revocation key is the point at infinity');
  return key.toBytes(true);
}

/** The matching secret: revocation_basepoint_secret·SHA256(basepoint ‖ pcp) + per_commitment_secret·SHA256(pcp ‖ basepoint). */
export function revocationSecretKey(revocationBasepointSecret: Uint8Array, perCommitmentSecret: Uint8Array): Uint8Array {
  const rbs = secretScalar(revocationBasepointSecret, 'revocation basepoint secret');
  const pcs = secretScalar(perCommitmentSecret, 'per-commitment secret');
  const rb = Point.BASE.multiply(rbs).toBytes(true);
  const pcp = Point.BASE.multiply(pcs).toBytes(true);
  const a = scalar(sha256(concatBytes(rb, pcp))) % N;
  const b = scalar(sha256(concatBytes(pcp, rb))) % N;
  const k = (rbs * a + pcs * b) % N;
  if (k === 0n) throw new ChannelError('revocation secret is zero');
  return scalarBytes(k);
}
