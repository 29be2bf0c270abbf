import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { coordinatorConfig, type CoordinatorConfig } from './config.js';
import { PrismaService } from './prisma.service.js';
import { SigningModule } from './signing.module.js';

@Module({})
export class AppModule {
  static forRoot(config: CoordinatorConfig, runtime: ServiceRuntime): DynamicModule {
    return { module: AppModule, imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(coordinatorConfig, config), PrismaModule.forRoot(PrismaService), SigningModule] };
  }
}
