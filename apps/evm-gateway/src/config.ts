import os from 'node:os';
import { bitcoinNetwork, bool, byteSize, commonServiceShape, port, positiveInt, z } from '@tapbridge/config';

/** A duration as geth writes them (`5s`, `500ms`, `1m`), or plain milliseconds; to milliseconds. */
const duration = (fallbackMs: number) =>
  z
    .string()
    .regex(/^[0-9]+(ms|s|m)?$/, 'must be a duration: 5s, 500ms, 1m (or milliseconds)')
    .transform((v) => {
      const m = /^([0-9]+)(ms|s|m)?$/.exec(v)!;
      return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 's' ? 1_000 : 1);
    })
    .pipe(z.number().int().positive('must be positive').max(600_000, 'must be at most 10m'))
    .default(fallbackMs);

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
  /** Most gas one eth_call / eth_estimateGas may use, whatever the caller asks (geth --rpc.gascap). */
  EVM_RPC_GAS_CAP: positiveInt(50_000_000).refine((n) => n <= 1_000_000_000, 'must be at most 1000000000'),
  /** Time limit of one eth_call / eth_estimateGas (geth --rpc.evmtimeout); past it: "execution aborted (timeout = 5s)". */
  EVM_RPC_EVM_TIMEOUT: duration(5_000),
  /** Worker threads running eth_call / eth_estimateGas (off the event loop). Default: cores − 1, between 1 and 2. */
  EVM_RPC_CALL_WORKERS: positiveInt(Math.max(1, Math.min(2, os.availableParallelism() - 1))).refine((n) => n <= 64, 'must be at most 64'),
  /** Most eth_subscribe subscriptions one WebSocket connection may hold. */
  EVM_WS_MAX_SUBSCRIPTIONS: positiveInt(1_000).refine((n) => n <= 100_000, 'must be at most 100000'),
  /** A WebSocket consumer with more unsent data than this is disconnected (close code 1008). */
  EVM_WS_MAX_BUFFERED_BYTES: byteSize(16 * 1024 * 1024),
  /**
   * Confirmations a deposit's Bitcoin block must have on the header-watcher's best chain before it is minted: the
   * gateway's own check of deposit.confirmed. Keep it equal to the indexer's DEPOSIT_CONFIRMATIONS.
   */
  EVM_DEPOSIT_MIN_CONFIRMATIONS: positiveInt(6).refine((n) => n <= 1_000, 'must be at most 1000'),
  /**
   * Mint a deposit.confirmed that carries no raw transaction (from an indexer older than rawTx) on its merkle proof
   * alone, so its amount and recipient are the indexer's word. Off: such events are dead-lettered.
   */
  EVM_ACCEPT_UNPROVEN_DEPOSITS: bool(false),
  /**
   * The dynamic pledge at the mint. stake: a deposit is minted only while stake value / R (stake.capacity from
   * stake-accounting) covers what the bridge owes with it; beyond that it is held (GET /held-deposits) and minted in
   * confirmation order when capacity returns; no capacity known yet means nothing is minted. unlimited: every valid
   * deposit is minted (deployments without stake-accounting).
   */
  EVM_MINT_CAPACITY: z.enum(['unlimited', 'stake']).default('unlimited'),
  /** Only to refuse the devnet genesis (public dev keys!) on a real Bitcoin network. */
  BITCOIN_NETWORK: bitcoinNetwork,
});
export type EvmGatewayConfig = z.infer<typeof evmGatewayConfig>;
