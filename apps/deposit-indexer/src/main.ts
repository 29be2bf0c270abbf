import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { custodyScriptPubKey, depositIndexerConfig } from './config.js';

const logger = createLogger('deposit-indexer');
try {
  const config = loadConfig(depositIndexerConfig);
  custodyScriptPubKey(config); // a bad CUSTODY_ADDRESS fails start-up before any connection is made
  logger.info({ config: describeConfig(depositIndexerConfig, config), sources: config.BTC_SOURCES.map((s) => s.name) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'deposit-indexer', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge deposit-indexer',
    description: 'Merkle-checked deposits on the validated best chain, the custody UTXO set and reclaims; deposit.* events on JetStream; rpc.deposits.*',
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
