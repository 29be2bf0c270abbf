// The indexer's loop: btc.header.* in chain order (maxAckPending 1) → fetch and verify the block → apply it with
// the pure deposit rules in one transaction with the inbox claim and the outbox events. A block that cannot be
// fetched or verified is retried, never skipped: the consumer holds every later event back until it succeeds.
import { DepositIndexer, fetchVerifiedBlock, type DepositRules, type RawBlockSource } from '@tapbridge/deposits';
import { btcHeaderConnected, btcHeaderDisconnected, qualified, type DecodedEvent, type EventPayload } from '@tapbridge/messaging';
import type { Logger } from '@tapbridge/observability';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { blockScanSeconds, blocksScanned, refreshDepositGauges } from './metrics.js';
import { DuplicateEventError, type PostgresDepositStore } from './postgres-store.js';

export const BLOCK_CONSUMER = 'deposit-indexer-blocks';
/** Effectively unlimited: dead-lettering a block would skip it, so failures retry (with backoff) until fixed. */
const MAX_DELIVER = 1_000_000;

export interface BlockConsumerDeps {
  runtime: ServiceRuntime;
  store: PostgresDepositStore;
  rules: DepositRules;
  sources: readonly RawBlockSource[];
  logger: Logger;
}

export class BlockConsumer {
  constructor(private readonly d: BlockConsumerDeps) {}

  async start(): Promise<void> {
    await this.d.runtime.consume({
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

  async handle(event: DecodedEvent): Promise<void> {
    const indexer = new DepositIndexer(this.d.store.claiming(BLOCK_CONSUMER, event.id), this.d.rules);
    try {
      if (event.subject === btcHeaderConnected.subject) await this.connected(indexer, event.payload as EventPayload<typeof btcHeaderConnected>, event.id);
      else if (event.subject === btcHeaderDisconnected.subject) await this.disconnected(indexer, event.payload as EventPayload<typeof btcHeaderDisconnected>, event.id);
      else return;
    } catch (e) {
      if (e instanceof DuplicateEventError) return;
      this.d.logger.warn({ err: (e as Error).message, eventId: event.id }, 'block event not applied; will retry');
      throw e;
    }
    await refreshDepositGauges(this.d.runtime.pool, this.d.runtime.schema).catch(() => undefined);
  }

  private async connected(indexer: DepositIndexer, p: EventPayload<typeof btcHeaderConnected>, eventId: string): Promise<void> {
    if (await this.alreadyApplied(eventId)) return;
    const end = blockScanSeconds.startTimer();
    const verified = await fetchVerifiedBlock({ hash: p.hash, header: p.header }, this.d.sources);
    const report = await indexer.connectBlock({ hash: p.hash, height: p.height, prevHash: p.prevHash, header: p.header }, verified);
    end();
    if (report.outcome === 'applied') blocksScanned.inc();
    this.d.logger.info({ height: p.height, hash: p.hash, source: verified.source, txs: verified.block.txs.length, ...report }, 'block connected');
  }

  private async disconnected(indexer: DepositIndexer, p: EventPayload<typeof btcHeaderDisconnected>, eventId: string): Promise<void> {
    const report = await indexer.disconnectBlock({ hash: p.hash, height: p.height });
    this.d.logger.info({ height: p.height, hash: p.hash, eventId, ...report }, 'block disconnected');
  }

  /** Skips the block fetch for a redelivered event (the claim in the transaction is what guarantees exactly once). */
  private async alreadyApplied(eventId: string): Promise<boolean> {
    const r = await this.d.runtime.pool.query(`SELECT 1 FROM ${qualified(this.d.runtime.schema, 'inbox')} WHERE consumer = $1 AND event_id = $2`, [BLOCK_CONSUMER, eventId]);
    return (r.rowCount ?? 0) > 0;
  }
}
