import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { signerConfig } from './config.js';

const logger = createLogger('signer');
try {
  const config = loadConfig(signerConfig);
  logger.info({ config: describeConfig(signerConfig, config) }, 'configuration loaded');
  if (config.SIGNER_FAULT !== 'none') logger.warn({ fault: config.SIGNER_FAULT }, 'TEST FAULT INJECTION ENABLED: this signer misbehaves on purpose');
  const runtime = await ServiceRuntime.startService({ service: 'signer', instance: String(config.SIGNER_INDEX), config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT ?? 4100 + config.SIGNER_INDEX,
    title: `tapbridge signer ${config.SIGNER_INDEX}`,
    description: 'One FROST signer: DKG and ROAST signing over NATS, a policy check before every partial signature',
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
