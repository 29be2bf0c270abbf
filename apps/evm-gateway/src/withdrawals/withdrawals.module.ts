// Burns: final WithdrawalRequested logs become withdrawal.requested events (the outbox), once per burn.
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EvmEngine } from '@tapbridge/evm';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import { ChainModule } from '../chain/chain.module.js';
import type { EvmGatewayConfig } from '../config.js';
import { WithdrawalFinalizer } from './withdrawal-finalizer.js';

/** Scans for final burns from the moment the app is up (then after every block); on shutdown finishes the pass in hand. */
@Injectable()
export class FinalizerLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(WithdrawalFinalizer) private readonly finalizer: WithdrawalFinalizer) {}

  onApplicationBootstrap(): void {
    this.finalizer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.finalizer.stop();
  }
}

@Module({
  imports: [ChainModule],
  providers: [
    {
      provide: WithdrawalFinalizer,
      inject: [APP_CONFIG, RUNTIME, EvmEngine],
      useFactory: (config: EvmGatewayConfig, runtime: ServiceRuntime, engine: EvmEngine) =>
        new WithdrawalFinalizer({
          engine, schema: runtime.schema, transaction: (fn) => runtime.transaction(fn), logger: runtime.logger, finalityDepth: BigInt(config.EVM_FINALITY_DEPTH),
        }),
    },
    FinalizerLoop,
  ],
})
export class WithdrawalsModule {}
