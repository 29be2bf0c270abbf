// The indexer's loop: btc.header.* in chain order (maxAckPending 1) → fetch and verify the block → apply it with
// the pure deposit rules in one transaction with the inbox claim and the outbox events. A block that cannot be
// fetched or verified is retried, never skipped: the consumer holds every later event back until it succeeds.
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DepositIndexer, fetchVerifiedBlock, type DepositRules } from '@tapbridge/deposits';
import { btcHeaderConnected, btcHeaderDisconnected, type DecodedEvent, type DurableConsumer, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RUNTIME } from '@tapbridge/runtime/nest';
import type { PrismaClient } from './generated/prisma/client.js';
import { blockScanSeconds, blocksScanned, DepositGauges } from './metrics.js';
import { DuplicateEventError, PostgresDepositStore } from './postgres-store.js';
import { PrismaService } from './prisma.service.js';
import type { ChainLookups } from './sources.js';
import { CHAIN_LOOKUPS, DEPOSIT_RULES } from './tokens.js';

export const BLOCK_CONSUMER = 'deposit-indexer-blocks';
/** Effectively unlimited: dead-lettering a block would skip it, so failures retry (with backoff) until fixed. */
const MAX_DELIVER = 1_000_000;

/** Consumes from the moment the app is up; on shutdown finishes the block in hand before Prisma and the pool close. */
@Injectable()
export class BlockConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(PostgresDepositStore) private readonly store: PostgresDepositStore,
    @Inject(DEPOSIT_RULES) private readonly rules: DepositRules,
    @Inject(CHAIN_LOOKUPS) private readonly chain: ChainLookups,
    @Inject(PrismaService) private readonly prisma: PrismaClient,
    @Inject(DepositGauges) private readonly gauges: DepositGauges,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.runtime.consume({
      durable: BLOCK_CONSUMER,
      stream: 'BTC',
      subject: 'btc.header.>',
      maxAckPending: 1,
      maxDeliver: MAX_DELIVER,
      backoffMs: [500, 1_000, 2_000, 5_000, 10_000, 30_000],
      // After a crash the unacked event is redelivered only when this expires, and with maxAckPending 1 it holds
      // back everything after it, so keep it short. A slow block that outlives it is redelivered to this same
      // sequential loop and then refused by the inbox: wasted work, never a double effect.
      ackWaitMs: 10_000,
      handle: (event) => this.handle(event),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async handle(event: DecodedEvent): Promise<void> {
    const indexer = new DepositIndexer(this.store.claiming(BLOCK_CONSUMER, event.id), this.rules);
    try {
      if (event.subject === btcHeaderConnected.subject) await this.connected(indexer, event.payload as EventPayload<typeof btcHeaderConnected>, event.id);
      else if (event.subject === btcHeaderDisconnected.subject) await this.disconnected(indexer, event.payload as EventPayload<typeof btcHeaderDisconnected>, event.id);
      else return;
    } catch (e) {
      if (e instanceof DuplicateEventError) return;
      this.runtime.logger.warn({ err: (e as Error).message, eventId: event.id }, 'block event not applied; will retry');
      throw e;
    }
    await this.gauges.refresh().catch(() => undefined);
  }

  private async connected(indexer: DepositIndexer, p: EventPayload<typeof btcHeaderConnected>, eventId: string): Promise<void> {
    if (await this.alreadyApplied(eventId)) return;
    const end = blockScanSeconds.startTimer();
    const verified = await fetchVerifiedBlock({ hash: p.hash, header: p.header }, this.chain.sources);
    const report = await indexer.connectBlock({ hash: p.hash, height: p.height, prevHash: p.prevHash, header: p.header }, verified);
    end();
    if (report.outcome === 'applied') blocksScanned.inc();
    this.runtime.logger.info({ height: p.height, hash: p.hash, source: verified.source, txs: verified.block.txs.length, ...report }, 'block connected');
  }

  private async disconnected(indexer: DepositIndexer, p: EventPayload<typeof btcHeaderDisconnected>, eventId: string): Promise<void> {
    const report = await indexer.disconnectBlock({ hash: p.hash, height: p.height });
    this.runtime.logger.info({ height: p.height, hash: p.hash, eventId, ...report }, 'block disconnected');
  }

  /** Skips the block fetch for a redelivered event (the claim in the transaction is what guarantees exactly once). */
  private async alreadyApplied(eventId: string): Promise<boolean> {
    return (await this.prisma.inbox.count({ where: { consumer: BLOCK_CONSUMER, eventId } })) > 0;
  }
}
