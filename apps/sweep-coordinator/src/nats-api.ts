// Withdrawals, reserves and pipeline status over NATS request/reply (rpc.sweeps.*), for the api-gateway and the CLI.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RemoteError, serveRequests } from '@tapbridge/messaging';
import { RUNTIME } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { z } from 'zod';
import { listWithdrawalsQuery, withdrawalIdParam } from './dto.js';
import { Queries } from './queries.js';
import { ReservesService } from './reserves.service.js';

export const NATS_API_SUBJECTS = {
  withdrawal: 'sweeps.withdrawal.get',
  withdrawalsBySender: 'sweeps.withdrawal.list',
  sweep: 'sweeps.sweep.get',
  reserves: 'sweeps.reserves.get',
  status: 'sweeps.status.get',
} as const;

@Injectable()
export class NatsApi implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriptions: Array<{ unsubscribe(): void }> = [];

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    private readonly queries: Queries,
    private readonly reserves: ReservesService,
  ) {}

  onApplicationBootstrap(): void {
    this.subscriptions = [
      serveRequests(this.runtime.messaging, NATS_API_SUBJECTS.withdrawal, z.object({ id: withdrawalIdParam }), async ({ id }) => {
        const w = await this.queries.withdrawal(id);
        if (!w) throw new RemoteError('not_found', `no withdrawal ${id}`);
        return w;
      }),
      serveRequests(this.runtime.messaging, NATS_API_SUBJECTS.sweep, z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/) }), async ({ txid }) => {
        const s = await this.queries.sweep(txid, false);
        if (!s) throw new RemoteError('not_found', `no sweep ${txid}`);
        return s;
      }),
      serveRequests(this.runtime.messaging, NATS_API_SUBJECTS.withdrawalsBySender, listWithdrawalsQuery, ({ sender }) => this.queries.withdrawalsBySender(sender)),
      serveRequests(this.runtime.messaging, NATS_API_SUBJECTS.reserves, z.object({}).passthrough(), () => this.reserves.report()),
      serveRequests(this.runtime.messaging, NATS_API_SUBJECTS.status, z.object({}).passthrough(), () => this.queries.status()),
    ];
  }

  onApplicationShutdown(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
