// Difficulty: GetNextWorkRequired / CalculateNextWorkRequired (Bitcoin Core src/pow.cpp), BIP94 for testnet4.
import { decodeCompact, encodeCompact } from './compact.js';
import type { NetworkParams } from './networks.js';

const MASK_256 = (1n << 256n) - 1n;

/**
 * What the difficulty rules need to know about the parent (Core's pindexLast). Instead of walking ancestors
 * like Core, the two ancestor-derived values are carried forward block by block, so the rule is O(1) and
 * a chain started from a checkpoint (or pruned) still has them.
 */
export interface DifficultyContext {
  height: number;
  time: number;
  bits: number;
  /** Time of the first block of the parent's epoch (height ⌊height/2016⌋·2016): the retarget's start. */
  epochStartTime: number;
  /** Bits of that block: BIP94's retarget base. */
  epochStartBits: number;
  /**
   * Core's min-difficulty walk-back from the parent: bits of the nearest block at or below it that is an
   * epoch start or does not carry powLimitBits. Only consulted where allowMinDifficultyBlocks.
   */
  lastNonMinDifficultyBits: number;
}

export interface RetargetInput {
  /** Bits and time of the epoch's last block (pindexLast). */
  lastBits: number;
  lastTime: number;
  /** Time and bits of the epoch's first block. */
  firstTime: number;
  firstBits: number;
}

/** CalculateNextWorkRequired: the bits of the first block of the next epoch. */
export function calculateNextWorkRequired(input: RetargetInput, params: NetworkParams): number {
  const { lastBits, lastTime, firstTime, firstBits } = input;
  for (const [k, v] of Object.entries(input))
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(`${k} must be a uint32, got ${v}`);
  if (params.noRetargeting) return lastBits;

  const span = params.powTargetTimespan;
  let actualTimespan = lastTime - firstTime;
  if (actualTimespan < span / 4) actualTimespan = span / 4;
  if (actualTimespan > span * 4) actualTimespan = span * 4;

  // BIP94: the first block of an epoch can never use the min-difficulty exception, so it holds the real
  // difficulty; the last block may not.
  const base = decodeCompact(params.enforceBIP94 ? firstBits : lastBits).target;
  // arith_uint256 multiplication wraps at 2^256; keep that (it cannot happen with the real powLimits).
  let target = ((base * BigInt(actualTimespan)) & MASK_256) / BigInt(span);
  if (target > params.powLimit) target = params.powLimit;
  return encodeCompact(target);
}

/** Whether a block at `height` starts a difficulty epoch. */
export const isEpochStart = (height: number, params: NetworkParams): boolean =>
  height % params.difficultyAdjustmentInterval === 0;

/** GetNextWorkRequired: the bits a child of `parent` with timestamp `time` must carry. */
export function requiredBits(parent: DifficultyContext, time: number, params: NetworkParams): number {
  const interval = params.difficultyAdjustmentInterval;
  if ((parent.height + 1) % interval !== 0) {
    if (params.allowMinDifficultyBlocks) {
      // testnet: a block more than 20 minutes after its parent may be mined at minimum difficulty;
      // otherwise it returns to the last "real" difficulty.
      if (time > parent.time + params.powTargetSpacing * 2) return params.powLimitBits;
      return parent.lastNonMinDifficultyBits;
    }
    return parent.bits;
  }
  return calculateNextWorkRequired(
    {
      lastBits: parent.bits,
      lastTime: parent.time,
      firstTime: parent.epochStartTime,
      firstBits: parent.epochStartBits,
    },
    params,
  );
}

/** The DifficultyContext of a block, from its own fields and its parent's context (undefined for genesis). */
export function childDifficultyContext(
  height: number,
  time: number,
  bits: number,
  parent: DifficultyContext | undefined,
  params: NetworkParams,
): DifficultyContext {
  const start = parent === undefined || isEpochStart(height, params);
  return {
    height,
    time,
    bits,
    epochStartTime: start ? time : parent.epochStartTime,
    epochStartBits: start ? bits : parent.epochStartBits,
    lastNonMinDifficultyBits: start || bits !== params.powLimitBits ? bits : parent.lastNonMinDifficultyBits,
  };
}
