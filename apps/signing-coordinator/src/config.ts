import { bool, commonServiceShape, hex32, passphrase, port, positiveInt, requiredBitcoinNetwork, secret, z } from '@tapbridge/config';
import { keyListSchema, MIN_PASSPHRASE_LENGTH, missingPins } from '@tapbridge/signing';

export const coordinatorConfig = z
  .object({
    ...commonServiceShape,
    HTTP_PORT: port(4003),
    /** No default: outside regtest the signers' host keys must be pinned (SIGNER_HOST_PUBKEYS). */
    BITCOIN_NETWORK: requiredBitcoinNetwork,
    SIGNER_COUNT: positiveInt(5),
    SIGNER_THRESHOLD: positiveInt(3),
    /** The coordinator's message-signing key (hex). Unset: generated on first start, kept encrypted in its schema. */
    COORDINATOR_HOST_KEY: secret(hex32().optional()),
    /** Encrypts the generated host key at rest (scrypt + AES-256-GCM key file). Required unless COORDINATOR_HOST_KEY is set. */
    COORDINATOR_KEY_PASSPHRASE: passphrase(MIN_PASSPHRASE_LENGTH).optional(),
    /** The signers' host public keys by index (comma-separated). Mandatory unless regtest, where unset means pinned from first announcements. */
    SIGNER_HOST_PUBKEYS: keyListSchema('host'),
    /** Custody recovery leaf: backup x-only keys (comma-separated). Unset: the custody output is key-path only. */
    CUSTODY_RECOVERY_KEYS: keyListSchema('x-only'),
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
    /**
     * Custody rotation (issue 11): consume stake.epoch.started and keep custody per epoch (custody_epoch). Off by
     * default until signers keep a share per epoch (see README "Custody rotation").
     */
    CUSTODY_ROTATION: bool(false),
  })
  .refine((c) => c.SIGNER_THRESHOLD <= c.SIGNER_COUNT, { message: 'must not exceed SIGNER_COUNT', path: ['SIGNER_THRESHOLD'] })
  .refine((c) => c.SIGNER_HOST_PUBKEYS.length === 0 || c.SIGNER_HOST_PUBKEYS.length === c.SIGNER_COUNT, { message: 'must list exactly SIGNER_COUNT keys', path: ['SIGNER_HOST_PUBKEYS'] })
  .refine((c) => c.CUSTODY_RECOVERY_KEYS.length === 0 || c.CUSTODY_RECOVERY_THRESHOLD <= c.CUSTODY_RECOVERY_KEYS.length, {
    message: 'must not exceed the number of CUSTODY_RECOVERY_KEYS',
    path: ['CUSTODY_RECOVERY_THRESHOLD'],
  })
  .refine((c) => c.COORDINATOR_HOST_KEY !== undefined || c.COORDINATOR_KEY_PASSPHRASE !== undefined, {
    message: 'is required unless COORDINATOR_HOST_KEY is set (the host key is kept encrypted under it)',
    path: ['COORDINATOR_KEY_PASSPHRASE'],
  })
  .superRefine((c, ctx) => {
    for (const m of missingPins(c.BITCOIN_NETWORK, { SIGNER_HOST_PUBKEYS: c.SIGNER_HOST_PUBKEYS.length > 0 })) ctx.addIssue({ code: 'custom', message: m.message, path: [m.variable] });
  });
export type CoordinatorConfig = z.infer<typeof coordinatorConfig>;
