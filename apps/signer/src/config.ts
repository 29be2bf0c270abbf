import { bool, commonServiceShape, hex32, hostPubkeyHex, passphrase, port, positiveInt, requiredBitcoinNetwork, z } from '@tapbridge/config';
import { keyListSchema, MIN_PASSPHRASE_LENGTH, missingPins, trustOnFirstUseAllowed } from '@tapbridge/signing';
import { sweepSettingsIssues, sweepSettingsShape } from './sweep-config.js';

export const signerConfig = z
  .object({
    ...commonServiceShape,
    /** 1..SIGNER_COUNT; the FROST participant id is SIGNER_INDEX − 1. */
    SIGNER_INDEX: positiveInt(),
    SIGNER_COUNT: positiveInt(5),
    SIGNER_THRESHOLD: positiveInt(3),
    /** Which chain's custody this signer guards. No default: outside regtest every trust pin below is mandatory. */
    BITCOIN_NETWORK: requiredBitcoinNetwork,
    /** Decrypts the host key and key share files. Never logged. */
    SIGNER_KEY_PASSPHRASE: passphrase(MIN_PASSPHRASE_LENGTH),
    /** Holds host.key, share.key (both encrypted) and coordinator.json (the pinned coordinator key). */
    SIGNER_DATA_DIR: z.string().min(1),
    /** Default 4100 + SIGNER_INDEX. */
    HTTP_PORT: port().optional(),
    /** The coordinator's host public key. Mandatory unless regtest, where unset means pinned on first use. */
    COORDINATOR_PUBKEY: hostPubkeyHex().optional(),
    /** The host keys every DKG must have, by signer index (comma-separated, exactly SIGNER_COUNT). */
    SIGNER_HOST_PUBKEYS: keyListSchema('host'),
    /** Or: the ChillDKG params_hash (32-byte hex) of the expected host keys and threshold. One of the two is mandatory unless regtest. */
    SIGNER_DKG_PARAMS_HASH: hex32().optional(),
    /**
     * Where the DKG's expected participants come from: "config" (SIGNER_HOST_PUBKEYS / SIGNER_DKG_PARAMS_HASH) or
     * "registry" (custody rotation, issue 11: the current epoch's active set and threshold, from stake-accounting's
     * registry over rpc.stake.epochs.current; every dkg.start must name exactly its host keys in rank order).
     */
    SIGNER_PARTICIPANTS_FROM: z.enum(['config', 'registry']).default('config'),
    /** REGTEST ONLY: sign any 32-byte message for purpose "message" (a 32-byte message may be a custody sighash). */
    SIGNER_ALLOW_RAW_MESSAGES: bool(false),
    /** Co-sign custody's half of state-channel updates (issue 12) under the channel policy, checked against rpc.channels.ledger.get. */
    SIGNER_CHANNEL_POLICY: bool(false),
    ANNOUNCE_INTERVAL_MS: positiveInt(2_000),
    /** TEST FAULT INJECTION ONLY: "bad-partial" makes this signer send invalid partial signatures. */
    SIGNER_FAULT: z.enum(['none', 'bad-partial']).default('none'),
    /** The sweep policy's view and bounds (sweep-config.ts). */
    ...sweepSettingsShape,
  })
  .refine((c) => c.SIGNER_THRESHOLD <= c.SIGNER_COUNT, { message: 'must not exceed SIGNER_COUNT', path: ['SIGNER_THRESHOLD'] })
  .refine((c) => c.SIGNER_INDEX <= c.SIGNER_COUNT, { message: 'must be 1..SIGNER_COUNT', path: ['SIGNER_INDEX'] })
  .refine((c) => c.SIGNER_HOST_PUBKEYS.length === 0 || c.SIGNER_HOST_PUBKEYS.length === c.SIGNER_COUNT, { message: 'must list exactly SIGNER_COUNT keys', path: ['SIGNER_HOST_PUBKEYS'] })
  .refine((c) => !c.SIGNER_ALLOW_RAW_MESSAGES || trustOnFirstUseAllowed(c.BITCOIN_NETWORK), {
    message: 'signs any 32-byte message (it may be a custody sighash): refused outside BITCOIN_NETWORK=regtest',
    path: ['SIGNER_ALLOW_RAW_MESSAGES'],
  })
  .superRefine((c, ctx) => {
    const missing = missingPins(c.BITCOIN_NETWORK, {
      COORDINATOR_PUBKEY: c.COORDINATOR_PUBKEY !== undefined,
      'SIGNER_HOST_PUBKEYS or SIGNER_DKG_PARAMS_HASH': c.SIGNER_PARTICIPANTS_FROM === 'registry' || c.SIGNER_HOST_PUBKEYS.length > 0 || c.SIGNER_DKG_PARAMS_HASH !== undefined,
    });
    for (const m of missing) ctx.addIssue({ code: 'custom', message: m.message, path: [m.variable.split(' ')[0] as string] });
  })
  .superRefine((c, ctx) => {
    for (const issue of sweepSettingsIssues(c)) ctx.addIssue({ code: 'custom', message: issue.message, path: [issue.path] });
  });
export type SignerConfig = z.infer<typeof signerConfig>;
