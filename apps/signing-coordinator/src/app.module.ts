import { Module, type DynamicModule } from '@nestjs/common';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import type { CoordinatorApi } from './api.js';
import { COORDINATOR_API, SignaturesController } from './signatures.controller.js';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, api: CoordinatorApi): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [SignaturesController],
      providers: [{ provide: COORDINATOR_API, useValue: api }],
    };
  }
}
