// Minting: deposit.* from JetStream, each deposit checked against the header-watcher and our custody, then credited.
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CapacityGate, EvmEngine, MAX_MINTS_PER_BLOCK, type HeaderChain } from '@tapbridge/evm';
import { request, stakeCapacity, type DurableConsumer } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import { ChainModule } from '../chain/chain.module.js';
import type { EvmGatewayConfig } from '../config.js';
import { PrismaService } from '../prisma.service.js';
import { capacityView, CapacityViewStore, openCapacityGate, owedSats, PrismaHeldDepositStore } from '../stake/held-deposits.js';
import { DepositMinter, MINT_CONSUMER } from './deposit-minter.js';
import { CoordinatorCustody, NatsHeaderChain, type CustodySource } from './deposit-proof.js';

/** The header chain deposits are checked against (a HeaderChain: the header-watcher over NATS). */
export const HEADER_CHAIN = Symbol('HEADER_CHAIN');
/** Our custody (a CustodySource: the signing-coordinator over NATS). */
export const CUSTODY_SOURCE = Symbol('CUSTODY_SOURCE');

/**
 * How long a delivered deposit event may stay unacked before JetStream redelivers it. The consumer keeps what it holds
 * alive meanwhile (working), so this only bounds how long a crashed process holds the stream.
 */
const MINT_ACK_WAIT_MS = 5_000;
/** Deposit events handed over at once: a Bitcoin block's deposits, credited in one L2 block (MAX_MINTS_PER_BLOCK). */
const MINT_BATCH = MAX_MINTS_PER_BLOCK;
/** Short enough that a check (one or two requests) ends well inside the ack wait. */
const CHECK_TIMEOUT_MS = 2_000;

/** Consumes deposit.> from the moment the app is up; on shutdown finishes the batch in hand while the engine still runs. */
@Injectable()
export class MintConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(DepositMinter) private readonly minter: DepositMinter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The "no longer backed" gauge reflects the store from the start (0 on a healthy chain), not only after an event.
    await this.minter.refreshUnbacked();
    // In batches, in stream order: the deposits that arrive together (a Bitcoin block's) are credited in one L2
    // block and acked after it commits; a deposit.reorged is applied only after the confirmations before it
    // (DepositMinter.handleBatch). After a crash the consumer lets the unacked events come back first.
    this.consumer = await this.runtime.consume({
      durable: MINT_CONSUMER, stream: 'DEPOSIT', subject: 'deposit.>', maxAckPending: 2 * MINT_BATCH, ackWaitMs: MINT_ACK_WAIT_MS,
      // A header-watcher that is behind or restarting, or a coordinator that does not know the custody yet, delays
      // the check; retry for about ten minutes before dead-lettering. A false event is dead-lettered at once.
      maxDeliver: 25, backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000],
      // A burst (the indexer's relay publishing a block's events back to back) ends when it goes quiet for 100 ms.
      batch: { maxEvents: MINT_BATCH, quietMs: 100, maxWaitMs: 5_000 },
      handleBatch: (events) => this.minter.handleBatch(events),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }
}

@Module({
  imports: [ChainModule],
  providers: [
    { provide: HEADER_CHAIN, inject: [RUNTIME], useFactory: (runtime: ServiceRuntime): HeaderChain => new NatsHeaderChain(runtime.messaging, CHECK_TIMEOUT_MS) },
    {
      provide: CUSTODY_SOURCE,
      inject: [RUNTIME],
      useFactory: (runtime: ServiceRuntime): CustodySource =>
        new CoordinatorCustody(runtime.messaging, CHECK_TIMEOUT_MS, 30_000, (custody, previous) =>
          runtime.logger.info(
            { groupKey: custody.groupKey, scriptPubKey: custody.scriptPubKey, previousGroupKey: previous?.groupKey },
            'custody learned from the signing-coordinator: deposits must be locked to it',
          )),
    },
    {
      // The dynamic pledge (EVM_MINT_CAPACITY=stake); null when every valid deposit is minted.
      provide: CapacityGate,
      inject: [APP_CONFIG, RUNTIME, PrismaService],
      useFactory: async (config: EvmGatewayConfig, runtime: ServiceRuntime, prisma: PrismaService): Promise<CapacityGate | null> => {
        if (config.EVM_MINT_CAPACITY !== 'stake') return null;
        return openCapacityGate(new CapacityViewStore(prisma), {
          store: new PrismaHeldDepositStore(prisma),
          owedSats: () => owedSats(prisma),
          // Only before the gateway ever took a capacity (a new database): ask stake-accounting.
          fetchCapacity: async () => capacityView(await request(runtime.messaging, 'stake.capacity.get', {}, { timeoutMs: CHECK_TIMEOUT_MS, response: stakeCapacity.schema })),
        });
      },
    },
    {
      provide: DepositMinter,
      inject: [APP_CONFIG, RUNTIME, EvmEngine, PrismaService, HEADER_CHAIN, CUSTODY_SOURCE, CapacityGate],
      useFactory: (config: EvmGatewayConfig, runtime: ServiceRuntime, engine: EvmEngine, prisma: PrismaService, headers: HeaderChain, custody: CustodySource, gate: CapacityGate | null) =>
        new DepositMinter({
          engine, schema: runtime.schema, prisma, logger: runtime.logger, headers, custody,
          minConfirmations: config.EVM_DEPOSIT_MIN_CONFIRMATIONS,
          acceptUnprovenDeposits: config.EVM_ACCEPT_UNPROVEN_DEPOSITS,
          ...(gate !== null ? { gate } : {}),
        }),
    },
    MintConsumer,
  ],
  exports: [DepositMinter, CapacityGate],
})
export class MintModule {}
