import { bitcoinNetwork, commonServiceShape, port, z } from '@tapbridge/config';

export const headerWatcherConfig = z.object({
  ...commonServiceShape,
  HTTP_PORT: port(4001),
  BITCOIN_NETWORK: bitcoinNetwork,
});
export type HeaderWatcherConfig = z.infer<typeof headerWatcherConfig>;
