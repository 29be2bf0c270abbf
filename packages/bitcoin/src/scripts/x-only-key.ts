import { TaprootError } from '../taproot/errors.js';
import { assertXOnlyKey } from '../taproot/tweak.js';
import { ScriptTemplateError } from './errors.js';

/** Template keys must be valid BIP340 x-only keys: a key off the curve would make a leaf unspendable. */
export function checkXOnly(key: Uint8Array, what: string, template: string): void {
  try {
    assertXOnlyKey(key, what);
  } catch (e) {
    if (e instanceof TaprootError) throw new ScriptTemplateError(template, `${what}: ${e.message}`);
    throw e;
  }
}
