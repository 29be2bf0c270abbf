import { parseCheckpoint } from '@tapbridge/bitcoin';
import { bitcoinNetwork, commonServiceShape, jsonOrFile, port, positiveInt, secret, z } from '@tapbridge/config';
import { btcSourcesSetting } from '@tapbridge/chain-source';

const btcSources = btcSourcesSetting();

/** HEADER_CHECKPOINT: the checkpoint JSON itself, or `@/path/to/checkpoint.json`. */
const headerCheckpoint = jsonOrFile(parseCheckpoint, 'checkpoint');

export const headerWatcherConfig = z.object({
  ...commonServiceShape,
  HTTP_PORT: port(4001),
  BITCOIN_NETWORK: bitcoinNetwork,
  // Credentials may sit in the URLs, so the whole value is secret.
  BTC_SOURCES: secret(btcSources),
  HEADER_CHECKPOINT: headerCheckpoint,
  POLL_INTERVAL_MS: positiveInt(1_000),
  SYNC_BATCH_SIZE: positiveInt(2_000).refine((n) => n <= 50_000, 'must be at most 50000'),
  /** Requests in flight to one source while catching up. */
  SYNC_CONCURRENCY: positiveInt(16).refine((n) => n <= 256, 'must be at most 256'),
});
export type HeaderWatcherConfig = z.infer<typeof headerWatcherConfig>;
