import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { chooseChain } from './chain/chain.js';
import { evmGatewayConfig } from './config.js';

const logger = createLogger('evm-gateway');
try {
  const config = loadConfig(evmGatewayConfig);
  logger.info({ config: describeConfig(evmGatewayConfig, config) }, 'configuration loaded');
  // Before anything connects: the devnet genesis on a real Bitcoin network (or an unreadable genesis file) is refused.
  chooseChain(config);
  const runtime = await ServiceRuntime.startService({ service: 'evm-gateway', config, logger, mainModuleUrl: import.meta.url });
  await bootstrapService({
    module: AppModule.forRoot(config, runtime),
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge evm-gateway',
    description:
      'Layer 2 EVM: deposits minted from deposit.confirmed, burns published as withdrawal.requested once final; rpc.evm.*. ' +
      `Ethereum JSON-RPC (HTTP and WebSocket) is on port ${config.RPC_PORT}.`,
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
