// The L2 side of state channels (issue 12): channel.system.call from the channel-service, applied by the sequencer as
// a channel ledger system call (packages/evm system-calls.ts): a payment credited as real L2 BTC to the channel's
// EVM address, a return burned from it, exactly once per (channel, state) across redelivery and restarts.
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EvmEngine, parseChannelSystemCall, SystemCallError, type SystemCall } from '@tapbridge/evm';
import { channelSystemCall, NonRetryableError, type DecodedEvent, type DurableConsumer, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RUNTIME } from '@tapbridge/runtime/nest';
import { ChainModule } from '../chain/chain.module.js';

/** Durable consumer on channel.system.call. */
export const CHANNEL_CONSUMER = 'evm-gateway-channel';

@Injectable()
export class ChannelLedgerConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(EvmEngine) private readonly engine: EvmEngine,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // One at a time, in stream order: a call waits for its block (seconds); acked only once that block committed.
    this.consumer = await this.runtime.consume({
      durable: CHANNEL_CONSUMER, stream: 'CHANNEL', subject: channelSystemCall.subject, maxAckPending: 1, ackWaitMs: 30_000,
      maxDeliver: 50, backoffMs: [1_000, 2_000, 5_000, 10_000],
      handle: (event) => this.handle(event),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async handle(event: DecodedEvent): Promise<void> {
    if (event.subject !== channelSystemCall.subject) return;
    let call: SystemCall;
    try {
      // Only channel kinds: a stake decision can never arrive this way (the schema and the parser both refuse it).
      call = parseChannelSystemCall(event.payload as EventPayload<typeof channelSystemCall>);
    } catch (err) {
      if (err instanceof SystemCallError) throw new NonRetryableError(`channel.system.call ${event.id} refused: ${err.message}`);
      throw err;
    }
    // A crash before the block commits redelivers it; the stored system transaction and the ledger's guard slot keep
    // it from running twice.
    const outcome = await this.engine.queueSystemCall(call);
    const record = outcome.status === 'already-executed' ? outcome.record : await outcome.committed;
    // A refused burn is the user's own doing (the L2 BTC was spent): custody does not sign that return.
    this.runtime.logger[record.status === 'reverted' ? 'warn' : 'info'](
      { id: record.id, status: record.status, block: record.blockNumber.toString(), tx: record.transactionHash },
      record.status === 'reverted' ? 'channel burn refused by the L2 (balance too low)' : 'channel ledger call settled',
    );
  }
}

@Module({ imports: [ChainModule], providers: [ChannelLedgerConsumer] })
export class ChannelLedgerModule {}
