// The indexer's Prometheus metrics. Deposit gauges are re-read from Postgres after every change, so they count
// what is stored (across restarts and replicas), not what this process happened to see.
import type { Pool } from 'pg';
import { DEPOSIT_STATUSES } from '@tapbridge/deposits';
import { qualified } from '@tapbridge/messaging';
import { counter, gauge, histogram } from '@tapbridge/observability';

const deposits = gauge('tapbridge_deposits', 'Deposits currently in each status', ['status']);
const depositSats = gauge('tapbridge_deposit_sats', 'Satoshis of the deposits currently in each status', ['status']);
export const blocksScanned = counter('tapbridge_blocks_scanned_total', 'Connected blocks fetched, verified and applied');
export const blockScanSeconds = histogram('tapbridge_block_scan_seconds', 'Fetch, verify and apply time of one connected block', [], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]);

export async function refreshDepositGauges(pool: Pool, schema: string): Promise<void> {
  const r = await pool.query<{ status: string; n: string; sats: string }>(
    `SELECT status, count(*) AS n, coalesce(sum(amount_sats), 0) AS sats FROM ${qualified(schema, 'deposit')} GROUP BY status`,
  );
  const byStatus = new Map(r.rows.map((row) => [row.status, row]));
  for (const status of DEPOSIT_STATUSES) {
    deposits.set({ status }, Number(byStatus.get(status)?.n ?? 0));
    depositSats.set({ status }, Number(byStatus.get(status)?.sats ?? 0));
  }
}
