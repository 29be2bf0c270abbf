import { Module } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import type { StakeAccountingConfig } from '../config.js';
import { IndexingModule } from '../indexing/indexing.module.js';
import { L2Client } from '../indexing/l2-client.js';
import { PrismaService } from '../prisma.service.js';
import { StakeState } from '../indexing/stake-state.js';
import { PostgresLedger } from '../ledger/postgres-ledger.js';
import { CapacityService } from './capacity.service.js';
import { PledgeConsumers } from './consumers.js';
import { EpochsService } from './epochs.service.js';
import { PriceFeed } from './price-feed.js';
import { CoinbaseFeeIncome } from './fee-income.js';
import { FEE_INCOME, RewardJob, RewardRunner, type FeeIncome } from './rewards.service.js';
import { SlashingService } from './slashing.service.js';
import { CoordinatorUptime, UPTIME_SOURCE, type UptimeSource } from './uptime.js';
import { SystemCallPublisher } from './system-calls.publisher.js';
import { UnbondingReleaseService } from './unbonding-release.service.js';

/** The pledge rules at work: price feed, capacity (stake.capacity), epochs (stake.epoch.started), slashing, rewards, unbonding releases. */
@Module({
  imports: [IndexingModule],
  providers: [
    PriceFeed,
    CapacityService,
    EpochsService,
    SlashingService,
    PledgeConsumers,
    {
      provide: FEE_INCOME,
      inject: [PrismaService, L2Client, RUNTIME],
      useFactory: (prisma: PrismaService, l2: L2Client, runtime: ServiceRuntime): FeeIncome => new CoinbaseFeeIncome({ prisma, l2, logger: runtime.logger }),
    },
    { provide: UPTIME_SOURCE, inject: [RUNTIME], useFactory: (runtime: ServiceRuntime): UptimeSource => new CoordinatorUptime(runtime.messaging) },
    {
      provide: RewardRunner,
      inject: [APP_CONFIG, RUNTIME, PostgresLedger, FEE_INCOME, UPTIME_SOURCE, StakeState],
      useFactory: (config: StakeAccountingConfig, runtime: ServiceRuntime, ledger: PostgresLedger, income: FeeIncome, uptime: UptimeSource, state: StakeState) =>
        new RewardRunner({ pool: runtime.pool, schema: runtime.schema, ledger, income, uptime, commissionBps: config.REWARD_COMMISSION_BPS, state }),
    },
    RewardJob,
    UnbondingReleaseService,
    SystemCallPublisher,
  ],
  exports: [PriceFeed, CapacityService, EpochsService, SlashingService, RewardRunner, UnbondingReleaseService, SystemCallPublisher, UPTIME_SOURCE, IndexingModule],
})
export class PledgeModule {}
