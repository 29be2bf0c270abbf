import { addressToOutputScript, checkXOnly, hexToBytes } from '@tapbridge/bitcoin';
import { bitcoinNetwork, commonServiceShape, port, positiveInt, sats, secret, z, type Env } from '@tapbridge/config';
import { btcSourcesSetting } from '@tapbridge/chain-source';

const btcSources = btcSourcesSetting();

const xOnlyKey = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a 32-byte x-only public key in hex')
  .transform((value, ctx): Uint8Array => {
    const key = hexToBytes(value.toLowerCase());
    try {
      checkXOnly(key, 'CUSTODY_GROUP_KEY', 'config');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
    return key;
  });

export const depositIndexerConfig = z.object({
  ...commonServiceShape,
  HTTP_PORT: port(4002),
  BITCOIN_NETWORK: bitcoinNetwork,
  // Credentials may sit in the URLs, so the whole value is secret.
  BTC_SOURCES: secret(btcSources),
  DEPOSIT_CONFIRMATIONS: positiveInt(6),
  /** The FROST group key (x-only): every registered deposit leaf must name it. */
  CUSTODY_GROUP_KEY: xOnlyKey,
  /**
   * The custody address, given rather than derived: it commits to the recovery leaf (backup keys, lock,
   * threshold), which is the signing side's configuration, not the indexer's. Must be P2TR on BITCOIN_NETWORK.
   */
  CUSTODY_ADDRESS: z.string().min(1),
  /** Fee cap for simple-form (OP_RETURN) deposits, which state none. */
  OP_RETURN_MAX_FEE_SATS: sats(10_000n),
});
export type DepositIndexerConfig = z.infer<typeof depositIndexerConfig>;

/** The custody scriptPubKey from CUSTODY_ADDRESS, which must be a P2TR address of the configured network. */
export function custodyScriptPubKey(config: Pick<DepositIndexerConfig, 'CUSTODY_ADDRESS' | 'BITCOIN_NETWORK'>): Uint8Array {
  let spk: Uint8Array;
  try {
    spk = addressToOutputScript(config.CUSTODY_ADDRESS, config.BITCOIN_NETWORK);
  } catch (err) {
    throw new Error(`CUSTODY_ADDRESS: ${(err as Error).message}`, { cause: err });
  }
  if (spk.length !== 34 || spk[0] !== 0x51 || spk[1] !== 0x20) throw new Error('CUSTODY_ADDRESS: must be a taproot (P2TR) address');
  return spk;
}

export type { Env };
