import { bitcoinNetwork, bool, commonServiceShape, port, positiveInt, z } from '@tapbridge/config';

export const apiGatewayConfig = z.object({
  ...commonServiceShape,
  HTTP_PORT: port(4000),
  BITCOIN_NETWORK: bitcoinNetwork,
  /** How long a read waits for the owning service's answer on rpc.*. */
  UPSTREAM_TIMEOUT_MS: positiveInt(5_000).refine((n) => n <= 60_000, 'must be at most 60000'),
  /** HTTP attempts per webhook delivery (the first one included) before it is marked failed. */
  WEBHOOK_ATTEMPTS: positiveInt(8).refine((n) => n <= 50, 'must be at most 50'),
  /** First retry delay; each further retry doubles it (BullMQ exponential backoff). */
  WEBHOOK_BACKOFF_MS: positiveInt(2_000),
  /** How long one delivery may take before it counts as failed. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000).refine((n) => n <= 120_000, 'must be at most 120000'),
  WEBHOOK_CONCURRENCY: positiveInt(8).refine((n) => n <= 256, 'must be at most 256'),
  /** Webhook URLs must be https unless this is set (devnets and tests post to http://127.0.0.1). */
  WEBHOOK_ALLOW_HTTP: bool(false),
  /** The ops console's static bundle (default: packages/console/dist, built with the rest). */
  CONSOLE_DIR: z.string().min(1).optional(),
});
export type ApiGatewayConfig = z.infer<typeof apiGatewayConfig>;
