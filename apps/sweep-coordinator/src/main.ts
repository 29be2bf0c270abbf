import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { sweepCoordinatorConfig } from './config.js';

const logger = createLogger('sweep-coordinator');
try {
  const config = loadConfig(sweepCoordinatorConfig);
  logger.info({ config: describeConfig(sweepCoordinatorConfig, config), sources: config.BTC_SOURCES.map((s) => s.name) }, 'configuration loaded');
  if (config.SWEEP_CRASH_AT) logger.warn({ crashAt: config.SWEEP_CRASH_AT }, 'TEST HOOK: the process kills itself at this pipeline point');
  const runtime = await ServiceRuntime.startService({ service: 'sweep-coordinator', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge sweep-coordinator',
    description:
      'Withdrawals paid on Bitcoin: sweeps of confirmed deposits and payouts of final withdrawals, signed by the signers (purpose sweep), ' +
      'broadcast to every source, tracked through reorgs and bumped by RBF; proof of reserves. NATS: rpc.sweeps.*.',
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
