import fs from 'node:fs';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { FrostInputError, schnorrSign, schnorrVerify } from '../src/index.js';
import { VECTORS_DIR, hex, toHex, vectorsPresent } from './shared-data.js';

const present = vectorsPresent('bip340');
const rows = present
  ? fs
      .readFileSync(path.join(VECTORS_DIR, 'bip340', 'test-vectors.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','))
  : [];

describe.skipIf(!present)('BIP340 vectors through our signer/verifier (x-only conventions)', () => {
  it.each(rows.map((r) => [r[0], r] as const))('vector %s', (_i, r) => {
    const [, seckey, pubkey, auxRand, msg, sig, result] = r as string[];
    const expected = result === 'TRUE';
    if (seckey !== '' && seckey !== undefined) {
      expect(toHex(schnorrSign(hex(msg ?? ''), hex(seckey), hex(auxRand ?? '')))).toBe(sig);
    }
    let ours: boolean;
    try {
      ours = schnorrVerify(hex(msg ?? ''), hex(pubkey ?? ''), hex(sig ?? ''));
    } catch (e) {
      expect(e).toBeInstanceOf(FrostInputError);
      ours = false;
    }
    expect(ours).toBe(expected);
    // noble agrees, so the FROST outputs checked with noble use the same conventions.
    expect(schnorr.verify(hex(sig ?? ''), hex(msg ?? ''), hex(pubkey ?? ''))).toBe(expected);
  });
});
