// JetStream durable consumers (packages/messaging, inbox per event): final withdrawals, deposit facts, and the
// validated header chain. Each event is applied in one store transaction with its inbox claim; a new tip then
// queues a pipeline pass.
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  btcHeaderConnected, btcHeaderDisconnected, depositConfirmed, depositReclaimed, depositReorged, withdrawalRequested, type DecodedEvent, type EventPayload,
} from '@tapbridge/messaging';
import { RUNTIME, InjectConfig } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { applyDepositConfirmed, applyDepositReclaimed, applyDepositReorged, applyWithdrawalRequested, blockActivity, connectBlock, disconnectBlock, type BlockActivity } from '@tapbridge/sweeps';
import { BitcoinService } from './bitcoin.service.js';
import type { SweepCoordinatorConfig } from './config.js';
import { CustodyService } from './custody.service.js';
import { JobsService } from './jobs.service.js';
import { sweepsConfirmed } from './metrics.js';
import { Peers } from './peers.js';
import { DuplicateEventError, PostgresSweepStore } from './store/postgres-store.js';

export const CONSUMERS = { withdrawals: 'sweep-coordinator-withdrawals', deposits: 'sweep-coordinator-deposits', blocks: 'sweep-coordinator-blocks' } as const;
/**
 * Final withdrawals, blocks and deposit facts must not be skipped: they retry (with backoff) until applied. A final
 * withdrawal is BTC already burned on the L2: dead-lettering it after a few failed attempts (a Postgres restart, a
 * slow lock under load) would leave the user unpaid until an operator noticed. Only a malformed event is rejected.
 */
const RETRY_FOREVER = 1_000_000;
const NO_ACTIVITY: BlockActivity = { txids: new Set(), spends: new Map() };

@Injectable()
export class IntakeConsumers implements OnApplicationBootstrap {
  private readonly logger = new Logger('Intake');

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
    @Inject(PostgresSweepStore) private readonly store: PostgresSweepStore,
    @Inject(BitcoinService) private readonly bitcoin: BitcoinService,
    @Inject(CustodyService) private readonly custody: CustodyService,
    @Inject(Peers) private readonly peers: Peers,
    @Inject(JobsService) private readonly jobs: JobsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.consume({
      durable: CONSUMERS.withdrawals, stream: 'WITHDRAWAL', subject: withdrawalRequested.subject, maxDeliver: RETRY_FOREVER,
      backoffMs: [500, 1_000, 2_000, 5_000, 10_000],
      handle: async (e) => {
        // Where the validated chain is now, so blocks the pipeline has yet to catch up on do not count as waited.
        const bestKnown = await this.peers.headerTip().catch(() => undefined);
        await this.once(CONSUMERS.withdrawals, e, (s) => s.transaction((tx) => applyWithdrawalRequested(tx, e.payload as EventPayload<typeof withdrawalRequested>, bestKnown)));
      },
    });
    await this.runtime.consume({
      durable: CONSUMERS.deposits, stream: 'DEPOSIT', subject: 'deposit.>', maxAckPending: 1, maxDeliver: RETRY_FOREVER, ackWaitMs: 15_000,
      backoffMs: [500, 1_000, 2_000, 5_000, 10_000], handle: (e) => this.deposit(e),
    });
    await this.runtime.consume({
      durable: CONSUMERS.blocks, stream: 'BTC', subject: 'btc.header.>', maxAckPending: 1, maxDeliver: RETRY_FOREVER, ackWaitMs: 15_000,
      backoffMs: [500, 1_000, 2_000, 5_000, 10_000], handle: (e) => this.block(e),
    });
  }

  /** Applies `fn` with the event's inbox claim; a redelivery is acked and skipped. */
  private async once<T>(consumer: string, event: DecodedEvent, fn: (store: PostgresSweepStore) => Promise<T>): Promise<T | undefined> {
    try {
      return await fn(this.store.claiming(consumer, event.id));
    } catch (e) {
      if (e instanceof DuplicateEventError) return undefined;
      throw e;
    }
  }

  private async deposit(event: DecodedEvent): Promise<void> {
    if (event.subject === depositConfirmed.subject) {
      const p = event.payload as EventPayload<typeof depositConfirmed>;
      const custody = await this.custody.get();
      const spend = await this.peers.depositSpend(p, custody.scriptPubKey);
      await this.once(CONSUMERS.deposits, event, (s) => s.transaction((tx) => applyDepositConfirmed(tx, p, spend)));
    } else if (event.subject === depositReorged.subject) {
      await this.once(CONSUMERS.deposits, event, (s) => s.transaction((tx) => applyDepositReorged(tx, event.payload as EventPayload<typeof depositReorged>)));
    } else if (event.subject === depositReclaimed.subject) {
      await this.once(CONSUMERS.deposits, event, (s) => s.transaction((tx) => applyDepositReclaimed(tx, event.payload as EventPayload<typeof depositReclaimed>)));
    }
    // deposit.swept is the indexer's own announcement of our sweeps; the pipeline learns of them from the blocks.
  }

  private async block(event: DecodedEvent): Promise<void> {
    if (event.subject === btcHeaderDisconnected.subject) {
      const p = event.payload as EventPayload<typeof btcHeaderDisconnected>;
      const r = await this.once(CONSUMERS.blocks, event, (s) => s.transaction((tx) => disconnectBlock(tx, p)));
      if (r?.unconfirmed.length) this.logger.warn(`block ${p.height} ${p.hash} left the best chain: ${r.unconfirmed.join(', ')} unconfirmed again, back to broadcast`);
      return;
    }
    if (event.subject !== btcHeaderConnected.subject) return;
    const p = event.payload as EventPayload<typeof btcHeaderConnected>;
    if (await this.store.transaction(async (tx) => (await tx.getBlock(p.hash)) !== undefined)) return;
    // Blocks are fetched only once there is something of ours on the chain to look for.
    const watching = await this.store.transaction(async (tx) => (await tx.familiesByStatus('active')).length > 0 || (await tx.familiesByStatus('confirmed')).length > 0);
    const activity = watching ? blockActivity(await this.bitcoin.block({ hash: p.hash, header: p.header })) : NO_ACTIVITY;
    const report = await this.once(CONSUMERS.blocks, event, (s) => s.transaction((tx) => connectBlock(tx, { hash: p.hash, height: p.height, prevHash: p.prevHash }, activity, this.config.PAYOUT_CONFIRMATIONS)));
    if (report?.confirmed.length) {
      sweepsConfirmed.inc(report.confirmed.length);
      this.logger.log(`block ${p.height}: sweep ${report.confirmed.join(', ')} confirmed`);
    }
    if (report?.paid) this.logger.log(`block ${p.height}: ${report.paid} withdrawals paid`);
    if (report?.halted) this.logger.error(`PIPELINE HALTED: ${report.halted}. No sweep is built until an operator resolves it.`);
    await this.jobs.onTip(p.hash);
  }
}
