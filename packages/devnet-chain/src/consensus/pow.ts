import { reverseBytes } from '@tapbridge/bitcoin';

/**
 * The target encoded by compact `bits` (Core's arith_uint256::SetCompact) for the positive, non-overflowing
 * values the devnet mines at. The header rules package checks the general case; the miner only needs this.
 */
export function targetFromBits(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  if ((bits & 0x00800000) !== 0) throw new RangeError(`bits ${bits.toString(16)} encode a negative target`);
  return exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
}

/** Core's GetBlockProof: 2^256 / (target + 1); 2 for regtest's powLimit. */
export function workFromBits(bits: number): bigint {
  return (1n << 256n) / (targetFromBits(bits) + 1n);
}

/** A block hash (internal byte order) read as the 256-bit number that must not exceed the target. */
export function hashToTargetNumber(hash: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(reverseBytes(hash)).toString('hex'));
}

export function meetsTarget(hash: Uint8Array, bits: number): boolean {
  return hashToTargetNumber(hash) <= targetFromBits(bits);
}
