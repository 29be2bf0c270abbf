// The sweep pipeline's Prometheus metrics (besides the jobs' tapbridge_jobs gauge and the consumers' counters).
import { counter, gauge } from '@tapbridge/observability';

export const withdrawalsByStatus = gauge('tapbridge_withdrawals', 'Withdrawals in each pipeline status', ['status']);
export const withdrawalsStuck = gauge('tapbridge_withdrawals_stuck', 'Withdrawals waiting longer than WITHDRAWAL_STUCK_BLOCKS (reported, never dropped)');
export const pipelineHalted = gauge('tapbridge_sweep_pipeline_halted', '1 when a conflicting spend of custody stopped the pipeline');
export const sweepsBroadcast = counter('tapbridge_sweeps_broadcast_total', 'Sweep versions accepted by at least one source', ['kind']);
export const sweepsConfirmed = counter('tapbridge_sweeps_confirmed_total', 'Sweep families confirmed');
export const sweepFeeRate = gauge('tapbridge_sweep_fee_rate_sat_vb', 'Fee rate the next sweep would use (clamped estimate)');
export const reservesDiscrepancy = gauge('tapbridge_reserves_discrepancy_sats', 'custody − (L2 supply + pending withdrawals − fees paid); 0 when the books balance');
export const reservesHold = gauge('tapbridge_reserves_invariant_holds', '1 when custody = L2 supply + pending withdrawals − fees paid, 0 when not, absent when unknown');
export const reservesCustody = gauge('tapbridge_reserves_custody_sats', 'Custody on Bitcoin: custody UTXO plus confirmed unswept deposits');
export const reservesSupply = gauge('tapbridge_reserves_l2_supply_sats', 'Bridged BTC on the L2 (mints − final burns)');
export const signatureRefusals = counter('tapbridge_sweep_signature_failures_total', 'Signature requests for sweep inputs that failed (refused or timed out)');
export const withdrawalsHeldByOutflow = gauge('tapbridge_withdrawals_outflow_limited', 'Final withdrawals held back by the signers\' 24 h outflow limit (paid when the window rolls on or the reserve grows)');
export const outflowHeadroom = gauge('tapbridge_sweep_outflow_headroom_sats', 'Payouts the outflow limit still allowed for the last planned sweep (limit − paid out in the window by other sweeps)');
export const outflowLimit = gauge('tapbridge_sweep_outflow_limit_sats', 'The outflow limit for the last planned sweep: SWEEP_OUTFLOW_LIMIT_BPS of its inputs');
