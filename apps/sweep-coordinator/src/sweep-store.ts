import type { Provider } from '@nestjs/common';
import { RUNTIME } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { PostgresSweepStore } from './store/postgres-store.js';

/** The pipeline's store over the service's own schema; its transactions wake the outbox relay on commit. */
export const sweepStoreProvider: Provider = {
  provide: PostgresSweepStore,
  inject: [RUNTIME],
  useFactory: (runtime: ServiceRuntime) => new PostgresSweepStore({ schema: runtime.schema, transaction: (fn) => runtime.transaction(fn) }),
};
