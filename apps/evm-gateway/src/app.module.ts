import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import { GatewayController } from './gateway.controller.js';
import { GatewayQueries } from './gateway-queries.js';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, queries: GatewayQueries): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [GatewayController],
      providers: [{ provide: GatewayQueries, useValue: queries }],
    };
  }
}
