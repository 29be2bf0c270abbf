import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { ApiModule } from './api/api.module.js';
import { stakeAccountingConfig, type StakeAccountingConfig } from './config.js';
import { PrismaModule } from './prisma.service.js';

@Module({})
export class AppModule {
  static forRoot(config: StakeAccountingConfig, runtime: ServiceRuntime): DynamicModule {
    return { module: AppModule, imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(stakeAccountingConfig, config), PrismaModule, ApiModule] };
  }
}
