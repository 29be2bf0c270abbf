// The JetStream events stake-accounting follows: Bitcoin headers (epochs) and the coordinator's misbehaviour reports
// (slashing). Each in stream order, one at a time; each handler claims the event id in the transaction that records
// its effect, so a redelivery does nothing.
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { btcHeaderConnected, signingMisbehaviour, type DecodedEvent, type DurableConsumer, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RUNTIME } from '@tapbridge/runtime/nest';
import { EPOCH_CONSUMER, EpochsService } from './epochs.service.js';
import { MISBEHAVIOUR_CONSUMER, SlashingService } from './slashing.service.js';

@Injectable()
export class PledgeConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumers: DurableConsumer[] = [];

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(EpochsService) private readonly epochs: EpochsService,
    @Inject(SlashingService) private readonly slashing: SlashingService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers.push(
      await this.runtime.consume({
        durable: EPOCH_CONSUMER,
        stream: 'BTC',
        subject: 'btc.header.>',
        maxAckPending: 1,
        backoffMs: [500, 1_000, 5_000, 30_000],
        handle: async (event: DecodedEvent) => {
          if (event.subject !== btcHeaderConnected.subject) return;
          const p = event.payload as EventPayload<typeof btcHeaderConnected>;
          await this.epochs.onBlock({ height: p.height, hash: p.hash }, event.id);
        },
      }),
      await this.runtime.consume({
        durable: MISBEHAVIOUR_CONSUMER,
        stream: 'SIGNING',
        subject: 'signing.misbehaviour',
        maxAckPending: 1,
        backoffMs: [500, 1_000, 5_000, 30_000],
        handle: async (event: DecodedEvent) => {
          await this.slashing.onReport(event.payload as EventPayload<typeof signingMisbehaviour>, event.id);
        },
      }),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
