// The one parser for comma-separated key settings.
import { describe, expect, it } from 'vitest';
import { keyListSchema } from '../src/index.js';

const host = `02${'ab'.repeat(32)}`;
const xonly = 'cd'.repeat(32);

describe('keyListSchema', () => {
  it('unset or blank is an empty list; keys are trimmed and lower-cased, in order', () => {
    expect(keyListSchema('host').parse(undefined)).toEqual([]);
    expect(keyListSchema('x-only').parse('  ')).toEqual([]);
    expect(keyListSchema('host').parse(` ${host.toUpperCase()} ,${host.replace(/^02/, '03')}`)).toEqual([host, host.replace(/^02/, '03')]);
    expect(keyListSchema('x-only').parse(xonly)).toEqual([xonly]);
  });

  it('a malformed key is named by its position and form', () => {
    const bad = keyListSchema('host').safeParse(`${host},${xonly}`);
    expect(bad.success ? [] : bad.error.issues.map((i) => i.message)).toEqual(['key 2 must be a 33-byte compressed host public key in hex']);
    const badX = keyListSchema('x-only').safeParse(`${xonly},,${host}`);
    expect(badX.success ? [] : badX.error.issues.map((i) => i.message)).toEqual(['key 2 must be a 32-byte x-only key in hex', 'key 3 must be a 32-byte x-only key in hex']);
  });
});
