// held_capacity in the indexer's API: a confirmed deposit the evm-gateway holds because the signers' stake does not
// cover it yet (the dynamic pledge) is shown as held_capacity instead of plain confirmed. Display only: the indexer's
// own state stays confirmed (its rules know nothing of the L2). Asked of the gateway (rpc.evm.deposits.state) per
// read; a gateway that does not answer in time leaves the indexer's status as it is.
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { request, type Messaging } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RUNTIME } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import type { DepositView } from './deposit-dto.js';

const answer = z.object({ enforced: z.boolean(), states: z.record(z.string(), z.enum(['minted', 'held_capacity', 'unknown'])) });

@Injectable()
export class CapacityStatus {
  private readonly logger = new Logger('CapacityStatus');
  private readonly messaging: Messaging;

  // The timeout is a test knob: Nest has no provider for it (@Optional → undefined → the default).
  constructor(@Inject(RUNTIME) runtime: Pick<ServiceRuntime, 'messaging'>, @Optional() @Inject('CAPACITY_STATUS_TIMEOUT_MS') private readonly timeoutMs = 1_500) {
    this.messaging = runtime.messaging;
  }

  /** The views with every confirmed deposit the gateway holds for capacity marked held_capacity. */
  async mark<T extends Pick<DepositView, 'txid' | 'vout' | 'status'>>(views: T[]): Promise<T[]> {
    const confirmed = views.filter((v) => v.status === 'confirmed').map((v) => `${v.txid}:${v.vout}`);
    if (confirmed.length === 0) return views;
    let states: Record<string, string>;
    try {
      states = (await request(this.messaging, 'evm.deposits.state', { depositIds: confirmed.slice(0, 1_000) }, { timeoutMs: this.timeoutMs, response: answer })).states;
    } catch (err) {
      this.logger.debug(`held_capacity unknown (the evm-gateway did not answer: ${(err as Error).message})`);
      return views;
    }
    return views.map((v) => (v.status === 'confirmed' && states[`${v.txid}:${v.vout}`] === 'held_capacity' ? { ...v, status: 'held_capacity' as const } : v));
  }
}
