import { btcSourcesSetting } from '@tapbridge/chain-source';
import { bitcoinNetwork, bool, commonServiceShape, evmAddress, nonNegativeInt, port, positiveInt, secret, url, z } from '@tapbridge/config';
import { DEFAULT_BRIDGE_ADDRESS, outflowLimitBpsSetting } from '@tapbridge/signing';

/** A fee rate in sat/vB (decimals allowed, as estimatesmartfee gives them). */
const rate = (fallback: number) => z.coerce.number({ error: 'must be a number' }).positive('must be positive').max(100_000).default(fallback);

/** Named points where a test build kills the process (SIGKILL) to prove what a crash there leaves behind. */
export const CRASH_POINTS = ['after-plan', 'mid-signing', 'after-sign', 'after-broadcast', 'after-rbf-plan'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const sweepCoordinatorConfig = z
  .object({
    ...commonServiceShape,
    HTTP_PORT: port(4006),
    BITCOIN_NETWORK: bitcoinNetwork,
    // Credentials may sit in the URLs, so the whole value is secret.
    BTC_SOURCES: secret(btcSourcesSetting()),
    /** A payout this deep is paid (withdrawal.paid); before that it is confirmed(n). */
    PAYOUT_CONFIRMATIONS: positiveInt(6),
    /** Blocks a broadcast sweep may stay unconfirmed before it is replaced by RBF (K). */
    RBF_AFTER_BLOCKS: positiveInt(2),
    /** A withdrawal waiting longer than this (blocks) is reported as stuck (metric and API); it is never dropped. */
    WITHDRAWAL_STUCK_BLOCKS: positiveInt(12),
    /** Confirmation target asked of the sources' fee estimators. */
    FEE_TARGET_BLOCKS: positiveInt(2),
    /** Bounds the sources' estimate is clamped to; the floor is also the rate when no source has an estimate. */
    FEE_RATE_MIN_SAT_VB: rate(1),
    FEE_RATE_MAX_SAT_VB: rate(500),
    /** Core's -incrementalrelayfee, for the RBF minimum. */
    INCREMENTAL_RELAY_SAT_VB: rate(1),
    /**
     * The signers' outflow limit (their SWEEP_OUTFLOW_LIMIT_BPS, same setting and rule): the planner pays only what
     * they would sign in 24 h and holds the rest back with the reason. Must match the signers' value.
     */
    SWEEP_OUTFLOW_LIMIT_BPS: outflowLimitBpsSetting,
    SWEEP_MAX_DEPOSITS: positiveInt(25),
    SWEEP_MAX_WITHDRAWALS: positiveInt(100).refine((n) => n <= 255, 'must be at most 255 (the commitment count is one byte)'),
    /** The pipeline's periodic pass (besides one per new tip): signing progress, broadcast retries. */
    PIPELINE_TICK_MS: positiveInt(2_000),
    /** Rebroadcast of the sweep in flight, and mempool status check. */
    REBROADCAST_MS: positiveInt(30_000),
    FEE_POLL_MS: positiveInt(15_000),
    RESERVES_CHECK_MS: positiveInt(15_000),
    /** How long a NATS request to another service may take. */
    RPC_TIMEOUT_MS: positiveInt(5_000),
    /**
     * Issue 11's escape hatch: before any sweep is signed, its custody output's emergency disbursal is built from
     * EVM_RPC_URL (registered recovery scripts, balances at a final L2 block) and signed. Turn on together with the
     * signers' DISBURSAL_REQUIRED (they refuse sweeps without it); the other settings must match theirs.
     */
    DISBURSAL_ENABLED: bool(false),
    /** D: the disbursal's lock height is the header tip + this (mainnet 2016 ≈ 2 weeks; devnet a few blocks). */
    DISBURSAL_LOCK_BLOCKS: positiveInt(2016),
    /** Fee rate of every disbursal transaction (sat/vB): it must still confirm weeks later, so set it generously. */
    DISBURSAL_FEE_RATE_SAT_VB: positiveInt(20),
    /** Most weight per disbursal transaction (default: just under the standard limit). */
    DISBURSAL_MAX_TX_WEIGHT: z.coerce.number().int().min(1_000).max(399_996).optional(),
    /** The L2 node the disbursal's snapshot is read from (JSON-RPC). */
    EVM_RPC_URL: url(['http', 'https']).optional(),
    EVM_BRIDGE_ADDRESS: evmAddress().default(DEFAULT_BRIDGE_ADDRESS),
    EVM_FINALITY_DEPTH: nonNegativeInt(3),
    /** TEST ONLY: SIGKILL the process when the pipeline reaches this point (logged first). */
    SWEEP_CRASH_AT: z.enum(CRASH_POINTS).optional(),
  })
  .refine((c) => c.FEE_RATE_MIN_SAT_VB <= c.FEE_RATE_MAX_SAT_VB, { message: 'must not exceed FEE_RATE_MAX_SAT_VB', path: ['FEE_RATE_MIN_SAT_VB'] })
  .refine((c) => !c.DISBURSAL_ENABLED || c.EVM_RPC_URL !== undefined, { message: 'DISBURSAL_ENABLED needs the L2 node the snapshot is read from', path: ['EVM_RPC_URL'] });
export type SweepCoordinatorConfig = z.infer<typeof sweepCoordinatorConfig>;
