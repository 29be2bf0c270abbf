import type { Block } from '@tapbridge/bitcoin';
import { BlockMismatchError } from './errors.js';
import { verifyServedBlock, type ValidatedHeaderRef } from './served-block.js';

/** The part of @tapbridge/chain-source's ChainSource the indexer fetches blocks with. */
export interface RawBlockSource {
  readonly name: string;
  getRawBlock(hash: string): Promise<Uint8Array>;
}

/** A block checked against its validated header; only verifyServedBlock's callers here make one. */
export interface VerifiedBlock {
  ref: ValidatedHeaderRef;
  block: Block;
  /** The source that served it. */
  source: string;
}

/** No source served the validated block; `attempts` says what each one did. */
export class BlockUnavailableError extends Error {
  override readonly name = 'BlockUnavailableError';
  constructor(
    readonly blockHash: string,
    readonly attempts: ReadonlyArray<{ source: string; error: Error }>,
  ) {
    super(`block ${blockHash}: no source served it (${attempts.map((a) => `${a.source}: ${a.error.message}`).join('; ')})`);
  }
}

/**
 * Asks each source in turn for the block a header event names and returns the first one that is exactly that
 * block. A source that fails or serves other bytes is skipped (a lying source must not be able to stall or
 * poison the indexer while an honest one is reachable); if none serves it, BlockUnavailableError.
 */
export async function fetchVerifiedBlock(ref: ValidatedHeaderRef, sources: readonly RawBlockSource[]): Promise<VerifiedBlock> {
  if (sources.length === 0) throw new RangeError('no block sources');
  const attempts: Array<{ source: string; error: Error }> = [];
  for (const source of sources) {
    try {
      const raw = await source.getRawBlock(ref.hash);
      return { ref, block: verifyServedBlock(raw, ref), source: source.name };
    } catch (e) {
      attempts.push({ source: source.name, error: e instanceof Error ? e : new Error(String(e)) });
    }
  }
  throw new BlockUnavailableError(ref.hash, attempts);
}

export const isBlockMismatch = (e: unknown): e is BlockMismatchError => e instanceof BlockMismatchError;
