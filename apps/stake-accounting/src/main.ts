import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { stakeAccountingConfig } from './config.js';

const logger = createLogger('stake-accounting');
try {
  const config = loadConfig(stakeAccountingConfig);
  logger.info({ config: describeConfig(stakeAccountingConfig, config) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'stake-accounting', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge stake-accounting',
    description: 'The dynamic pledge: staking logs indexed into a double-entry ledger, stake price, capacity (stake.capacity), epochs (stake.epoch.started), slashing on proof, rewards; rpc.stake.*',
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
