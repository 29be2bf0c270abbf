import { describe, expect, it } from 'vitest';
import { hexToBytes, hexToHash } from '../../src/bytes.js';
import { decodeHeader, headerHash } from '../../src/header/codec.js';
import { bitsFromHex } from '../../src/header/compact.js';
import { MAINNET, REGTEST } from '../../src/header/networks.js';
import { ProofOfWorkChecker, checkProofOfWork, proofOfWorkFailure } from '../../src/header/pow.js';
import { blockWork, chainworkFromHex, chainworkToHex } from '../../src/header/work.js';
import { MAINNET_FILE, MAINNET_FIRST_HEIGHT, hasBitcoinData, readHeaderLines, readJson } from './fixtures.js';

interface PowCase {
  name: string;
  bits: string;
  hash: string;
}

describe.skipIf(!hasBitcoinData)("proof of work: Core's CheckProofOfWork vectors and real headers (needs ../shared/bitcoin-data)", () => {
  const cases = readJson<{ checkProofOfWorkInvalid: { cases: PowCase[] } }>(
    'vectors/bitcoin-core-pow-vectors.json',
  ).checkProofOfWorkInvalid.cases;

  it.each(cases.map((c) => [c.name, c] as const))('%s is rejected with the precise reason', (name, c) => {
    const hash = hexToHash(c.hash);
    const bits = bitsFromHex(c.bits);
    expect(checkProofOfWork(hash, bits, MAINNET)).toBe(false);
    const expected = name.includes('hash') ? 'high-hash' : 'bad-target';
    expect(proofOfWorkFailure(hash, bits, MAINNET)).toBe(expected);
    expect(new ProofOfWorkChecker(MAINNET).check(hash, bits)).toBe(expected);
  });

  it('accepts every real mainnet header and rejects each with one nonce bit flipped', () => {
    const headers = readHeaderLines(MAINNET_FILE);
    const checker = new ProofOfWorkChecker(MAINNET);
    let rejected = 0;
    for (const raw of headers) {
      const bits = decodeHeader(raw).bits;
      expect(checker.check(headerHash(raw), bits)).toBeUndefined();
      const tampered = raw.slice();
      tampered[76]! ^= 1;
      if (checker.check(headerHash(tampered), bits) === 'high-hash') rejected++;
    }
    expect(rejected).toBe(headers.length);
  });

  it('chainwork: blockWork summed over the real headers equals the chainwork.json difference', () => {
    const chainwork = readJson<{ chainwork: Record<string, string> }>('mainnet/chainwork.json').chainwork;
    const headers = readHeaderLines(MAINNET_FILE);
    let sum = 0n;
    for (let i = 1; i < headers.length; i++) sum += blockWork(decodeHeader(headers[i]!).bits);
    const last = MAINNET_FIRST_HEIGHT + headers.length - 1;
    expect(sum).toBe(chainworkFromHex(chainwork[last]!) - chainworkFromHex(chainwork[MAINNET_FIRST_HEIGHT]!));
    // Genesis alone is 0x100010001, as getblockheader reports for block 0.
    expect(chainworkToHex(blockWork(MAINNET.powLimitBits))).toBe(chainwork['0']);
  });
});

describe('proof of work', () => {
  it('accepts a hash equal to the target and rejects one above it', () => {
    const bits = 0x1d00ffff;
    const target = 0xffffn << 208n;
    const toLE = (v: bigint) => hexToBytes(v.toString(16).padStart(64, '0')).reverse();
    expect(checkProofOfWork(toLE(target), bits, MAINNET)).toBe(true);
    expect(proofOfWorkFailure(toLE(target + 1n), bits, MAINNET)).toBe('high-hash');
  });
  it('judges targets against the network powLimit', () => {
    const hash = new Uint8Array(32);
    expect(proofOfWorkFailure(hash, 0x207fffff, MAINNET)).toBe('bad-target');
    expect(proofOfWorkFailure(hash, 0x207fffff, REGTEST)).toBeUndefined();
    expect(() => proofOfWorkFailure(new Uint8Array(31), 0x1d00ffff, MAINNET)).toThrow(RangeError);
  });
  it('gives malformed targets no work', () => {
    expect(blockWork(0x1d80ffff)).toBe(0n);
    expect(blockWork(0)).toBe(0n);
    expect(blockWork(0x207fffff)).toBe(2n);
  });
});
