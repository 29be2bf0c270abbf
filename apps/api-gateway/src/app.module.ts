import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { apiGatewayConfig, type ApiGatewayConfig } from './config.js';
import { ConsoleModule } from './console.controller.js';
import { PrismaService } from './prisma.service.js';
import { ReadsModule } from './reads.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  static forRoot(config: ApiGatewayConfig, runtime: ServiceRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(apiGatewayConfig, config), PrismaModule.forRoot(PrismaService), ReadsModule, WebhooksModule, ConsoleModule],
    };
  }
}
