import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { ChannelsModule } from './channels/channels.module.js';
import { channelServiceConfig, type ChannelServiceConfig } from './config.js';
import { PrismaModule } from './prisma.service.js';

@Module({})
export class AppModule {
  static forRoot(config: ChannelServiceConfig, runtime: ServiceRuntime): DynamicModule {
    return { module: AppModule, imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(channelServiceConfig, config), PrismaModule, ChannelsModule] };
  }
}
