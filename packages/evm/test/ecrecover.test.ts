import { randomBytes } from 'node:crypto';
import { ecrecover as nobleEcrecover, bigIntToBytes, bytesToBigInt } from '@ethereumjs/util';
import { SigningKey, keccak256 as ethersKeccak } from 'ethers';
import { describe, expect, it } from 'vitest';
import { ecrecover } from '../src/ecrecover.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n; // secp256k1 group order

function outcome(f: () => Uint8Array): string {
  try {
    return Buffer.from(f()).toString('hex');
  } catch {
    return 'throws';
  }
}

describe('ecrecover on libsecp256k1', () => {
  it('agrees with @ethereumjs/util on valid signatures, low and high s, all v encodings', () => {
    for (let i = 0; i < 40; i++) {
      const key = new SigningKey(randomBytes(32));
      const hash = randomBytes(32);
      const signed = key.sign(hash);
      const sig = { r: BigInt(signed.r), s: BigInt(signed.s), recovery: signed.yParity };
      const expected = key.publicKey.slice(4);
      // High-s twin: the ECRECOVER precompile accepts it (only transactions are held to EIP-2 low s).
      const highS = bigIntToBytes(N - sig.s);
      const recovery = BigInt(sig.recovery);
      const r = bigIntToBytes(sig.r);
      const s = bigIntToBytes(sig.s);
      for (const [v, chainId] of [[recovery, undefined], [27n + recovery, undefined], [29794n * 2n + 35n + recovery, 29794n]] as const) {
        expect(outcome(() => ecrecover(hash, v, r, s, chainId))).toBe(expected);
        expect(outcome(() => ecrecover(hash, v, r, s, chainId))).toBe(outcome(() => nobleEcrecover(hash, v, r, s, chainId)));
      }
      expect(outcome(() => ecrecover(hash, 1n - recovery, r, highS))).toBe(outcome(() => nobleEcrecover(hash, 1n - recovery, r, highS)));
    }
  });

  it('fails where @ethereumjs/util fails: bad v, zero or out-of-range r and s', () => {
    const hash = randomBytes(32);
    const r = randomBytes(32);
    const s = randomBytes(32);
    const cases: [bigint, Uint8Array, Uint8Array][] = [
      [2n, r, s],
      [0n, new Uint8Array(32), s],
      [0n, r, new Uint8Array(32)],
      [0n, bigIntToBytes(N), s],
      [0n, r, bigIntToBytes(N + 1n)],
    ];
    for (const [v, rr, ss] of cases) {
      expect(outcome(() => ecrecover(hash, v, rr, ss))).toBe('throws');
      expect(outcome(() => nobleEcrecover(hash, v, rr, ss))).toBe('throws');
    }
    // A random (r, s) either recovers the same key in both or fails in both.
    for (let i = 0; i < 20; i++) {
      const rr = randomBytes(32);
      const ss = bigIntToBytes((bytesToBigInt(randomBytes(32)) % (N - 1n)) + 1n);
      expect(outcome(() => ecrecover(hash, 0n, rr, ss))).toBe(outcome(() => nobleEcrecover(hash, 0n, rr, ss)));
    }
  });
});

describe('keccak256 on WebAssembly', () => {
  it('matches @ethereumjs/util keccak for empty, short, block-boundary and long inputs', async () => {
    const { keccak256 } = await import('../src/keccak.js');
    const reference = (d: Uint8Array) => Buffer.from(ethersKeccak(d).slice(2), 'hex');
    expect(Buffer.from(keccak256(new Uint8Array())).toString('hex')).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    for (const length of [1, 31, 32, 135, 136, 137, 272, 1000, 70_000]) {
      const data = randomBytes(length);
      expect(Buffer.from(keccak256(data)).toString('hex')).toBe(Buffer.from(reference(data)).toString('hex'));
    }
  });
});
