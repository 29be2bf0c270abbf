// fetchVerifiedBlock: a source that fails or serves other bytes is passed over for the next one; none → typed error.
import { describe, expect, it } from 'vitest';
import { BlockUnavailableError, fetchVerifiedBlock, type RawBlockSource } from '../src/index.js';
import { mineBlock, payment } from '../src/testing/index.js';

const source = (name: string, serve: () => Uint8Array): RawBlockSource => ({ name, getRawBlock: async () => serve() });

describe('fetchVerifiedBlock', () => {
  const block = mineBlock(undefined, [payment([{ value: 1_000n, scriptPubKey: Uint8Array.of(0x51) }])]);
  const other = mineBlock(undefined, [], 9);

  it('skips a failing and a lying source and returns the first block that is the validated one', async () => {
    const got = await fetchVerifiedBlock(block.ref, [
      source('down', () => {
        throw new Error('connection refused');
      }),
      source('liar', () => other.raw),
      source('honest', () => block.raw),
    ]);
    expect(got.source).toBe('honest');
    expect(got.block.txs).toHaveLength(2);
  });

  it('throws BlockUnavailableError naming what each source did when none serves it', async () => {
    const tampered = block.raw.slice();
    tampered[tampered.length - 5]! ^= 0xff;
    const err = await fetchVerifiedBlock(block.ref, [source('liar', () => other.raw), source('tamperer', () => tampered)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockUnavailableError);
    expect((err as BlockUnavailableError).attempts.map((a) => [a.source, (a.error as { code?: string }).code])).toEqual([
      ['liar', 'header-mismatch'],
      ['tamperer', 'commitment-mismatch'],
    ]);
  });
});
