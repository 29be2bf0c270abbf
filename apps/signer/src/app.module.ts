import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { signerConfig, type SignerConfig } from './config.js';
import { PrismaService } from './prisma.service.js';
import { SignerModule } from './signer.module.js';

@Module({})
export class AppModule {
  static forRoot(config: SignerConfig, runtime: ServiceRuntime): DynamicModule {
    return { module: AppModule, imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(signerConfig, config), PrismaModule.forRoot(PrismaService), SignerModule] };
  }
}
