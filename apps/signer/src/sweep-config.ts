// The sweep policy's settings (issue 9): the signer's own view (BTC_SOURCES with its embedded light client,
// EVM_RPC_URL), the custody it guards (same CUSTODY_RECOVERY_* as the coordinator, so both derive one script), and
// the policy's bounds. Without BTC_SOURCES and EVM_RPC_URL the sweep policy is off and sweeps fall to deny-unknown;
// that is allowed on regtest only.
import { parseCheckpoint } from '@tapbridge/bitcoin';
import { parseSourceSpecs, type SourceSpec } from '@tapbridge/chain-source';
import { bool, evmAddress, feeRate, jsonOrFile, nonNegativeInt, positiveInt, sats, secret, url, z } from '@tapbridge/config';
import { DEFAULT_BRIDGE_ADDRESS, keyListSchema, outflowLimitBpsSetting } from '@tapbridge/signing';

/** Comma-separated BTC_SOURCES (see packages/chain-source source-spec.ts); unset = no sweep policy. */
const optionalSources = z
  .string()
  .optional()
  .transform((value, ctx): SourceSpec[] | undefined => {
    if (value === undefined || value.trim() === '') return undefined;
    try {
      return parseSourceSpecs(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** HEADER_CHECKPOINT: checkpoint JSON, or `@/path/to/checkpoint.json`; unset = sync from genesis. */
const headerCheckpoint = jsonOrFile(parseCheckpoint, 'checkpoint');

export const sweepSettingsShape = {
  /** The signer's own Bitcoin sources (Core RPC / Esplora), checked against its own header chain. */
  BTC_SOURCES: secret(optionalSources),
  HEADER_CHECKPOINT: headerCheckpoint,
  /** How often the embedded light client polls its sources. */
  BTC_POLL_INTERVAL_MS: positiveInt(2_000),
  /** The L2 node this signer trusts (JSON-RPC). */
  EVM_RPC_URL: url(['http', 'https']).optional(),
  EVM_BRIDGE_ADDRESS: evmAddress().default(DEFAULT_BRIDGE_ADDRESS),
  /** Blocks a burn must be buried under to be final: the evm-gateway's EVM_FINALITY_DEPTH. */
  EVM_FINALITY_DEPTH: nonNegativeInt(3),
  /** Widest eth_getLogs range the node allows (packages/evm: 10000). */
  EVM_LOG_RANGE: positiveInt(10_000),
  /** Confirmations on the signer's own chain before a deposit may be swept (the indexer's DEPOSIT_CONFIRMATIONS). */
  DEPOSIT_CONFIRMATIONS: positiveInt(6),
  /** Confirmations of the custody input; also the depth at which a signed sweep counts as resolved. */
  SWEEP_CUSTODY_CONFIRMATIONS: positiveInt(1),
  SWEEP_MIN_FEE_RATE: feeRate(1),
  SWEEP_MAX_FEE_RATE: feeRate(500),
  /** Most paid out in 24 h, in basis points of the reserve (1000 = 10%, Nomic's rule); the sweep-coordinator plans with the same setting. */
  SWEEP_OUTFLOW_LIMIT_BPS: outflowLimitBpsSetting,
  /** Fee cap of simple-form deposits: the deposit indexer's OP_RETURN_MAX_FEE_SATS. */
  OP_RETURN_MAX_FEE_SATS: sats(10_000n),
  /** The custody recovery leaf, exactly as the coordinator's (CUSTODY_RECOVERY_*): the custody script derives from both. */
  CUSTODY_RECOVERY_KEYS: keyListSchema('x-only'),
  CUSTODY_RECOVERY_THRESHOLD: positiveInt(1),
  CUSTODY_RECOVERY_LOCK: positiveInt(52_560),
  /**
   * Issue 11's escape hatch: refuse every sweep until the emergency disbursal of the custody output it creates is fully
   * signed and stored, and sign disbursals (purpose `disbursal`) checked against this signer's own L2 and Bitcoin view.
   * Turn on together with the sweep-coordinator's DISBURSAL_ENABLED.
   */
  DISBURSAL_REQUIRED: bool(false),
  /** D: the lock is this signer's Bitcoin tip + D (mainnet 2016 ≈ 2 weeks; devnet a few); the coordinator's DISBURSAL_LOCK_BLOCKS. */
  DISBURSAL_LOCK_BLOCKS: positiveInt(2016),
  /** How far the asked lock may be from tip + D (the coordinator's tip may differ a little). */
  DISBURSAL_LOCK_TOLERANCE_BLOCKS: nonNegativeInt(3),
  DISBURSAL_MIN_FEE_RATE: positiveInt(1),
  DISBURSAL_MAX_FEE_RATE: positiveInt(1_000),
  /** The checkpoint L2 block may be at most this far behind this signer's newest final block. */
  DISBURSAL_MAX_CHECKPOINT_AGE_BLOCKS: positiveInt(10_000),
};

interface SweepSettingsInput {
  BITCOIN_NETWORK: string;
  BTC_SOURCES?: SourceSpec[] | undefined;
  EVM_RPC_URL?: string | undefined;
  SWEEP_MIN_FEE_RATE: number;
  SWEEP_MAX_FEE_RATE: number;
  CUSTODY_RECOVERY_KEYS: string[];
  CUSTODY_RECOVERY_THRESHOLD: number;
}

/** Config issues of the sweep settings; outside regtest the sweep policy's view is mandatory. */
export function sweepSettingsIssues(c: SweepSettingsInput): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const regtest = c.BITCOIN_NETWORK === 'regtest';
  if (!regtest && c.BTC_SOURCES === undefined)
    issues.push({ path: 'BTC_SOURCES', message: `the sweep policy needs the signer's own Bitcoin sources outside regtest (BITCOIN_NETWORK=${c.BITCOIN_NETWORK})` });
  if (!regtest && c.EVM_RPC_URL === undefined)
    issues.push({ path: 'EVM_RPC_URL', message: `the sweep policy needs an L2 node the signer trusts outside regtest (BITCOIN_NETWORK=${c.BITCOIN_NETWORK})` });
  if ((c.BTC_SOURCES === undefined) !== (c.EVM_RPC_URL === undefined))
    issues.push({ path: c.BTC_SOURCES === undefined ? 'BTC_SOURCES' : 'EVM_RPC_URL', message: 'the sweep policy needs both BTC_SOURCES and EVM_RPC_URL (or, on regtest only, neither)' });
  if (c.SWEEP_MAX_FEE_RATE < c.SWEEP_MIN_FEE_RATE) issues.push({ path: 'SWEEP_MAX_FEE_RATE', message: 'must not be below SWEEP_MIN_FEE_RATE' });
  if (c.CUSTODY_RECOVERY_KEYS.length > 0 && c.CUSTODY_RECOVERY_THRESHOLD > c.CUSTODY_RECOVERY_KEYS.length)
    issues.push({ path: 'CUSTODY_RECOVERY_THRESHOLD', message: 'must not exceed the number of CUSTODY_RECOVERY_KEYS' });
  return issues;
}
