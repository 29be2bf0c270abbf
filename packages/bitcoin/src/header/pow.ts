// Proof of work: CheckProofOfWork (src/pow.cpp). Hashes are compared in internal byte order, which is the
// little-endian encoding of the 256-bit number, so no BigInt is needed per header.
import { decodeCompact } from './compact.js';
import type { NetworkParams } from './networks.js';

export type ProofOfWorkFailure = 'bad-target' | 'high-hash';

/** Little-endian 32-byte form of a target, the same orientation as an internal-order hash. */
function targetToLE(target: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = target;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** hash ≤ target, both little-endian 32 bytes. */
function hashMeetsTarget(hash: Uint8Array, targetLE: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const h = hash[i]!;
    const t = targetLE[i]!;
    if (h !== t) return h < t;
  }
  return true;
}

function assertHash(hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== 32)
    throw new RangeError('hash must be 32 bytes in internal order');
}

/**
 * Why `hash` (internal order) fails proof of work for `bits`, or undefined when it passes:
 * 'bad-target' for a negative, zero, overflowed or above-powLimit target, 'high-hash' for a hash above it.
 */
export function proofOfWorkFailure(
  hash: Uint8Array,
  bits: number,
  params: NetworkParams,
): ProofOfWorkFailure | undefined {
  assertHash(hash);
  const { target, negative, overflow } = decodeCompact(bits);
  if (negative || overflow || target === 0n || target > params.powLimit) return 'bad-target';
  return hashMeetsTarget(hash, targetToLE(target)) ? undefined : 'high-hash';
}

/** Core's CheckProofOfWork: true when the target is well-formed, within powLimit, and the hash meets it. */
export function checkProofOfWork(hash: Uint8Array, bits: number, params: NetworkParams): boolean {
  return proofOfWorkFailure(hash, bits, params) === undefined;
}

/**
 * The same check for a stream of headers: targets are decoded once per distinct bits value and compared
 * byte-wise. Bounded so junk bits cannot grow the cache.
 */
export class ProofOfWorkChecker {
  private readonly targets = new Map<number, Uint8Array | null>();
  private lastBits = -1;
  private lastTarget: Uint8Array | null = null;

  constructor(
    private readonly params: NetworkParams,
    private readonly capacity = 256,
  ) {}

  check(hash: Uint8Array, bits: number): ProofOfWorkFailure | undefined {
    let target: Uint8Array | null | undefined;
    if (bits === this.lastBits) target = this.lastTarget;
    else {
      target = this.targets.get(bits);
      if (target === undefined) {
        const decoded = decodeCompact(bits);
        const bad =
          decoded.negative ||
          decoded.overflow ||
          decoded.target === 0n ||
          decoded.target > this.params.powLimit;
        target = bad ? null : targetToLE(decoded.target);
        if (this.targets.size >= this.capacity) this.targets.clear();
        this.targets.set(bits, target);
      }
      this.lastBits = bits;
      this.lastTarget = target;
    }
    if (target === null) return 'bad-target';
    return hashMeetsTarget(hash, target) ? undefined : 'high-hash';
  }
}
