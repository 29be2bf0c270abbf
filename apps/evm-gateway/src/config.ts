import { bitcoinNetwork, commonServiceShape, port, positiveInt, z } from '@tapbridge/config';

/** A whole number ≥ 0 from the environment (positiveInt refuses 0, which is a valid finality depth). */
const nonNegativeInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').default(fallback);

export const evmGatewayConfig = z.object({
  ...commonServiceShape,
  /** REST (mints, withdrawals, chain), /health, /metrics and /docs. */
  HTTP_PORT: port(4005),
  /** Ethereum JSON-RPC over HTTP POST and WebSocket. */
  RPC_PORT: port(8545),
  /** Where JSON-RPC listens; it is the chain's public face, so all interfaces by default (like the REST port). */
  RPC_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * Chain id of a devnet started without a genesis file (ignored when EVM_GENESIS_FILE names one). 0x7462 ("tb"),
   * the same default packages/evm uses, so tools and tests agree.
   */
  EVM_CHAIN_ID: positiveInt(29794).refine((n) => n < 2 ** 53, 'must be below 2^53'),
  /** Longest the sequencer waits before sealing an empty block; transactions and mints seal one at once. */
  EVM_BLOCK_TIME_MS: positiveInt(2_000).refine((n) => n <= 3_600_000, 'must be at most an hour'),
  /** Genesis JSON (geth-like, see packages/evm chain-config.ts). Unset: the devnet genesis with funded dev accounts. */
  EVM_GENESIS_FILE: z.string().min(1).optional(),
  /** Blocks a burn must be buried under before withdrawal.requested is published (0: as soon as it is committed). */
  EVM_FINALITY_DEPTH: nonNegativeInt(3).refine((n) => n <= 10_000, 'must be at most 10000'),
  /** Largest JSON-RPC request body or WebSocket message. */
  EVM_RPC_MAX_BODY_BYTES: positiveInt(5 * 1024 * 1024).refine((n) => n <= 128 * 1024 * 1024, 'must be at most 128 MiB'),
  /** Most calls in one JSON-RPC batch. */
  EVM_RPC_MAX_BATCH: positiveInt(1_000).refine((n) => n <= 100_000, 'must be at most 100000'),
  /** Only to refuse the devnet genesis (public dev keys!) on a real Bitcoin network. */
  BITCOIN_NETWORK: bitcoinNetwork,
});
export type EvmGatewayConfig = z.infer<typeof evmGatewayConfig>;
