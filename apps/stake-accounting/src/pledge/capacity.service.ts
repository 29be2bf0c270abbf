/**
 * Capacity for new deposits: stake value (collateral stake × usable price) / R − what the bridge owes. What it owes
 * is the L2 supply of bridged BTC (rpc.evm.supply.get: minted − burned and final), asked each round; if the gateway
 * cannot answer, or there is no fresh price, capacity is frozen: it never guesses. Each change is published as a
 * stake.capacity event (through the outbox, latest seq wins) for the gateway and the indexer.
 * Not counted yet: confirmed deposits not minted (pendingSats is 0), because nothing reports them to us.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { enqueueEvent, request, stakeCapacity, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { activeStakeBySigner, capacityOf, collateralStake, type Capacity } from '@tapbridge/stake';
import { z } from 'zod';
import type { StakeAccountingConfig } from '../config.js';
import { StakeState } from '../indexing/stake-state.js';
import { metrics, wholeTokens } from '../metrics.js';
import { PriceFeed } from './price-feed.js';

export type CapacityEvent = EventPayload<typeof stakeCapacity>;

const supplyAnswer = z.object({ supplySats: z.string().regex(/^[0-9]+$/) });

@Injectable()
export class CapacityService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private current: CapacityEvent | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(StakeState) private readonly state: StakeState,
    @Inject(PriceFeed) private readonly price: PriceFeed,
  ) {}

  onApplicationBootstrap(): void {
    metrics.requiredRatio.set(this.config.COLLATERAL_RATIO_BPS / 10_000);
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.refresh()
        .catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'capacity refresh failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.config.CAPACITY_INTERVAL_MS);
        });
    };
    loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** What the bridge owes, in sats, or null when the gateway does not answer. */
  private async obligations(): Promise<bigint | null> {
    try {
      const r = await request(this.runtime.messaging, 'evm.supply.get', {}, { timeoutMs: 5_000, response: supplyAnswer });
      return BigInt(r.supplySats);
    } catch (err) {
      this.runtime.logger.warn({ err: (err as Error).message }, 'the L2 supply is unknown; capacity frozen');
      return null;
    }
  }

  /** Computes capacity now and publishes it when it changed. */
  async refresh(now = Date.now()): Promise<CapacityEvent> {
    const book = this.state.book;
    const stake = collateralStake(book);
    const owed = await this.obligations();
    const price = this.price.usable(now);
    const capacity: Capacity =
      owed === null
        ? { status: 'frozen', reason: 'what the bridge owes is unknown (rpc.evm.supply.get unanswered)', stakeUnits: stake, obligationsSats: 0n }
        : capacityOf({ collateralRatioBps: this.config.COLLATERAL_RATIO_BPS }, stake, price, { custodySats: owed, pendingSats: 0n });
    const event: CapacityEvent = {
      seq: 1,
      status: capacity.status,
      capacitySats: capacity.status === 'open' ? capacity.capacitySats.toString() : '0',
      stakeUnits: stake.toString(),
      stakeValueSats: capacity.status === 'open' ? capacity.stakeValueSats.toString() : null,
      obligationsSats: capacity.obligationsSats.toString(),
      collateralRatioBps: this.config.COLLATERAL_RATIO_BPS,
      ratioBps: capacity.status === 'open' && capacity.ratioBps !== null ? capacity.ratioBps.toString() : null,
      priceSatsPerToken: price === null ? null : price.toString(),
      ...(capacity.status === 'frozen' ? { reason: capacity.reason } : {}),
      at: new Date(now).toISOString(),
    };
    this.observe(capacity, stake);
    const changed = this.current === null || JSON.stringify({ ...this.current, seq: 0, at: '' }) !== JSON.stringify({ ...event, seq: 0, at: '' });
    if (changed) {
      // seq: milliseconds, kept increasing, so consumers can keep the latest even across restarts.
      this.seq = Math.max(this.seq + 1, now);
      event.seq = this.seq;
      await this.runtime.transaction((tx) => enqueueEvent(tx, this.runtime.schema, stakeCapacity, event));
      this.current = event;
      this.runtime.logger.info({ status: event.status, capacitySats: event.capacitySats, reason: event.reason }, 'stake.capacity published');
    }
    return this.current!;
  }

  private observe(capacity: Capacity, stake: bigint): void {
    metrics.totalStake.set(wholeTokens(stake));
    metrics.capacityFrozen.set(capacity.status === 'frozen' ? 1 : 0);
    metrics.capacity.set(capacity.status === 'open' ? Number(capacity.capacitySats) : 0);
    metrics.obligations.set(Number(capacity.obligationsSats));
    if (capacity.status === 'open' && capacity.ratioBps !== null) metrics.collateralRatio.set(Number(capacity.ratioBps) / 10_000);
    else metrics.collateralRatio.reset();
    metrics.stakeBySigner.reset();
    metrics.pendingSlash.reset();
    for (const [signer, s] of activeStakeBySigner(this.state.collateral)) {
      metrics.stakeBySigner.set({ signer }, wholeTokens(s.self + s.delegated));
      const pending = this.state.pendingSlashOf(signer);
      if (pending > 0n) metrics.pendingSlash.set({ signer }, wholeTokens(pending));
    }
    this.price.refreshMetrics();
  }

  /** The last computed capacity (null before the first round). */
  latest(): CapacityEvent | null {
    return this.current;
  }
}
