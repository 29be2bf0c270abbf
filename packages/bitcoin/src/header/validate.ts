// The header rules in Core's order (AcceptBlockHeader → CheckBlockHeader → ContextualCheckBlockHeader),
// as one pure function over a header and the context the rules need.
import { equalBytes, hashToHex } from '../bytes.js';
import type { BlockHeader } from './codec.js';
import { encodeHeader, headerHash } from './codec.js';
import { bitsToHex } from './compact.js';
import { HeaderRuleError, type HeaderRule } from './errors.js';
import { MEDIAN_TIME_SPAN, medianTimePast } from './mtp.js';
import type { NetworkParams } from './networks.js';
import { proofOfWorkFailure, type ProofOfWorkFailure } from './pow.js';
import { isEpochStart, requiredBits, type DifficultyContext } from './retarget.js';
import { MAX_FUTURE_BLOCK_TIME, MAX_TIMEWARP, isTimewarp, isTooNew } from './timestamp.js';
import { minimumVersion } from './version.js';

/** The parent as the rules see it: its hash (internal order) and what the difficulty rules carry forward. */
export interface ParentContext extends DifficultyContext {
  hash: Uint8Array;
}

export interface HeaderContext {
  params: NetworkParams;
  parent: ParentContext;
  /** Timestamps of the parent and up to 10 of its ancestors (any order): the median-time-past window. */
  recentTimes: readonly number[];
  /** Our clock in seconds since the epoch, for the future-time rule. */
  now: number;
}

/**
 * Check `header` as a child of `context.parent`; throws HeaderRuleError naming the first broken rule.
 * `hash` (internal order) may be passed when already computed.
 */
export function validateHeader(header: BlockHeader, context: HeaderContext, hash?: Uint8Array): void {
  const { params, parent, recentTimes, now } = context;
  if (!Number.isSafeInteger(parent.height) || parent.height < 0)
    throw new RangeError('parent height must be ≥ 0');
  if (!(parent.hash instanceof Uint8Array) || parent.hash.length !== 32)
    throw new RangeError('parent hash must be 32 bytes');
  for (const field of [
    'time',
    'bits',
    'epochStartTime',
    'epochStartBits',
    'lastNonMinDifficultyBits',
  ] as const) {
    const v = parent[field];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(`parent ${field} must be a uint32, got ${v}`);
  }
  if (recentTimes.length < 1 || recentTimes.length > MEDIAN_TIME_SPAN)
    throw new RangeError(`recentTimes must hold 1 to ${MEDIAN_TIME_SPAN} timestamps`);
  if (recentTimes.length < MEDIAN_TIME_SPAN && recentTimes.length !== parent.height + 1)
    throw new RangeError('recentTimes must hold 11 timestamps, or all of them near genesis');
  if (!Number.isFinite(now)) throw new RangeError('now must be a number of seconds');
  const ownHash = hash ?? headerHash(encodeHeader(header));
  const pow = proofOfWorkFailure(ownHash, header.bits, params);
  checkHeaderRules(header, ownHash, pow, parent, parent.hash, medianTimePast(recentTimes), now, params);
}

// Module-level rather than a closure: the rules run for every header and should not allocate.
function fail(rule: HeaderRule, height: number, hash: Uint8Array, detail: string): never {
  throw new HeaderRuleError(rule, height, hashToHex(hash), detail);
}

/**
 * The rules after hashing, shared by validateHeader and HeaderChain (which supplies a cached proof-of-work
 * result and its own median time past so the hot path allocates nothing). `pow` is the proof-of-work verdict
 * for `hash` and `header.bits`; prefer validateHeader unless you are writing a chain.
 */
export function checkHeaderRules(
  header: BlockHeader,
  hash: Uint8Array,
  pow: ProofOfWorkFailure | undefined,
  parent: DifficultyContext,
  parentHash: Uint8Array,
  parentMedianTimePast: number,
  now: number,
  params: NetworkParams,
): void {
  const height = parent.height + 1;
  // CheckBlockHeader: context-free proof of work comes first in Core.
  if (pow === 'bad-target')
    fail(
      'bad-target',
      height,
      hash,
      `bits ${bitsToHex(header.bits)} is negative, zero, overflowed or above powLimit`,
    );
  if (pow === 'high-hash')
    fail('high-hash', height, hash, `hash above the target of bits ${bitsToHex(header.bits)}`);

  if (!equalBytes(header.prevHash, parentHash))
    fail(
      'prev-blk-not-found',
      height,
      hash,
      `previous block ${hashToHex(header.prevHash)} is not ${hashToHex(parentHash)}`,
    );

  const expected = requiredBits(parent, header.time, params);
  if (header.bits !== expected)
    fail('bad-diffbits', height, hash, `bits ${bitsToHex(header.bits)}, required ${bitsToHex(expected)}`);

  if (header.time <= parentMedianTimePast)
    fail(
      'time-too-old',
      height,
      hash,
      `time ${header.time} is not after median time past ${parentMedianTimePast}`,
    );

  if (params.enforceBIP94 && isEpochStart(height, params) && isTimewarp(header.time, parent.time))
    fail(
      'time-timewarp-attack',
      height,
      hash,
      `time ${header.time} is more than ${MAX_TIMEWARP} s before its parent's ${parent.time}`,
    );

  if (isTooNew(header.time, now))
    fail(
      'time-too-new',
      height,
      hash,
      `time ${header.time} is more than ${MAX_FUTURE_BLOCK_TIME} s after now (${now})`,
    );

  const minVersion = minimumVersion(height, params);
  if (header.version < minVersion)
    fail(
      'bad-version',
      height,
      hash,
      `version ${header.version} is below ${minVersion}, required from this height`,
    );
}
