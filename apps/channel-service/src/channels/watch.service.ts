// The watchtower loop (BullMQ is not needed: one pass reads the chain and is idempotent, so an interval is enough and
// a restart simply runs the next pass). Each pass: pending channels try to open (funding proof), open and closing
// channels are checked for a spend of their funding output; a revoked state is penalised (re-broadcast every pass
// until it confirms), every close is recorded (channel.closing, then channel.closed once settled). After custody's own
// force close, custody's to_local goes back to the custody payout script once its CSV passed (the group signs exactly
// that sweep: the signers' channel rule 6); the channel is closed once that sweep confirmed.
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CustodyDesk, Watchtower, type CustodyChannel, type WatchReport } from '@tapbridge/channels';
import { encodeTransactionHex, hexToBytes } from '@tapbridge/bitcoin';
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
  readonly #chain: EsploraSource;
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
    this.#chain = source;
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
        const swept = v.toLocal && confirmed ? await this.#sweepOwnDelayed(r.channelId, v.stateNumber, { txid: v.txid, vout: v.toLocal.vout, height: r.spendHeight! }) : !v.toLocal;
        await this.desk.noteFundingSpend(r.channelId, { txid: v.txid, how: 'custody-force-close', stateNumber: v.stateNumber, settled: confirmed && swept });
      } else {
        this.runtime.logger.error({ channel: r.channelId, txid: v.txid, reason: v.reason }, 'unrecognised spend of a funding output');
      }
    }
    this.lastReports = reports;
    this.lastPassAt = new Date();
    return reports;
  }

  /**
   * Custody's to_local of its own confirmed commitment: swept back to the custody payout script once the CSV lets it
   * into the next block (the group signs it); true once that sweep confirmed. One sweep signed per pass at most, and
   * none while a spend of the output is waiting in the mempool.
   */
  async #sweepOwnDelayed(channelId: string, stateNumber: number, out: { txid: string; vout: number; height: number }): Promise<boolean> {
    const spend = await this.#chain.outspend(out.txid, out.vout);
    if (spend.spent) return spend.confirmed === true;
    const c = await this.store.get(channelId);
    const tip = await this.#chain.getTip();
    // BIP68: spendable in a block at height >= confirmation height + CSV, so the next block is tip + 1.
    if (!c || tip.height + 1 < out.height + c.params.challengePeriod) return false;
    try {
      const sweep = await this.desk.sweepCustodyDelayed(channelId, { stateNumber, fee: this.config.CHANNEL_PENALTY_FEE });
      const { txid } = await this.#chain.broadcastTransaction(encodeTransactionHex(sweep.tx));
      this.runtime.logger.info({ channel: channelId, sweep: txid }, 'custody delayed output swept back to custody');
    } catch (err) {
      this.runtime.logger.error({ channel: channelId, err: (err as Error).message }, 'custody delayed sweep failed; tried again next pass');
    }
    return false;
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
