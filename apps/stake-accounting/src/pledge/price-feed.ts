/**
 * The stake price: every PRICE_POLL_MS each configured HTTP JSON source is asked (in parallel, with a timeout), and
 * packages/stake's updatePrice takes the median of the fresh answers within the max change per update; fewer than
 * PRICE_MIN_SOURCES fresh answers freeze it. Every accepted price or freeze is recorded (price_update), and the last
 * accepted one is loaded at start, so a restart does not reset the max-change clamp.
 * On the devnet (PRICE_SOURCES=devnet) the observations are the price `tapbridge stake price set` stored in Redis,
 * reported as three agreeing sources: the same rules run, only the sources are stand-ins.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { parsePriceResponse, updatePrice, usablePrice, type PriceFeedConfig, type PriceObservation, type PublishedPrice } from '@tapbridge/stake';
import type { StakeAccountingConfig } from '../config.js';
import { metrics } from '../metrics.js';
import { PrismaService } from '../prisma.service.js';

export interface PriceStatus {
  price: PublishedPrice | null;
  usable: bigint | null;
  lastUpdate: { status: 'ok' | 'frozen'; reason: string | null; at: number } | null;
  sourceErrors: Record<string, string>;
}

@Injectable()
export class PriceFeed implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private published: PublishedPrice | null = null;
  private lastUpdate: PriceStatus['lastUpdate'] = null;
  private sourceErrors: Record<string, string> = {};
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly feedConfig: PriceFeedConfig;

  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(PrismaService) private readonly prisma: PrismaService,
  ) {
    this.feedConfig = { minSources: config.PRICE_MIN_SOURCES, maxAgeMs: config.PRICE_MAX_AGE_MS, maxChangeBps: config.PRICE_MAX_CHANGE_BPS };
  }

  async onModuleInit(): Promise<void> {
    const last = await this.prisma.priceUpdate.findFirst({ where: { status: 'ok' }, orderBy: { id: 'desc' } });
    if (last?.satsPerToken && last.median) {
      this.published = { satsPerToken: BigInt(last.satsPerToken.toFixed()), median: BigInt(last.median.toFixed()), at: last.at.getTime(), sources: last.sources };
    }
  }

  onApplicationBootstrap(): void {
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.poll()
        .catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'price poll failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.config.PRICE_POLL_MS);
        });
    };
    loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: ask every source, update, record. */
  async poll(now = Date.now()): Promise<void> {
    const observations = await this.observe(now);
    const update = updatePrice(this.feedConfig, this.published, observations, now);
    if (update.status === 'ok') {
      this.published = update.price;
      this.lastUpdate = { status: 'ok', reason: update.clamped ? `clamped to ${this.config.PRICE_MAX_CHANGE_BPS} bps from median ${update.price.median}` : null, at: now };
      await this.prisma.priceUpdate.create({
        data: { status: 'ok', satsPerToken: update.price.satsPerToken.toString(), median: update.price.median.toString(), sources: update.price.sources, clamped: update.clamped, at: new Date(now) },
      });
    } else {
      // A freeze is recorded once per change of reason, not every poll.
      if (this.lastUpdate?.status !== 'frozen' || this.lastUpdate.reason !== update.reason) {
        await this.prisma.priceUpdate.create({ data: { status: 'frozen', sources: update.fresh, reason: update.reason, at: new Date(now) } });
        this.runtime.logger.warn({ reason: update.reason }, 'stake price frozen');
      }
      this.lastUpdate = { status: 'frozen', reason: update.reason, at: now };
    }
    this.refreshMetrics(now);
  }

  refreshMetrics(now = Date.now()): void {
    if (this.published) {
      metrics.priceAge.set(Math.max(0, (now - this.published.at) / 1000));
      metrics.price.set(Number(this.published.satsPerToken));
    }
  }

  private async observe(now: number): Promise<PriceObservation[]> {
    if (this.config.PRICE_SOURCES === 'devnet') {
      const sats = await this.devnetPrice();
      return ['devnet-a', 'devnet-b', 'devnet-c'].map((source) => ({ source, satsPerToken: sats, observedAt: now }));
    }
    const errors: Record<string, string> = {};
    const answers = await Promise.all(
      this.config.PRICE_SOURCES.map(async (s): Promise<PriceObservation | null> => {
        try {
          const res = await fetch(s.url, { signal: AbortSignal.timeout(this.config.PRICE_TIMEOUT_MS), headers: { accept: 'application/json' } });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return parsePriceResponse(s.name, await res.json(), s.pricePath, Date.now(), s.timePath);
        } catch (err) {
          errors[s.name] = (err as Error).message;
          return null;
        }
      }),
    );
    this.sourceErrors = errors;
    return answers.filter((a): a is PriceObservation => a !== null);
  }

  private devnetKey(): string {
    return `${this.config.STREAM_PREFIX}:stake:devnet-price`;
  }

  async devnetPrice(): Promise<bigint> {
    const stored = await this.runtime.redis.get(this.devnetKey());
    return stored === null ? this.config.DEVNET_PRICE_SATS : BigInt(stored);
  }

  /** Devnet only: the price the three stand-in sources report from now on; applied at once (one poll). */
  async setDevnetPrice(sats: bigint): Promise<PriceStatus> {
    await this.runtime.redis.set(this.devnetKey(), sats.toString());
    await this.poll();
    return this.status();
  }

  /** The price capacity may use now (null: frozen). */
  usable(now = Date.now()): bigint | null {
    return usablePrice(this.feedConfig, this.published, now);
  }

  status(now = Date.now()): PriceStatus {
    return { price: this.published, usable: this.usable(now), lastUpdate: this.lastUpdate, sourceErrors: this.sourceErrors };
  }
}
