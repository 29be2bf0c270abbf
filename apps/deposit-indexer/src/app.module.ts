import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { depositIndexerConfig, type DepositIndexerConfig } from './config.js';
import { DepositsModule } from './deposits.module.js';
import { IndexingModule } from './indexing.module.js';
import { PrismaService } from './prisma.service.js';

@Module({})
export class AppModule {
  static forRoot(config: DepositIndexerConfig, runtime: ServiceRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(depositIndexerConfig, config), PrismaModule.forRoot(PrismaService), IndexingModule, DepositsModule],
    };
  }
}
