import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { headerWatcherConfig, type HeaderWatcherConfig } from './config.js';
import { HeadersModule } from './headers.module.js';
import { PrismaService } from './prisma.service.js';
import { SyncModule } from './sync.module.js';

@Module({})
export class AppModule {
  static forRoot(config: HeaderWatcherConfig, runtime: ServiceRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(headerWatcherConfig, config), PrismaModule.forRoot(PrismaService), SyncModule, HeadersModule],
    };
  }
}
