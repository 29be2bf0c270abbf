import { Module, type DynamicModule } from '@nestjs/common';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { BitcoinService } from './bitcoin.service.js';
import type { SweepCoordinatorConfig } from './config.js';
import { CrashPoints } from './crash-points.js';
import { CustodyService } from './custody.service.js';
import { IntakeConsumers } from './intake.consumers.js';
import { JobsService } from './jobs.service.js';
import { NatsApi } from './nats-api.js';
import { Peers } from './peers.js';
import { PipelineService } from './pipeline.service.js';
import { Queries } from './queries.js';
import { ReservesService } from './reserves.service.js';
import { sweepStoreProvider } from './sweep-store.js';
import { SweepsController, WithdrawalsController } from './sweeps.controller.js';
import { CONFIG } from './tokens.js';

/**
 * The sweep-coordinator: intake consumers (withdrawals, deposits, headers) feed the store; BullMQ jobs drive the
 * pipeline (plan, sign, broadcast, bump, rebroadcast) and the reserves check; REST and NATS read it.
 */
@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, config: SweepCoordinatorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [WithdrawalsController, SweepsController],
      providers: [
        { provide: CONFIG, useValue: config },
        sweepStoreProvider,
        BitcoinService,
        Peers,
        CustodyService,
        CrashPoints,
        PipelineService,
        ReservesService,
        JobsService,
        IntakeConsumers,
        Queries,
        NatsApi,
      ],
    };
  }
}
