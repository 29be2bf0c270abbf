import { commonServiceShape, port, positiveInt, secret, url, z } from '@tapbridge/config';

const bps = (fallback: number, max = 10_000) => z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(max).default(fallback);
const baseUnits = (fallback: string) => z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'must be a whole number of base units').default(fallback).transform((v) => BigInt(v));

/** One HTTP JSON price source: `<url>#<pricePath>[#<timePath>]`, e.g. `https://x/price#data.sats`. */
const priceSource = z.string().transform((value, ctx) => {
  const [href, pricePath, timePath, ...rest] = value.split('#');
  let ok = rest.length === 0 && !!pricePath;
  try {
    ok &&= ['http:', 'https:'].includes(new URL(href!).protocol);
  } catch {
    ok = false;
  }
  if (!ok) {
    ctx.addIssue({ code: 'custom', message: `price source ${JSON.stringify(value)} must be <http(s) url>#<price path>[#<time path>]` });
    return z.NEVER;
  }
  return { name: new URL(href!).host + new URL(href!).pathname, url: href!, pricePath: pricePath!, ...(timePath ? { timePath } : {}) };
});
export type PriceSourceSetting = z.infer<typeof priceSource>;

/**
 * PRICE_SOURCES: comma-separated HTTP JSON sources (at least PRICE_MIN_SOURCES of them), or `devnet`: the price is
 * the one `tapbridge stake price set` stored (PUT /devnet/price), reported as three agreeing sources. `devnet` is
 * refused unless DEVNET is true.
 */
const priceSources = z
  .string()
  .default('')
  .transform((v, ctx) => {
    if (v.trim() === 'devnet') return 'devnet' as const;
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    const out: PriceSourceSetting[] = [];
    for (const p of parts) {
      const r = priceSource.safeParse(p);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: r.error.issues[0]!.message });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  });

export const stakeAccountingConfig = z
  .object({
    ...commonServiceShape,
    HTTP_PORT: port(4007),
    /** The L2 node's JSON-RPC (the evm-gateway); logs are read up to its "finalized" block. */
    EVM_RPC_URL: url(['http', 'https'], 'http://127.0.0.1:8545'),
    INDEX_POLL_MS: positiveInt(2_000),
    /** Most blocks asked per eth_getLogs. */
    INDEX_BATCH_BLOCKS: positiveInt(1_000),
    /** R in bps (15000 = 1.5): stake value must cover R × what the bridge owes. */
    COLLATERAL_RATIO_BPS: bps(15_000, 1_000_000).refine((n) => n >= 10_000, 'must be at least 10000 (R >= 1)'),
    /** How often capacity is recomputed and, when it changed, published as stake.capacity. */
    CAPACITY_INTERVAL_MS: positiveInt(5_000),
    // Sources may carry credentials in their URLs.
    PRICE_SOURCES: secret(priceSources),
    PRICE_MIN_SOURCES: positiveInt(3).refine((n) => n >= 3, 'must be at least 3'),
    PRICE_MAX_AGE_MS: positiveInt(300_000),
    PRICE_MAX_CHANGE_BPS: bps(2_000, 1_000_000).refine((n) => n > 0, 'must be positive'),
    PRICE_POLL_MS: positiveInt(15_000),
    PRICE_TIMEOUT_MS: positiveInt(5_000),
    /** Enables the devnet price (PRICE_SOURCES=devnet, PUT /devnet/price). Never on a real network. */
    DEVNET: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    /** The devnet price before anyone sets one (sats per whole stake token). */
    DEVNET_PRICE_SATS: baseUnits('1000'),
    EPOCH_FIRST_HEIGHT: z.coerce.number().int().nonnegative().default(0),
    EPOCH_LENGTH_BLOCKS: positiveInt(144),
    EPOCH_MAX_SIGNERS: positiveInt(100).refine((n) => n <= 65_535, 'must be at most 65535'),
    /** A signer's own bond needed to be chosen (stake-token base units). */
    EPOCH_MIN_SELF_BOND: baseUnits('1000000000000000000000'),
    EPOCH_THRESHOLD_BPS: bps(6_667).refine((n) => n > 0, 'must be positive'),
    SLASH_RATE_INVALID_PARTIAL_BPS: bps(500),
    SLASH_RATE_EQUIVOCATION_BPS: bps(1_000),
    SLASH_RATE_LIVENESS_BPS: bps(100),
    JAIL_EPOCHS: z.coerce.number().int().nonnegative().default(2),
    /** The coordinator host key whose signed records (sessions, liveness) evidence may rest on; without it liveness evidence is refused. */
    COORDINATOR_PUBKEY: z.string().regex(/^0[23][0-9a-f]{64}$/, 'must be a compressed public key in lowercase hex').optional(),
    /** The liveness rule: more than LIVENESS_MAX_MISSES missed of the last LIVENESS_WINDOW probes. */
    LIVENESS_WINDOW: positiveInt(100),
    LIVENESS_MAX_MISSES: z.coerce.number().int().nonnegative().default(50),
    REWARD_COMMISSION_BPS: bps(1_000),
    /** How often the reward job looks for finished epochs to pay. */
    REWARD_INTERVAL_MS: positiveInt(60_000),
  })
  .superRefine((c, ctx) => {
    if (c.PRICE_SOURCES === 'devnet' && !c.DEVNET) ctx.addIssue({ code: 'custom', path: ['PRICE_SOURCES'], message: 'devnet is only allowed with DEVNET=true' });
    if (c.PRICE_SOURCES !== 'devnet' && c.PRICE_SOURCES.length < c.PRICE_MIN_SOURCES)
      ctx.addIssue({ code: 'custom', path: ['PRICE_SOURCES'], message: `needs at least ${c.PRICE_MIN_SOURCES} sources (got ${c.PRICE_SOURCES.length}); a stale or missing price freezes capacity` });
  });
export type StakeAccountingConfig = z.infer<typeof stakeAccountingConfig>;
