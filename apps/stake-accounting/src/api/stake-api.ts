// The read API over the book (in memory, rebuilt from the tables), the ledger and the stake tables (Prisma), shared
// by REST and rpc.stake.*.
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, InjectConfig } from '@tapbridge/runtime/nest';
import { accounts, activeStakeBySigner, signerByHostKey, type SignerRecord } from '@tapbridge/stake';
import type { StakeAccountingConfig } from '../config.js';
import type { Slash } from '../generated/prisma/client.js';
import { StakeState } from '../indexing/stake-state.js';
import { PostgresLedger } from '../ledger/postgres-ledger.js';
import { CapacityService } from '../pledge/capacity.service.js';
import { PriceFeed } from '../pledge/price-feed.js';
import { UPTIME_SOURCE, type UptimeSource } from '../pledge/uptime.js';
import { PrismaService } from '../prisma.service.js';
import type { CapacityView, EpochView, MisbehaviourView, PriceView, RewardsView, SignerDetail, SignerSummary, SlashDetail, SlashSummary } from './dto.js';

@Injectable()
export class StakeApi {
  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(StakeState) private readonly state: StakeState,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(PostgresLedger) private readonly ledger: PostgresLedger,
    @Inject(CapacityService) private readonly capacityService: CapacityService,
    @Inject(PriceFeed) private readonly price: PriceFeed,
    @Inject(UPTIME_SOURCE) private readonly uptime: UptimeSource,
  ) {}

  /** A signer's measured uptime in the current epoch so far (the coordinator's heartbeat probes); null when unknown. */
  private async uptimeBps(hostPubkey: string): Promise<number | null> {
    const epoch = await this.prisma.epoch.findFirst({ orderBy: { epoch: 'desc' }, select: { createdAt: true } });
    if (epoch === null) return null;
    try {
      return (await this.uptime.forWindow(epoch.createdAt, new Date(Date.now() + 60_000))).get(hostPubkey.toLowerCase()) ?? null;
    } catch {
      return null; // the coordinator did not answer: not measured, never assumed
    }
  }

  async capacity(): Promise<CapacityView> {
    const c = this.capacityService.latest() ?? (await this.capacityService.refresh());
    return c;
  }

  private async currentEpoch(): Promise<{ epoch: number; members: Set<string> } | null> {
    const e = await this.prisma.epoch.findFirst({ orderBy: { epoch: 'desc' } });
    if (e === null) return null;
    return { epoch: e.epoch, members: new Set((e.members as Array<{ address: string }>).map((m) => m.address)) };
  }

  private summary(s: SignerRecord, current: { epoch: number; members: Set<string> } | null): SignerSummary {
    // The collateral book: a slash decided on evidence counts at once, before the L2 applies it (pendingSlash).
    const book = this.state.collateral;
    const stakes = activeStakeBySigner(book).get(s.address) ?? { self: s.selfBond, delegated: 0n };
    let unbonding = 0n;
    for (const u of book.unbonding) if (u.signer === s.address) unbonding += u.amount;
    const epoch = current?.epoch ?? 0;
    const status = s.jailedUntilEpoch > epoch ? 'jailed' : current?.members.has(s.address) ? 'active' : 'standby';
    return { address: s.address, hostPubkey: s.hostPubkey, selfBond: stakes.self.toString(), delegated: stakes.delegated.toString(), stake: (stakes.self + stakes.delegated).toString(), unbonding: unbonding.toString(), pendingSlash: this.state.pendingSlashOf(s.address).toString(), status, jailedUntilEpoch: s.jailedUntilEpoch };
  }

  async signers(): Promise<SignerSummary[]> {
    const current = await this.currentEpoch();
    return [...this.state.book.signers.values()].map((s) => this.summary(s, current)).sort((a, b) => (BigInt(b.stake) > BigInt(a.stake) ? 1 : BigInt(b.stake) < BigInt(a.stake) ? -1 : a.address < b.address ? -1 : 1));
  }

  async signer(id: string): Promise<SignerDetail> {
    const key = id.toLowerCase().replace(/^0x(?=[0-9a-f]{66}$)/, '');
    const book = this.state.book;
    const s = book.signers.get(key) ?? signerByHostKey(book, key);
    if (s === undefined) throw new DomainError('not_found', `no bonded signer ${id} (give its bonding address or host key)`);
    const current = await this.currentEpoch();
    const slashes = await this.prisma.slash.findMany({ where: { signer: s.address }, orderBy: { createdAt: 'asc' } });
    return {
      ...this.summary(s, current),
      delegations: [...book.delegations.values()].filter((d) => d.signer === s.address).map((d) => ({ delegator: d.delegator, amount: d.amount.toString() })),
      unbondings: book.unbonding.filter((u) => u.signer === s.address).map((u) => ({ id: u.id.toString(), owner: u.owner, amount: u.amount.toString(), maturesAt: Number(u.maturesAt), released: u.released })),
      uptimeBps: await this.uptimeBps(s.hostPubkey),
      slashes: await Promise.all(slashes.map((x) => this.slashSummary(x))),
    };
  }

  private async slashSummary(s: Slash): Promise<SlashSummary> {
    const applied = await this.prisma.ledgerPosting.aggregate({ _sum: { amount: true }, where: { account: accounts.slashed, asset: 'STAKE', tx: { evidenceIdHash: s.evidenceIdHash } } });
    return {
      evidenceId: s.evidenceId,
      evidenceIdHash: s.evidenceIdHash,
      offence: s.offence,
      signer: s.signer,
      hostPubkey: s.hostPubkey,
      epoch: s.epoch,
      jailedUntilEpoch: s.jailedUntilEpoch,
      plannedTotal: s.plannedTotal.toFixed(),
      appliedOnL2: applied._sum.amount?.toFixed() ?? '0',
      createdAt: s.createdAt.toISOString(),
    };
  }

  async slashes(): Promise<SlashSummary[]> {
    const rows = await this.prisma.slash.findMany({ orderBy: { createdAt: 'desc' }, take: 500 });
    return Promise.all(rows.map((s) => this.slashSummary(s)));
  }

  async slash(evidenceId: string): Promise<SlashDetail> {
    const s = await this.prisma.slash.findUnique({ where: { evidenceId } });
    if (s === null) throw new DomainError('not_found', `no slash for evidence id ${evidenceId}`);
    return { ...(await this.slashSummary(s)), debits: s.debits as SlashDetail['debits'], evidence: s.evidence };
  }

  async misbehaviour(): Promise<MisbehaviourView[]> {
    const rows = await this.prisma.misbehaviourReport.findMany({ orderBy: { receivedAt: 'desc' }, take: 500 });
    return rows.map((r) => ({ ...r, status: r.status as MisbehaviourView['status'], receivedAt: r.receivedAt.toISOString() }));
  }

  private epochView(e: { epoch: number; startHeight: number; startHash: string; threshold: number; totalStake: { toFixed(): string }; members: unknown; createdAt: Date }): EpochView {
    return { epoch: e.epoch, startHeight: e.startHeight, startHash: e.startHash, threshold: e.threshold, totalStake: e.totalStake.toFixed(), members: e.members as EpochView['members'], createdAt: e.createdAt.toISOString() };
  }

  async epochs(): Promise<EpochView[]> {
    return (await this.prisma.epoch.findMany({ orderBy: { epoch: 'desc' }, take: 200 })).map((e) => this.epochView(e));
  }

  async epoch(n: number): Promise<EpochView> {
    const e = await this.prisma.epoch.findUnique({ where: { epoch: n } });
    if (e === null) throw new DomainError('not_found', `epoch ${n} has not started`);
    return this.epochView(e);
  }

  async rewards(address: string): Promise<RewardsView> {
    const a = address.toLowerCase();
    const owed = await this.ledger.balance(accounts.reward(a), 'WEI');
    const runs = await this.prisma.rewardRun.findMany({ orderBy: { epoch: 'asc' } });
    const epochs = runs.flatMap((r) => {
      const amount = (r.payouts as Record<string, string>)[a];
      return amount === undefined ? [] : [{ epoch: r.epoch, amountWei: amount }];
    });
    return { address: a, owedWei: owed.toString(), epochs };
  }

  priceView(): PriceView {
    const s = this.price.status();
    return {
      satsPerToken: s.price?.satsPerToken.toString() ?? null,
      median: s.price?.median.toString() ?? null,
      acceptedAt: s.price ? new Date(s.price.at).toISOString() : null,
      usableSatsPerToken: s.usable?.toString() ?? null,
      lastStatus: s.lastUpdate?.status ?? null,
      lastReason: s.lastUpdate?.reason ?? null,
      sourceErrors: s.sourceErrors,
    };
  }

  async setDevnetPrice(sats: bigint): Promise<PriceView> {
    if (!this.config.DEVNET || this.config.PRICE_SOURCES !== 'devnet') throw new DomainError('conflict', 'the devnet price can only be set on a devnet (DEVNET=true, PRICE_SOURCES=devnet)');
    await this.price.setDevnetPrice(sats);
    await this.capacityService.refresh();
    return this.priceView();
  }
}
