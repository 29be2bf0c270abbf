// stake-accounting's Prometheus metrics (names checked by packages/infra's metric-name test and used by the alerts).
import { counter, gauge } from '@tapbridge/observability';

export const metrics = {
  // The names infra/prometheus/rules.yml reads (TapbridgeCollateralRatioLow / BelowThreshold): plain ratios.
  collateralRatio: gauge('tapbridge_collateral_ratio', 'Stake value / what the bridge owes (1.5 = 150%; absent while nothing is owed or capacity is frozen)'),
  requiredRatio: gauge('tapbridge_collateral_ratio_required', 'The configured collateral ratio R (COLLATERAL_RATIO_BPS / 10000)'),
  capacity: gauge('tapbridge_stake_capacity_sats', 'Capacity for new deposits: stake value / R − obligations (negative when under-collateralised; 0 when frozen)'),
  capacityFrozen: gauge('tapbridge_stake_capacity_frozen', '1 while capacity is frozen (no fresh price, or what the bridge owes is unknown)'),
  obligations: gauge('tapbridge_stake_obligations_sats', 'What the bridge owes that stake must cover (the L2 supply of bridged BTC)'),
  stakeBySigner: gauge('tapbridge_stake_signer_stake_tokens', 'Bonded + delegated stake per signer, in whole tokens', ['signer']),
  totalStake: gauge('tapbridge_stake_collateral_tokens', 'Stake that backs custody (bonded, delegated, unbonding not released), in whole tokens'),
  priceAge: gauge('tapbridge_stake_price_age_seconds', 'Age of the last accepted stake price (absent before the first)'),
  price: gauge('tapbridge_stake_price_sats_per_token', 'The last accepted stake price, sats per whole token'),
  indexedBlock: gauge('tapbridge_stake_indexed_block', 'Last L2 block indexed (finalized)'),
  epoch: gauge('tapbridge_stake_epoch', 'The current epoch'),
  epochSetSize: gauge('tapbridge_stake_epoch_set_size', 'Signers in the current epoch set'),
  // Slashing on proof (TapbridgeSignerSlashed reads the first).
  slashes: counter('tapbridge_stake_slashes_total', 'Slashes decided on verified evidence, by offence', ['offence']),
  reports: counter('tapbridge_stake_misbehaviour_reports_total', 'signing.misbehaviour reports handled, by outcome (unproven, slash_planned, duplicate, rejected)', ['status']),
  pendingSlash: gauge('tapbridge_stake_pending_slash_tokens', 'Slashes decided but not yet applied on the L2, per signer, in whole tokens (already counted off its stake)', ['signer']),
};

/** Whole tokens as a float for dashboards (the ledger keeps exact base units). */
export function wholeTokens(units: bigint): number {
  return Number(units / 10n ** 12n) / 1e6;
}
