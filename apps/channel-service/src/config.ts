import { btcSourcesSetting } from '@tapbridge/chain-source';
import { bitcoinNetwork, commonServiceShape, hex32, port, positiveInt, sats, secret, z } from '@tapbridge/config';
import { MAINNET_CHALLENGE_PERIOD } from '@tapbridge/channels';

export const channelServiceConfig = z
  .object({
    ...commonServiceShape,
    HTTP_PORT: port(4010),
    BITCOIN_NETWORK: bitcoinNetwork,
    /** The service's own chain sources (Esplora: it indexes spends, which the watchtower needs). */
    BTC_SOURCES: secret(btcSourcesSetting()),
    /** Seed of custody's per-commitment secrets (HMAC per channel). Losing it loses the ability to revoke old states. */
    CHANNEL_SEED_SECRET: secret(hex32()),
    /** The watchtower's revocation basepoint secret (a plain key, not the FROST key: README "Commitments"). */
    CHANNEL_REVOCATION_SECRET: secret(hex32()),
    /** CSV on the publisher's own output: 1008 blocks (7 days) on mainnet, a few on the devnet. */
    CHANNEL_CHALLENGE_PERIOD: positiveInt(MAINNET_CHALLENGE_PERIOD).refine((n) => n <= 0xffff, 'must be at most 65535 blocks'),
    CHANNEL_COMMITMENT_FEE: sats(2_000n),
    CHANNEL_PENALTY_FEE: sats(2_000n),
    /** Confirmations of the funding output before the L2 channel account opens. */
    CHANNEL_MIN_CONFIRMATIONS: positiveInt(6),
    /** Where custody's side is paid (a scriptPubKey, hex); by default the custody output of the group key. */
    CHANNEL_CUSTODY_PAYOUT_SCRIPT: z.string().regex(/^(?:[0-9a-f]{2}){2,80}$/, 'must be a scriptPubKey in hex').optional(),
    WATCH_INTERVAL_MS: positiveInt(5_000),
    /** Request/reply timeout towards the signing-coordinator. */
    RPC_TIMEOUT_MS: positiveInt(10_000),
    /** Longest a group signature may take (ROAST retries included). */
    SIGNING_TIMEOUT_MS: positiveInt(120_000),
  })
  .superRefine((c, ctx) => {
    if (c.BITCOIN_NETWORK === 'mainnet' && c.CHANNEL_CHALLENGE_PERIOD < MAINNET_CHALLENGE_PERIOD)
      ctx.addIssue({ code: 'custom', path: ['CHANNEL_CHALLENGE_PERIOD'], message: `must be at least ${MAINNET_CHALLENGE_PERIOD} blocks on mainnet` });
  });
export type ChannelServiceConfig = z.infer<typeof channelServiceConfig>;
