// Checkpoints: start a header chain at a trusted block instead of genesis.
import { z } from 'zod';
import { bytesToHex, equalBytes, hashToHex, hexToBytes } from '../bytes.js';
import { HEADER_SIZE, decodeHeader, headerHash } from './codec.js';
import { bitsFromHex, bitsToHex } from './compact.js';
import { CheckpointError, HeaderRuleError } from './errors.js';
import { MEDIAN_TIME_SPAN } from './mtp.js';
import type { NetworkParams } from './networks.js';
import { proofOfWorkFailure } from './pow.js';
import { childDifficultyContext, isEpochStart, type DifficultyContext } from './retarget.js';
import { blockWork, chainworkFromHex, chainworkToHex } from './work.js';

/**
 * A trusted best-chain block to start from, with exactly what the rules need to validate its descendants:
 *
 * - `height`, `hash` (display order), `header` (the 80 bytes as hex): the block itself. `hash` must match
 *   `header`. `bits` and `time` (as getblockheader prints them) are optional: the header holds them, and when
 *   given they must agree with it, which catches a checkpoint assembled from the wrong block.
 * - `chainwork`: cumulative work up to and including this block (getblockheader .chainwork), hex or bigint, so
 *   that fork choice compares real totals. A chain started from it reports chainwork on the same scale.
 * - `prevTimestamps`: the times of the 10 blocks before it, oldest first (all of them when height < 10). With
 *   its own time they form the median-time-past window of its child.
 * - `epochStart`: time and bits of the first block of its difficulty epoch (height ⌊height/2016⌋·2016). The next
 *   retarget measures the timespan from that time, and BIP94 (testnet4) takes that bits as the base. May be
 *   omitted when the checkpoint itself starts an epoch.
 * - `lastNonMinDifficultyBits`: testnet3/testnet4/regtest only: bits of the nearest block at or below it that
 *   starts an epoch or is not at minimum difficulty (Core's walk-back). May be omitted when the checkpoint itself
 *   is such a block.
 *
 * A service that restarts rebuilds its chain from a stored checkpoint (see HeaderChain.checkpointAt) and then
 * re-adds its stored best-chain headers above it.
 */
export interface Checkpoint {
  height: number;
  hash: string;
  header: string;
  chainwork: bigint | string;
  prevTimestamps: readonly number[];
  bits?: number;
  time?: number;
  epochStart?: { time: number; bits: number };
  lastNonMinDifficultyBits?: number;
}

/** A checkpoint checked against itself and the network, with everything derived. */
export interface ResolvedCheckpoint {
  raw: Uint8Array;
  hash: Uint8Array;
  chainwork: bigint;
  /** Up to 10 ancestor times, nearest first. */
  ancestorTimes: number[];
  difficulty: DifficultyContext;
}

const u32 = z.number().int().min(0).max(0xffffffff);
const hexBits = z.string().regex(/^(0x)?[0-9a-fA-F]{1,8}$/);

/** The JSON form of a checkpoint: bits as "1d00ffff", chainwork as hex. */
export const checkpointJsonSchema = z.object({
  height: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-fA-F]{64}$/),
  header: z.string().regex(/^[0-9a-fA-F]{160}$/),
  chainwork: z.string().regex(/^(0x)?[0-9a-fA-F]{1,64}$/),
  prevTimestamps: z.array(u32).max(MEDIAN_TIME_SPAN - 1),
  bits: hexBits.optional(),
  time: u32.optional(),
  epochStart: z.object({ time: u32, bits: hexBits }).optional(),
  lastNonMinDifficultyBits: hexBits.optional(),
});
export type CheckpointJson = z.infer<typeof checkpointJsonSchema>;

