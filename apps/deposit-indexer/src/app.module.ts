import { Module, type DynamicModule } from '@nestjs/common';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { DepositQueries } from './deposit-queries.js';
import { DepositService } from './deposit-service.js';
import { DepositsController } from './deposits.controller.js';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, service: DepositService, queries: DepositQueries): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [DepositsController],
      providers: [
        { provide: DepositService, useValue: service },
        { provide: DepositQueries, useValue: queries },
      ],
    };
  }
}
