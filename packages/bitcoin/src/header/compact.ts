// Compact "nBits" encoding of a 256-bit target, bit-for-bit as Bitcoin Core's arith_uint256
// SetCompact/GetCompact (src/arith_uint256.cpp), including its sign and overflow flags.

const MASK_256 = (1n << 256n) - 1n;

export interface CompactTarget {
  /** The decoded target, truncated to 256 bits as Core's shift truncates it (meaningless when `overflow`). */
  target: bigint;
  /** The 0x00800000 sign bit is set and the mantissa is non-zero. */
  negative: boolean;
  /** The value does not fit in 256 bits. */
  overflow: boolean;
}

function assertU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`${what} must be a uint32, got ${value}`);
}

/** arith_uint256::SetCompact. */
export function decodeCompact(bits: number): CompactTarget {
  assertU32(bits, 'compact bits');
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = (BigInt(word) << BigInt(8 * (size - 3))) & MASK_256;
  }
  // Core's quirk: the sign test looks at the mantissa *after* the shift above, so 0x01803456 is not negative.
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow = word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** arith_uint256::GetCompact: the shortest compact form, never setting the sign bit unless asked. */
export function encodeCompact(target: bigint, negative = false): number {
  if (typeof target !== 'bigint' || target < 0n || target > MASK_256)
    throw new RangeError('target must be a bigint in [0, 2^256)');
  let size = Math.floor((bitLength(target) + 7) / 8);
  let compact: number;
  if (size <= 3) compact = Number(target << BigInt(8 * (3 - size)));
  else compact = Number(target >> BigInt(8 * (size - 3)));
  // 0x00800000 is the sign bit; if the mantissa would set it, move one byte into the exponent instead.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  compact |= size << 24;
  if (negative && (compact & 0x007fffff) !== 0) compact |= 0x00800000;
  return compact >>> 0;
}

/** The target for `bits` when it is usable for proof of work: not negative, not overflowed, not zero. */
export function targetFromBits(bits: number): bigint | undefined {
  const { target, negative, overflow } = decodeCompact(bits);
  return negative || overflow || target === 0n ? undefined : target;
}

/** Compact bits as the 8-digit hex Bitcoin Core prints ("1d00ffff"). */
export const bitsToHex = (bits: number): string => (bits >>> 0).toString(16).padStart(8, '0');

/** Parse "1d00ffff" (optionally 0x-prefixed) into a uint32. */
export function bitsFromHex(hex: string): number {
  if (typeof hex !== 'string' || !/^(0x)?[0-9a-fA-F]{1,8}$/.test(hex))
    throw new RangeError(`invalid compact bits "${hex}"`);
  return Number.parseInt(hex.replace(/^0x/, ''), 16) >>> 0;
}
