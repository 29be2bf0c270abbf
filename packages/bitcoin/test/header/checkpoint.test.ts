import { describe, expect, it } from 'vitest';
import { decodeHeader, headerHashHex } from '../../src/header/codec.js';
import { HeaderChain } from '../../src/header/chain.js';
import {
  checkpointFromHeaders,
  checkpointToJson,
  parseCheckpoint,
  resolveCheckpoint,
  type Checkpoint,
} from '../../src/header/checkpoint.js';
import { CheckpointError } from '../../src/header/errors.js';
import { MAINNET, TESTNET3 } from '../../src/header/networks.js';
import { chainworkFromHex } from '../../src/header/work.js';
import { MAINNET_FILE, MAINNET_FIRST_HEIGHT, hasBitcoinData, readHeaderLines, readJson } from './fixtures.js';

const NOW = () => 1_800_000_000;

describe.skipIf(!hasBitcoinData)('checkpoints on real mainnet headers (needs ../shared/bitcoin-data)', () => {
  const headers = readHeaderLines(MAINNET_FILE);
  const chainwork = readJson<{ chainwork: Record<string, string> }>('mainnet/chainwork.json').chainwork;

  it('from headers not starting an epoch, trusts up to the next epoch start and validates from there', () => {
    const { checkpoint, trusted } = checkpointFromHeaders(
      headers.slice(2),
      MAINNET_FIRST_HEIGHT + 2,
      0n,
      MAINNET,
    );
    expect(checkpoint.height).toBe(824544);
    expect(trusted).toBe(2015);
    expect(checkpoint.epochStart).toEqual({ time: decodeHeader(headers[2016]!).time, bits: 0x1703d869 });
    const chain = new HeaderChain(MAINNET, { checkpoint, now: NOW });
    for (const raw of headers.slice(2 + trusted)) chain.add(raw);
    expect(chain.height).toBe(830592);
    // Whatever the starting chainwork, the work added above the checkpoint is the real difference.
    const absolute = chainworkFromHex(chainwork['830592']!) - chainworkFromHex(chainwork['824544']!);
    expect(chain.tip.chainwork - chain.root.chainwork).toBe(absolute);
  });

  it('round-trips through JSON and rebuilds the same chain', () => {
    const { checkpoint } = checkpointFromHeaders(
      headers,
      MAINNET_FIRST_HEIGHT,
      chainworkFromHex(chainwork['822528']!),
      MAINNET,
    );
    const json = JSON.parse(JSON.stringify(checkpointToJson(checkpoint))) as unknown;
    const parsed = parseCheckpoint(json);
    expect(parsed).toEqual(checkpoint);
    expect(resolveCheckpoint(parsed, MAINNET).difficulty.epochStartBits).toBe(0x1703e8b3);
  });

  it('rejects checkpoints that disagree with themselves', () => {
    const { checkpoint } = checkpointFromHeaders(headers, MAINNET_FIRST_HEIGHT, 1n << 90n, MAINNET);
    const bad = (patch: Partial<Checkpoint>) => () => resolveCheckpoint({ ...checkpoint, ...patch }, MAINNET);
    expect(bad({ hash: headerHashHex(headers[0]!) })).toThrow(CheckpointError);
    expect(bad({ prevTimestamps: checkpoint.prevTimestamps.slice(1) })).toThrow(/prevTimestamps/);
    expect(bad({ epochStart: undefined })).toThrow(/epochStart/);
    expect(bad({ chainwork: 5n })).toThrow(/chainwork/);
    expect(bad({ header: 'zz' })).toThrow(/80 bytes/);
    expect(bad({ bits: 0x1d00ffff })).toThrow(/bits 1d00ffff disagree/);
    expect(bad({ time: 1 })).toThrow(/time 1 disagrees/);
    expect(() => parseCheckpoint({ height: 1 })).toThrow(CheckpointError);
    expect(() => checkpointFromHeaders(headers.slice(0, 5), MAINNET_FIRST_HEIGHT, 0n, MAINNET)).toThrow(
      /need 11/,
    );
    // A broken trusted prefix is still caught.
    expect(() =>
      checkpointFromHeaders(
        [headers[0]!, headers[2]!, ...headers.slice(3)],
        MAINNET_FIRST_HEIGHT,
        0n,
        MAINNET,
      ),
    ).toThrow(/prev-blk-not-found/);
  });

  it('a testnet checkpoint at minimum difficulty needs lastNonMinDifficultyBits', () => {
    const fx = readJson<{
      testnet3MinDifficultyBlock: { child: { header: string; hash: string; height: number; time: number } };
    }>('testnet/testnet-fixtures.json').testnet3MinDifficultyBlock.child;
    const cp: Checkpoint = {
      height: fx.height,
      hash: fx.hash,
      header: fx.header,
      chainwork: 1n << 80n,
      prevTimestamps: Array.from({ length: 10 }, (_, i) => fx.time - 6000 + i * 600),
      epochStart: { time: fx.time - 900_000, bits: 0x1a00ffff },
    };
    expect(() => resolveCheckpoint(cp, TESTNET3)).toThrow(/lastNonMinDifficultyBits/);
    expect(
      resolveCheckpoint({ ...cp, lastNonMinDifficultyBits: 0x1a00ffff }, TESTNET3).difficulty
        .lastNonMinDifficultyBits,
    ).toBe(0x1a00ffff);
    expect(() => resolveCheckpoint({ ...cp, height: 0, prevTimestamps: [] }, TESTNET3)).toThrow(/genesis/);
  });
});
