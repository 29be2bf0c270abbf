import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type { ServiceRuntime } from '../runtime.js';
import { RUNTIME } from './runtime-token.js';

/**
 * The driver adapter PrismaModule passes to the app's generated PrismaClient: Prisma 7 reaches Postgres only through
 * one. It shares the runtime's pg pool (one pool per process; raw SQL and Prisma see the same limits) and qualifies
 * every query with the app's own schema (serviceSchema). The pool is the runtime's to end, not Prisma's.
 */
export function prismaAdapter(runtime: ServiceRuntime): PrismaPg {
  return new PrismaPg(runtime.pool, { schema: runtime.schema });
}

/** What the lifecycle needs from any generated PrismaClient. */
export interface PrismaConnection {
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

/** A generated PrismaClient class: built with a driver adapter, the instance is the typed client. */
export type PrismaClientClass<T extends PrismaConnection> = new (options: { adapter: PrismaPg }) => T;

/** The provided client as its lifecycle sees it (an alias of the app's client class, module-internal). */
const PRISMA_CONNECTION = Symbol('PRISMA_CONNECTION');

/** Connects the client before any onApplicationBootstrap and detaches it after every beforeApplicationShutdown. */
@Injectable()
class PrismaLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(PRISMA_CONNECTION) private readonly client: PrismaConnection) {}

  async onModuleInit(): Promise<void> {
    await this.client.$connect();
  }

  // $disconnect detaches from the runtime's pool; the runtime ends the pool after the app has closed.
  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
  }
}

/**
 * Provides the app's own generated PrismaClient to every module (global, like RUNTIME and APP_CONFIG), built on the
 * runtime's pool and schema. The generated class is both the DI token and the type, so models stay fully typed:
 *
 *   export { PrismaClient as PrismaService } from './generated/prisma/client.js';   // src/prisma.service.ts
 *   imports: [PrismaModule.forRoot(PrismaService)]                                   // AppModule.forRoot
 *   constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}
 */
@Global()
@Module({})
export class PrismaModule {
  static forRoot<T extends PrismaConnection>(client: PrismaClientClass<T>): DynamicModule {
    return {
      module: PrismaModule,
      providers: [
        { provide: client, inject: [RUNTIME], useFactory: (runtime: ServiceRuntime): T => new client({ adapter: prismaAdapter(runtime) }) },
        { provide: PRISMA_CONNECTION, useExisting: client },
        PrismaLifecycle,
      ],
      exports: [client],
    };
  }
}
