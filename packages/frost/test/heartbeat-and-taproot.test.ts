import { describe, expect, it } from 'vitest';
import { FrostInputError, heartbeatMessage, isHeartbeatMessage, keyPathOnlyCustodyTweak, taprootOutput } from '../src/index.js';
import { hex, readVectors, toHex, vectorsPresent } from './shared-data.js';

describe('heartbeat message', () => {
  it('is 0xff × 8 followed by the 8-byte nonce, and never 32 bytes like a sighash', () => {
    const msg = heartbeatMessage(0x0102030405060708n);
    expect(toHex(msg)).toBe('FFFFFFFFFFFFFFFF0102030405060708');
    expect(msg.length).not.toBe(32);
    expect(isHeartbeatMessage(msg)).toBe(true);
    expect(isHeartbeatMessage(new Uint8Array(32).fill(0xff))).toBe(false);
    expect(heartbeatMessage(hex('0102030405060708'))).toEqual(msg);
  });
  it('rejects nonces that are not 8 bytes', () => {
    expect(() => heartbeatMessage(new Uint8Array(7))).toThrow(FrostInputError);
    expect(() => heartbeatMessage(1n << 64n)).toThrow(FrostInputError);
  });
});

const bip341 = vectorsPresent('bip341');
describe.skipIf(!bip341)('Taproot output keys against the BIP341 wallet vectors', () => {
  interface Case { given: { internalPubkey: string }; intermediary: { merkleRoot: string | null; tweak: string; tweakedPubkey: string } }
  const cases = bip341 ? readVectors<{ scriptPubKey: Case[] }>('bip341', 'wallet-test-vectors.json').scriptPubKey : [];
  it.each(cases.map((c, i) => [i, c] as const))('scriptPubKey case %i', (_i, c) => {
    const { merkleRoot, tweak, tweakedPubkey } = c.intermediary;
    const out = merkleRoot === null ? keyPathOnlyCustodyTweak(hex(c.given.internalPubkey)) : taprootOutput(hex(c.given.internalPubkey), hex(merkleRoot));
    expect(toHex(out.tweak)).toBe(tweak.toUpperCase());
    expect(toHex(out.outputKey)).toBe(tweakedPubkey.toUpperCase());
  });
});
