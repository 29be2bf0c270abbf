import { bytesToHex } from '../bytes.js';
import { TaprootError } from '../taproot/errors.js';
import { assertXOnlyKey } from '../taproot/tweak.js';
import { ScriptTemplateError } from './errors.js';

/**
 * Keys already found valid. Validity is a property of the 32 bytes alone, and the same few keys (the custody group
 * key, the backup keys) are checked for every deposit: the square root of lift_x was ~20% of a mint's CPU.
 */
const validKeys = new Set<string>();
const VALID_KEYS_LIMIT = 1_024;

/** Template keys must be valid BIP340 x-only keys: a key off the curve would make a leaf unspendable. */
export function checkXOnly(key: Uint8Array, what: string, template: string): void {
  const hex = key instanceof Uint8Array && key.length === 32 ? bytesToHex(key) : undefined;
  if (hex !== undefined && validKeys.has(hex)) return;
  try {
    assertXOnlyKey(key, what);
  } catch (e) {
    if (e instanceof TaprootError) throw new ScriptTemplateError(template, `${what}: ${e.message}`);
    throw e;
  }
  if (hex === undefined) return;
  if (validKeys.size >= VALID_KEYS_LIMIT) validKeys.clear();
  validKeys.add(hex);
}
