// The indexer's Prometheus metrics. Deposit gauges are re-read from Postgres after every change, so they count
// what is stored (across restarts and replicas), not what this process happened to see.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DEPOSIT_STATUSES } from '@tapbridge/deposits';
import { counter, gauge, histogram } from '@tapbridge/observability';
import type { PrismaClient } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

const deposits = gauge('tapbridge_deposits', 'Deposits currently in each status', ['status']);
const depositSats = gauge('tapbridge_deposit_sats', 'Satoshis of the deposits currently in each status', ['status']);
export const blocksScanned = counter('tapbridge_blocks_scanned_total', 'Connected blocks fetched, verified and applied');
export const blockScanSeconds = histogram('tapbridge_block_scan_seconds', 'Fetch, verify and apply time of one connected block', [], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]);

@Injectable()
export class DepositGauges implements OnApplicationBootstrap {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaClient) {}

  /** Sets the gauges from what is stored before the first scrape. */
  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const groups = await this.prisma.deposit.groupBy({ by: ['status'], _count: { _all: true }, _sum: { amountSats: true } });
    const byStatus = new Map(groups.map((g) => [g.status, g]));
    for (const status of DEPOSIT_STATUSES) {
      const g = byStatus.get(status);
      deposits.set({ status }, g?._count._all ?? 0);
      depositSats.set({ status }, Number(g?._sum.amountSats ?? 0n));
    }
  }
}