/** Parse a checkpoint from its JSON form (e.g. a file given to `tapbridge headers verify --checkpoint`). */
export function parseCheckpoint(json: unknown): Checkpoint {
  const parsed = checkpointJsonSchema.safeParse(json);
  if (!parsed.success) throw new CheckpointError(`invalid checkpoint: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  return {
    height: c.height,
    hash: c.hash.toLowerCase(),
    header: c.header.toLowerCase(),
    chainwork: chainworkFromHex(c.chainwork),
    prevTimestamps: c.prevTimestamps,
    ...(c.bits !== undefined ? { bits: bitsFromHex(c.bits) } : {}),
    ...(c.time !== undefined ? { time: c.time } : {}),
    ...(c.epochStart
      ? { epochStart: { time: c.epochStart.time, bits: bitsFromHex(c.epochStart.bits) } }
      : {}),
    ...(c.lastNonMinDifficultyBits
      ? { lastNonMinDifficultyBits: bitsFromHex(c.lastNonMinDifficultyBits) }
      : {}),
  };
}

export function checkpointToJson(checkpoint: Checkpoint): CheckpointJson {
  const cw =
    typeof checkpoint.chainwork === 'bigint' ? checkpoint.chainwork : chainworkFromHex(checkpoint.chainwork);
  return {
    height: checkpoint.height,
    hash: checkpoint.hash,
    header: checkpoint.header,
    chainwork: chainworkToHex(cw),
    prevTimestamps: [...checkpoint.prevTimestamps],
    ...(checkpoint.bits !== undefined ? { bits: bitsToHex(checkpoint.bits) } : {}),
    ...(checkpoint.time !== undefined ? { time: checkpoint.time } : {}),
    ...(checkpoint.epochStart
      ? { epochStart: { time: checkpoint.epochStart.time, bits: bitsToHex(checkpoint.epochStart.bits) } }
      : {}),
    ...(checkpoint.lastNonMinDifficultyBits !== undefined
      ? { lastNonMinDifficultyBits: bitsToHex(checkpoint.lastNonMinDifficultyBits) }
      : {}),
  };
}

/** Check a checkpoint for consistency with itself and the network; throws CheckpointError. */
export function resolveCheckpoint(checkpoint: Checkpoint, params: NetworkParams): ResolvedCheckpoint {
  const fail = (why: string): never => {
    throw new CheckpointError(`checkpoint at height ${checkpoint.height}: ${why}`);
  };
  if (!Number.isSafeInteger(checkpoint.height) || checkpoint.height < 0)
    fail('height must be a non-negative integer');
  let raw: Uint8Array;
  try {
    raw = hexToBytes(checkpoint.header, HEADER_SIZE);
  } catch {
    return fail('header must be 80 bytes of hex');
  }
  const hash = headerHash(raw);
  if (hashToHex(hash) !== checkpoint.hash.toLowerCase())
    fail(`hash ${checkpoint.hash} does not match its header (${hashToHex(hash)})`);
  const header = decodeHeader(raw);
  if (proofOfWorkFailure(hash, header.bits, params) !== undefined)
    fail(`header does not meet its own target on ${params.name}`);
  if (checkpoint.height === 0 && !equalBytes(raw, hexToBytes(params.genesisHeader)))
    fail(`not the ${params.name} genesis`);
  if (checkpoint.bits !== undefined && checkpoint.bits !== header.bits)
    fail(`bits ${bitsToHex(checkpoint.bits)} disagree with its header (${bitsToHex(header.bits)})`);
  if (checkpoint.time !== undefined && checkpoint.time !== header.time)
    fail(`time ${checkpoint.time} disagrees with its header (${header.time})`);

  let chainwork: bigint;
  try {
    chainwork =
      typeof checkpoint.chainwork === 'bigint'
        ? checkpoint.chainwork
        : chainworkFromHex(checkpoint.chainwork);
  } catch {
    return fail('chainwork must be a bigint or hex');
  }
  if (chainwork < blockWork(header.bits)) fail('chainwork is less than the work of the block itself');

  const wanted = Math.min(MEDIAN_TIME_SPAN - 1, checkpoint.height);
  if (checkpoint.prevTimestamps.length !== wanted)
    fail(
      `prevTimestamps must hold the ${wanted} timestamps before it, got ${checkpoint.prevTimestamps.length}`,
    );
  for (const t of checkpoint.prevTimestamps)
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) fail(`invalid timestamp ${t}`);

  const startsEpoch = isEpochStart(checkpoint.height, params);
  let epochStart = checkpoint.epochStart;
  if (startsEpoch) {
    if (epochStart && (epochStart.time !== header.time || epochStart.bits !== header.bits))
      fail('it starts an epoch, so epochStart must be its own time and bits');
    epochStart = { time: header.time, bits: header.bits };
  } else if (!epochStart) {
    return fail('epochStart (time and bits of the first block of its epoch) is required');
  }

  let lastNonMin = checkpoint.lastNonMinDifficultyBits;
  const ownIsReal = startsEpoch || header.bits !== params.powLimitBits;
  if (ownIsReal) {
    if (lastNonMin !== undefined && lastNonMin !== header.bits)
      fail('lastNonMinDifficultyBits must equal its own bits: it is itself not a min-difficulty block');
    lastNonMin = header.bits;
  } else if (lastNonMin === undefined) {
    if (params.allowMinDifficultyBlocks)
      return fail('lastNonMinDifficultyBits is required: it is a min-difficulty block');
    lastNonMin = header.bits;
  }

  return {
    raw,
    hash,
    chainwork,
    ancestorTimes: [...checkpoint.prevTimestamps].reverse(),
    difficulty: {
      height: checkpoint.height,
      time: header.time,
      bits: header.bits,
      epochStartTime: epochStart.time,
      epochStartBits: epochStart.bits,
      lastNonMinDifficultyBits: lastNonMin,
    },
  };
}

/**
 * Derive a checkpoint from consecutive known-good headers, the first at `firstHeight` with cumulative work
 * `firstChainwork`. The checkpoint is the earliest header that has all the context the rules need inside
 * the list: 10 timestamps before it and its epoch's first block. That is index 10 when the first header
 * starts an epoch, else the next epoch start (up to 2015 headers later). Returns it and how many leading
 * headers it consumed (`trusted`); validation proceeds from headers[trusted].
 * Links and proof of work of the trusted headers are still checked.
 */
export function checkpointFromHeaders(
  headers: readonly Uint8Array[],
  firstHeight: number,
  firstChainwork: bigint,
  params: NetworkParams,
): { checkpoint: Checkpoint; trusted: number } {
  if (!Number.isSafeInteger(firstHeight) || firstHeight < 0) throw new RangeError('firstHeight must be ≥ 0');
  if (typeof firstChainwork !== 'bigint' || firstChainwork < 0n)
    throw new RangeError('firstChainwork must be a bigint ≥ 0');
  const interval = params.difficultyAdjustmentInterval;
  const toEpochStart = (interval - (firstHeight % interval)) % interval;
  const index = Math.max(firstHeight === 0 ? 0 : MEDIAN_TIME_SPAN - 1, toEpochStart);
  if (headers.length <= index)
    throw new CheckpointError(
      `need ${index + 1} leading headers from height ${firstHeight} to derive a checkpoint, got ${headers.length}`,
    );

  let chainwork = firstChainwork;
  let difficulty: DifficultyContext | undefined;
  const times: number[] = [];
  let prevHash: Uint8Array | undefined;
  for (let i = 0; i <= index; i++) {
    const raw = headers[i]!;
    const hash = headerHash(raw);
    const header = decodeHeader(raw);
    const height = firstHeight + i;
    const pow = proofOfWorkFailure(hash, header.bits, params);
    if (pow) throw new HeaderRuleError(pow, height, hashToHex(hash), 'a trusted header fails proof of work');
    if (prevHash && !equalBytes(header.prevHash, prevHash))
      throw new HeaderRuleError(
        'prev-blk-not-found',
        height,
        hashToHex(hash),
        'trusted headers are not consecutive',
      );
    if (i > 0) chainwork += blockWork(header.bits);
    // Before the first epoch start the context is incomplete; it is only read from the epoch start on.
    difficulty = childDifficultyContext(
      height,
      header.time,
      header.bits,
      i === 0 ? undefined : difficulty,
      params,
    );
    times.push(header.time);
    prevHash = hash;
  }
  const last = headers[index]!;
  const d = difficulty!;
  return {
    trusted: index + 1,
    checkpoint: {
      height: firstHeight + index,
      hash: hashToHex(prevHash!),
      header: bytesToHex(last),
      bits: d.bits,
      time: d.time,
      chainwork,
      prevTimestamps: times.slice(Math.max(0, times.length - MEDIAN_TIME_SPAN), -1),
      epochStart: { time: d.epochStartTime, bits: d.epochStartBits },
      lastNonMinDifficultyBits: d.lastNonMinDifficultyBits,
    },
  };
}
