import type { Provider } from '@nestjs/common';
import { RUNTIME } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { PrismaService } from './prisma.service.js';
import { PostgresSweepStore } from './store/postgres-store.js';

/** The pipeline's store over the service's own schema; its commits wake the outbox relay. */
export const sweepStoreProvider: Provider = {
  provide: PostgresSweepStore,
  inject: [RUNTIME, PrismaService],
  useFactory: (runtime: ServiceRuntime, prisma: PrismaService) => new PostgresSweepStore({ prisma, schema: runtime.schema, afterCommit: () => runtime.relay.wake() }),
};
