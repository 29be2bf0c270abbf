import { commonServiceShape, port, positiveInt, secret, bool, z } from '@tapbridge/config';

const hexKey = z.string().regex(/^(02|03)?[0-9a-f]{64}$/, 'must be a host public key in hex (33-byte compressed or 32-byte x-only)');

export const signerConfig = z
  .object({
    ...commonServiceShape,
    /** 1..SIGNER_COUNT; the FROST participant id is SIGNER_INDEX − 1. */
    SIGNER_INDEX: positiveInt(),
    SIGNER_COUNT: positiveInt(5),
    SIGNER_THRESHOLD: positiveInt(3),
    /** Decrypts the host key and key share files. Never logged. */
    SIGNER_KEY_PASSPHRASE: secret(z.string().min(8, 'must be at least 8 characters')),
    /** Holds host.key, share.key (both encrypted) and coordinator.json (the pinned coordinator key). */
    SIGNER_DATA_DIR: z.string().min(1),
    /** Default 4100 + SIGNER_INDEX. */
    HTTP_PORT: port().optional(),
    /** The coordinator's host public key. Unset: pinned on first use from the first signed DKG start (devnet). */
    COORDINATOR_PUBKEY: hexKey.optional(),
    /** DEVNET ONLY: sign any 32-byte message for purpose "message" (a 32-byte message may be a spend's sighash). */
    SIGNER_ALLOW_RAW_MESSAGES: bool(false),
    ANNOUNCE_INTERVAL_MS: positiveInt(2_000),
    /** TEST FAULT INJECTION ONLY: "bad-partial" makes this signer send invalid partial signatures. */
    SIGNER_FAULT: z.enum(['none', 'bad-partial']).default('none'),
  })
  .refine((c) => c.SIGNER_THRESHOLD <= c.SIGNER_COUNT, { message: 'must not exceed SIGNER_COUNT', path: ['SIGNER_THRESHOLD'] })
  .refine((c) => c.SIGNER_INDEX <= c.SIGNER_COUNT, { message: 'must be 1..SIGNER_COUNT', path: ['SIGNER_INDEX'] });
export type SignerConfig = z.infer<typeof signerConfig>;
