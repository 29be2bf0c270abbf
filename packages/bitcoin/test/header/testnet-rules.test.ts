// The testnet min-difficulty exception through HeaderChain, including across a checkpoint. Real testnet
// difficulty cannot be mined in a test, so this uses testnet3 rules with regtest's powLimit (bits 207fffff as
// "minimum", 2000ffff as a real difficulty that takes ~256 tries to mine). A mined BIP94 retarget is out of
// reach for the same reason (with targets this easy, target × timespan wraps at 2^256 in Core's arithmetic,
// which is why regtest disables retargeting); BIP94's base is covered in retarget.test.ts.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToHash } from '../../src/bytes.js';
import { headerHashHex } from '../../src/header/codec.js';
import { HeaderChain } from '../../src/header/chain.js';
import type { Checkpoint } from '../../src/header/checkpoint.js';
import { HeaderRuleError } from '../../src/header/errors.js';
import { REGTEST, TESTNET3, type NetworkParams } from '../../src/header/networks.js';
import { mine } from './fixtures.js';

const easy = (p: NetworkParams): NetworkParams => ({
  ...p,
  powLimit: REGTEST.powLimit,
  powLimitBits: REGTEST.powLimitBits,
});
const EASY3 = easy(TESTNET3);
const MIN = REGTEST.powLimitBits;
const REAL = 0x2000ffff;
const T0 = 1_700_000_000;
const NOW = () => T0 + 10_000_000;

function checkpointAt(
  params: NetworkParams,
  height: number,
  time: number,
  bits: number,
  extra: Partial<Checkpoint>,
): Checkpoint {
  const raw = mine(params, {
    version: 0x20000000,
    prevHash: new Uint8Array(32).fill(1),
    merkleRoot: new Uint8Array(32),
    time,
    bits,
  });
  return {
    height,
    hash: headerHashHex(raw),
    header: bytesToHex(raw),
    chainwork: 1n << 40n,
    prevTimestamps: Array.from({ length: 10 }, (_, i) => time - 6000 + i * 600),
    ...extra,
  };
}

function rule(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof HeaderRuleError) return e.rule;
    throw e;
  }
  return 'accepted';
}

describe('testnet min-difficulty rule in a HeaderChain', () => {
  it('allows minimum difficulty after 20 minutes, then walks back to the real difficulty, across a restart', () => {
    const cp = checkpointAt(EASY3, 1000, T0, REAL, { epochStart: { time: T0 - 600 * 16, bits: REAL } });
    const chain = new HeaderChain(EASY3, { checkpoint: cp, now: NOW });
    const child = (parentHash: string, time: number, bits: number, salt = 0) =>
      mine(EASY3, {
        version: 0x20000000,
        prevHash: hexToHash(parentHash),
        merkleRoot: new Uint8Array(32).fill(salt),
        time,
        bits,
      });

    // 10 minutes later: minimum difficulty is not allowed.
    expect(rule(() => chain.add(child(cp.hash, T0 + 600, MIN)))).toBe('bad-diffbits');
    const a = chain.add(child(cp.hash, T0 + 600, REAL)).entry;
    // 1201 s later: minimum difficulty is allowed (and exactly 1200 s is not).
    expect(rule(() => chain.add(child(a.hash, a.header.time + 1200, MIN)))).toBe('bad-diffbits');
    const b = chain.add(child(a.hash, a.header.time + 1201, MIN)).entry;
    const c = chain.add(child(b.hash, b.header.time + 1500, MIN)).entry;
    // Back to a normal gap: the walk-back skips b and c and requires a's real difficulty.
    expect(rule(() => chain.add(child(c.hash, c.header.time + 600, MIN)))).toBe('bad-diffbits');

    // A checkpoint taken at the min-difficulty block c carries the walk-back result.
    const saved = chain.checkpointAt(c.height);
    expect(saved.lastNonMinDifficultyBits).toBe(REAL);
    const restarted = new HeaderChain(EASY3, { checkpoint: saved, now: NOW });
    const d = child(c.hash, c.header.time + 600, REAL);
    expect(restarted.add(d).status).toBe('connected');
    expect(chain.add(d).status).toBe('connected');
  });
});
