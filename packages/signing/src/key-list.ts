// Comma-separated key lists in the services' settings (SIGNER_HOST_PUBKEYS, CUSTODY_RECOVERY_KEYS): one parser,
// so the coordinator and the signers read the same value the same way.
import { z } from 'zod';

const KEY_FORMS = {
  /** BIP340 x-only public key (custody recovery keys). */
  'x-only': { pattern: /^[0-9a-f]{64}$/, what: 'a 32-byte x-only key in hex' },
  /** Compressed secp256k1 public key (signer host keys). */
  host: { pattern: /^0[23][0-9a-f]{64}$/, what: 'a 33-byte compressed host public key in hex' },
} as const;

export type KeyListForm = keyof typeof KEY_FORMS;

/**
 * An optional setting holding comma-separated keys of one form, in order: unset or blank is an empty list; each key
 * is trimmed and lower-cased, and a malformed one is named by its position.
 */
export function keyListSchema(form: KeyListForm) {
  const { pattern, what } = KEY_FORMS[form];
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return [] as string[];
      const keys = value.split(',').map((k) => k.trim().toLowerCase());
      keys.forEach((k, i) => {
        if (!pattern.test(k)) ctx.addIssue({ code: 'custom', message: `key ${i + 1} must be ${what}` });
      });
      return keys;
    });
}
