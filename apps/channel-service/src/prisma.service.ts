import { Global, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { prismaAdapter, RUNTIME } from '@tapbridge/runtime/nest';
import { PrismaClient } from './generated/prisma/client.js';

/** The channel service's Prisma client (schema channel_service) on the runtime's pg pool. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(RUNTIME) runtime: ServiceRuntime) {
    super({ adapter: prismaAdapter(runtime) });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

@Global()
@Module({ providers: [PrismaService], exports: [PrismaService] })
export class PrismaModule {}
