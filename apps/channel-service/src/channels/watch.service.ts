// The watchtower loop (BullMQ is not needed: one pass reads the chain and is idempotent, so an interval is enough and
// a restart simply runs the next pass). Each pass: pending channels try to open (funding proof), open and closing
// channels are checked for a spend of their funding output; a revoked state is penalised (re-broadcast every pass
// until it confirms), every close is recorded (channel.closing, then channel.closed once settled).
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CustodyDesk, Watchtower, type CustodyChannel, type WatchReport } from '@tapbridge/channels';
import { hexToBytes } from '@tapbridge/bitcoin';
import { EsploraSource } from '@tapbridge/chain-source';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import type { ChannelServiceConfig } from '../config.js';
import { CustodyTermsSource } from './custody-terms.js';
import { FundingProver } from './funding-prover.js';
import { PrismaChannelStore } from './prisma-channel-store.js';

@Injectable()
export class WatchService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly tower: Watchtower;
  /** The last pass's reports (GET /v1/watchtower). */
  lastReports: WatchReport[] = [];
  lastPassAt: Date | undefined;

  constructor(
    @InjectConfig() private readonly config: ChannelServiceConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(CustodyDesk) private readonly desk: CustodyDesk,
    @Inject(PrismaChannelStore) private readonly store: PrismaChannelStore,
    @Inject(FundingProver) private readonly prover: FundingProver,
    @Inject(CustodyTermsSource) private readonly terms: CustodyTermsSource,
  ) {
    // The watchtower must see which transaction spent a funding output: only Esplora indexes spends.
    const source = prover.sources.find((s): s is EsploraSource => s instanceof EsploraSource);
    if (!source) throw new Error('BTC_SOURCES has no Esplora source: the watchtower needs its index of spends');
    this.tower = new Watchtower({ chain: source, penaltyFee: config.CHANNEL_PENALTY_FEE });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.prover.start();
    const loop = (): void => {
      if (this.#stopped) return;
      this.#running = this.pass()
        .then(() => undefined)
        .catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'watch pass failed'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.config.WATCH_INTERVAL_MS);
        });
    };
    loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await this.prover.stop();
  }

  /** One pass (also run on demand by tests and POST /v1/watchtower/pass). */
  async pass(): Promise<WatchReport[]> {
    if (!this.terms.loaded()) await this.terms.load();
    for (const c of await this.store.list(['pending-funding'])) {
      const r = await this.desk.confirmFunding(c.channelId);
      if (r.status === 'open') this.runtime.logger.info({ channel: c.channelId }, 'channel opened: funding proven');
    }
    const watched = await this.store.list(['open', 'closing']);
    const reports = await this.tower.pass(watched.map((c) => this.#watched(c)));
    for (const r of reports) {
      const v = r.verdict;
      const confirmed = r.spendHeight !== undefined;
      if (v.kind === 'revoked') {
        if (r.broadcastError) this.runtime.logger.error({ channel: r.channelId, penalty: r.penaltyTxid, err: r.broadcastError, blocksLeft: r.blocksLeft }, 'penalty broadcast failed');
        await this.desk.noteFundingSpend(r.channelId, { txid: v.txid, how: 'revoked-state-penalised', stateNumber: v.stateNumber, settled: r.penaltyConfirmed === true || (!v.penalty && confirmed) });
      } else if (v.kind === 'cooperative-close') {
        await this.desk.noteFundingSpend(r.channelId, { txid: v.txid, how: 'cooperative', settled: confirmed });
      } else if (v.kind === 'counterparty-latest') {
        // The user's exit with the newest state: custody's side was paid by the commitment itself.
        await this.desk.noteFundingSpend(r.channelId, { txid: v.txid, how: 'user-force-close', stateNumber: v.stateNumber, settled: confirmed });
      } else if (v.kind === 'own-commitment') {
        await this.desk.noteFundingSpend(r.channelId, { txid: v.txid, how: 'custody-force-close', stateNumber: v.stateNumber, settled: confirmed });
      } else {
        this.runtime.logger.error({ channel: r.channelId, txid: v.txid, reason: v.reason }, 'unrecognised spend of a funding output');
      }
    }
    this.lastReports = reports;
    this.lastPassAt = new Date();
    return reports;
  }

  #watched(c: CustodyChannel) {
    return {
      channelId: c.channelId,
      params: c.params,
      side: 'custody' as const,
      state: c.party,
      perCommitmentSeed: this.desk.seedOf(c.channelId),
      revocationBasepointSecret: hexToBytes(this.config.CHANNEL_REVOCATION_SECRET),
      penaltyScript: c.params.custodyPayoutScript,
    };
  }
}
