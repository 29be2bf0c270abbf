import { Module } from '@nestjs/common';
import type { DepositRules } from '@tapbridge/deposits';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import { BlockConsumer } from './block-consumer.js';
import { custodyScriptPubKey, type DepositIndexerConfig } from './config.js';
import { DepositGauges } from './metrics.js';
import { PostgresDepositStore } from './postgres-store.js';
import { PrismaService } from './prisma.service.js';
import { chainLookups, createSources } from './sources.js';
import { CHAIN_LOOKUPS, DEPOSIT_RULES } from './tokens.js';

/** Block indexing: the deposit rules, the chain sources, the Postgres store and the btc.header.* consumer. */
@Module({
  providers: [
    {
      provide: DEPOSIT_RULES,
      inject: [APP_CONFIG],
      useFactory: (config: DepositIndexerConfig): DepositRules => ({
        confirmations: config.DEPOSIT_CONFIRMATIONS,
        groupKey: config.CUSTODY_GROUP_KEY,
        custodyScriptPubKey: custodyScriptPubKey(config),
        opReturnMaxFeeSats: config.OP_RETURN_MAX_FEE_SATS,
      }),
    },
    {
      provide: CHAIN_LOOKUPS,
      inject: [APP_CONFIG, RUNTIME],
      useFactory: (config: DepositIndexerConfig, runtime: ServiceRuntime) => chainLookups(createSources(config.BTC_SOURCES), runtime.logger),
    },
    {
      provide: PostgresDepositStore,
      inject: [RUNTIME, PrismaService],
      useFactory: (runtime: ServiceRuntime, prisma: PrismaService) =>
        new PostgresDepositStore({ prisma, schema: runtime.schema, afterCommit: () => runtime.relay.wake() }),
    },
    DepositGauges,
    BlockConsumer,
  ],
  exports: [DEPOSIT_RULES, CHAIN_LOOKUPS, PostgresDepositStore, DepositGauges],
})
export class IndexingModule {}
