import { bitcoinNetwork, commonServiceShape, port, positiveInt, secret, z } from '@tapbridge/config';

const xonlyList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return [] as string[];
    const keys = v.split(',').map((k) => k.trim().toLowerCase());
    keys.forEach((k, i) => {
      if (!/^[0-9a-f]{64}$/.test(k)) ctx.addIssue({ code: 'custom', message: `key ${i + 1} must be a 32-byte x-only key in hex` });
    });
    return keys;
  });

const hostKeyList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return [] as string[];
    const keys = v.split(',').map((k) => k.trim().toLowerCase());
    keys.forEach((k, i) => {
      if (!/^0[23][0-9a-f]{64}$/.test(k)) ctx.addIssue({ code: 'custom', message: `key ${i + 1} must be a 33-byte compressed host public key in hex` });
    });
    return keys;
  });

export const coordinatorConfig = z
  .object({
    ...commonServiceShape,
    HTTP_PORT: port(4003),
    BITCOIN_NETWORK: bitcoinNetwork,
    SIGNER_COUNT: positiveInt(5),
    SIGNER_THRESHOLD: positiveInt(3),
    /** The coordinator's message-signing key (hex). Unset: generated on first start and kept in its schema. */
    COORDINATOR_HOST_KEY: secret(z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of hex').optional()),
    /** The signers' host public keys by index (comma-separated). Unset: pinned from their first announcements (devnet). */
    SIGNER_HOST_PUBKEYS: hostKeyList,
    /** Custody recovery leaf: backup x-only keys (comma-separated). Unset: the custody output is key-path only. */
    CUSTODY_RECOVERY_KEYS: xonlyList,
    CUSTODY_RECOVERY_THRESHOLD: positiveInt(1),
    /** Relative lock (blocks) before the backup keys may move custody funds. */
    CUSTODY_RECOVERY_LOCK: positiveInt(52_560),
    /** How long one signer may take to answer one request. */
    SIGNER_REQUEST_TIMEOUT_MS: positiveInt(3_000),
    /** Give up on a signature after this long. */
    SIGNING_TIMEOUT_MS: positiveInt(120_000),
    /** Start a new attempt (fresh nonces from everyone) after this long without progress. */
    ATTEMPT_STALL_MS: positiveInt(8_000),
    /** Re-ask a signer that did not answer after this long. */
    SIGNER_RETRY_MS: positiveInt(1_500),
    HEARTBEAT_INTERVAL_MS: positiveInt(10_000),
    /** A signer unheard of for this long is shown as not live. */
    SIGNER_LIVENESS_MS: positiveInt(15_000),
  })
  .refine((c) => c.SIGNER_THRESHOLD <= c.SIGNER_COUNT, { message: 'must not exceed SIGNER_COUNT', path: ['SIGNER_THRESHOLD'] })
  .refine((c) => c.SIGNER_HOST_PUBKEYS.length === 0 || c.SIGNER_HOST_PUBKEYS.length === c.SIGNER_COUNT, { message: 'must list exactly SIGNER_COUNT keys', path: ['SIGNER_HOST_PUBKEYS'] })
  .refine((c) => c.CUSTODY_RECOVERY_KEYS.length === 0 || c.CUSTODY_RECOVERY_THRESHOLD <= c.CUSTODY_RECOVERY_KEYS.length, {
    message: 'must not exceed the number of CUSTODY_RECOVERY_KEYS',
    path: ['CUSTODY_RECOVERY_THRESHOLD'],
  });
export type CoordinatorConfig = z.infer<typeof coordinatorConfig>;
