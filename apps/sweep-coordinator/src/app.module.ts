import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { sweepCoordinatorConfig, type SweepCoordinatorConfig } from './config.js';
import { EscapeModule } from './escape/escape.controller.js';
import { PipelineModule } from './pipeline.module.js';
import { PrismaService } from './prisma.service.js';
import { SweepsModule } from './sweeps.module.js';

/** The sweep-coordinator: the pipeline (intake, jobs, reserves) and its read API (REST and rpc.sweeps.*). */
@Module({})
export class AppModule {
  static forRoot(config: SweepCoordinatorConfig, runtime: ServiceRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(sweepCoordinatorConfig, config), PrismaModule.forRoot(PrismaService), PipelineModule, SweepsModule, EscapeModule],
    };
  }
}
