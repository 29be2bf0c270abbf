import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { ApiModule } from './api/api.module.js';
import { stakeAccountingConfig, type StakeAccountingConfig } from './config.js';
import { PrismaService } from './prisma.service.js';

@Module({})
export class AppModule {
  static forRoot(config: StakeAccountingConfig, runtime: ServiceRuntime): DynamicModule {
    return { module: AppModule, imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(stakeAccountingConfig, config), PrismaModule.forRoot(PrismaService), ApiModule] };
  }
}
