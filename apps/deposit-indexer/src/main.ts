import { describeConfig, loadConfig } from '@tapbridge/config';
import type { DepositRules } from '@tapbridge/deposits';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { BlockConsumer } from './block-consumer.js';
import { custodyScriptPubKey, depositIndexerConfig } from './config.js';
import { DepositQueries } from './deposit-queries.js';
import { DepositService } from './deposit-service.js';
import { refreshDepositGauges } from './metrics.js';
import { serveDepositQueries } from './nats-api.js';
import { PostgresDepositStore } from './postgres-store.js';
import { chainLookups, createSources } from './sources.js';

const logger = createLogger('deposit-indexer');
try {
  const config = loadConfig(depositIndexerConfig);
  const rules: DepositRules = {
    confirmations: config.DEPOSIT_CONFIRMATIONS,
    groupKey: config.CUSTODY_GROUP_KEY,
    custodyScriptPubKey: custodyScriptPubKey(config),
    opReturnMaxFeeSats: config.OP_RETURN_MAX_FEE_SATS,
  };
  logger.info({ config: describeConfig(depositIndexerConfig, config), sources: config.BTC_SOURCES.map((s) => s.name) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'deposit-indexer', config, logger, mainModuleUrl: import.meta.url });
  const store = new PostgresDepositStore({ schema: runtime.schema, transaction: (fn) => runtime.transaction(fn) });
  const chain = chainLookups(createSources(config.BTC_SOURCES), logger);
  const queries = new DepositQueries(runtime.pool, runtime.schema);
  const service = new DepositService(store, rules, chain.any, queries, runtime.pool, runtime.schema);
  const consumer = new BlockConsumer({ runtime, store, rules, sources: chain.sources, logger });
  await refreshDepositGauges(runtime.pool, runtime.schema);
  let natsApi: Array<{ unsubscribe(): void }> = [];
  await bootstrapService({
    module: AppModule.forRoot(runtime, service, queries) as never,
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge deposit-indexer',
    description: 'Merkle-checked deposits on the validated best chain, the custody UTXO set and reclaims; deposit.* events on JetStream',
    onListening: async () => {
      natsApi = serveDepositQueries(runtime.messaging, queries);
      await consumer.start();
    },
    onShutdown: () => {
      for (const s of natsApi) s.unsubscribe();
    },
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
