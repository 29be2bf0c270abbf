import { decodeCompact } from './compact.js';

const TWO_256 = 1n << 256n;

/**
 * Expected number of hashes to meet the target of `bits`: 2^256 / (target + 1), as Core's GetBlockProof.
 * A malformed target (negative, overflowed or zero) proves nothing, so its work is 0.
 */
export function blockWork(bits: number): bigint {
  const { target, negative, overflow } = decodeCompact(bits);
  if (negative || overflow || target === 0n) return 0n;
  return TWO_256 / (target + 1n);
}

/** Chainwork as getblockheader prints it: 64 hex digits, big-endian. */
export function chainworkToHex(chainwork: bigint): string {
  if (typeof chainwork !== 'bigint' || chainwork < 0n || chainwork >= TWO_256)
    throw new RangeError('chainwork must be a bigint in [0, 2^256)');
  return chainwork.toString(16).padStart(64, '0');
}

/** Parse chainwork from hex (with or without 0x, any length up to 64 digits). */
export function chainworkFromHex(hex: string): bigint {
  if (typeof hex !== 'string' || !/^(0x)?[0-9a-fA-F]{1,64}$/.test(hex))
    throw new RangeError(`invalid chainwork "${hex}"`);
  return BigInt('0x' + hex.replace(/^0x/, ''));
}

/**
 * Memoises blockWork per bits value: bits change once per 2016 blocks, so the BigInt division runs rarely.
 * Bounded so a stream of junk bits cannot grow it without limit.
 */
export class BlockWorkCache {
  private readonly cache = new Map<number, bigint>();
  constructor(private readonly capacity = 256) {}

  get(bits: number): bigint {
    let work = this.cache.get(bits);
    if (work === undefined) {
      if (this.cache.size >= this.capacity) this.cache.clear();
      work = blockWork(bits);
      this.cache.set(bits, work);
    }
    return work;
  }
}
