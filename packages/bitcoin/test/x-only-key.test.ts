// checkXOnly remembers keys it found valid (the custody key is checked for every deposit); it must never remember an
// invalid one, nor let a remembered valid key stand in for different bytes.
import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { checkXOnly, ScriptTemplateError } from '../src/index.js';

const valid = schnorr.getPublicKey(new Uint8Array(32).fill(7));

/** The first x (counting up from 1) that is not on the curve. */
function offCurve(): Uint8Array {
  for (let x = 1n; ; x++) {
    try {
      schnorr.utils.lift_x(x);
    } catch {
      return Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
    }
  }
}

describe('checkXOnly', () => {
  it('accepts a valid key every time and refuses an invalid one every time, before and after', () => {
    const bad = offCurve();
    expect(() => checkXOnly(bad, 'group key', 'test')).toThrow(ScriptTemplateError);
    for (let i = 0; i < 3; i++) expect(() => checkXOnly(valid, 'group key', 'test')).not.toThrow();
    for (let i = 0; i < 3; i++) expect(() => checkXOnly(bad, 'group key', 'test')).toThrow(/group key/);
    // One byte away from the remembered valid key is checked on its own merits.
    const near = Uint8Array.from(valid);
    near[31] = (near[31] ?? 0) ^ 1;
    let nearValid = true;
    try {
      schnorr.utils.lift_x(BigInt(`0x${Buffer.from(near).toString('hex')}`));
    } catch {
      nearValid = false;
    }
    if (nearValid) expect(() => checkXOnly(near, 'k', 'test')).not.toThrow();
    else expect(() => checkXOnly(near, 'k', 'test')).toThrow(ScriptTemplateError);
    expect(() => checkXOnly(new Uint8Array(31), 'k', 'test')).toThrow(ScriptTemplateError);
  });
});
