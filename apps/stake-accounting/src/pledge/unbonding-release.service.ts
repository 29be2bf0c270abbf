/**
 * Unbonding releases: stake-accounting decides when unbonding stake may leave the collateral (packages/stake
 * decideUnbondingRelease: after its delay in L2 time, never while its signer is jailed or has a pending slash, never
 * before custody no longer needs the signer, never below R × what the bridge owes), records the decision
 * (unbonding_release, `below` only grows), and SystemCallPublisher sends each row once as releaseUnbonding(below)
 * (stake.system.call id release:<below>; the sequencer and the contract's releasedBelow guard apply it once).
 *
 * Entries below a decided `below` count as released from the decision on (StakeState.releaseDecided: capacity no
 * longer counts them), before the L2's UnbondingReleased log is indexed, so a round never decides the same release
 * twice and capacity never counts stake that is already on its way out.
 *
 * CUSTODY_SETTLED is the hook for custody rotation (#11): until it is provided every entry counts as settled; the
 * rotation work provides a CustodySettled that says whether custody still depends on an entry's signer (its key
 * shares not yet rotated out, or the migration to the new custody not final).
 */
import { Inject, Injectable, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { decideUnbondingRelease, type ReleaseDecision, type UnbondingRecord } from '@tapbridge/stake';
import type { StakeAccountingConfig } from '../config.js';
import { L2Client } from '../indexing/l2-client.js';
import { StakeState } from '../indexing/stake-state.js';
import { PrismaService } from '../prisma.service.js';
import { CapacityService } from './capacity.service.js';
import { EpochsService } from './epochs.service.js';

/** #11's hook: true once custody no longer depends on the entry's signer (rotation done, migration final). */
export type CustodySettled = (u: UnbondingRecord) => boolean | Promise<boolean>;
export const CUSTODY_SETTLED = Symbol('CUSTODY_SETTLED');

export type ReleaseOutcome = { status: 'released'; below: bigint; ids: bigint[] } | { status: 'none'; blocked: ReleaseDecision['blocked'] } | { status: 'frozen' };

@Injectable()
export class UnbondingReleaseService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  /** Why the oldest unreleased entry waits (for GET /capacity readers and logs); null when none waits. */
  lastBlocked: ReleaseDecision['blocked'] = null;

  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(StakeState) private readonly state: StakeState,
    @Inject(L2Client) private readonly l2: L2Client,
    @Inject(CapacityService) private readonly capacity: CapacityService,
    @Inject(EpochsService) private readonly epochs: EpochsService,
    @Optional() @Inject(CUSTODY_SETTLED) private readonly custodySettled: CustodySettled | null = null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.state.releaseDecided(await this.decidedBelow());
    this.timer = setInterval(() => {
      this.running = this.decide().catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'deciding unbonding releases failed; retried'));
    }, this.config.CAPACITY_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** The highest `below` decided so far (0 before any). */
  async decidedBelow(): Promise<bigint> {
    const top = await this.prisma.unbondingRelease.findFirst({ orderBy: { below: 'desc' }, select: { below: true } });
    return top === null ? 0n : BigInt(top.below.toFixed());
  }

  /** One round: decides the next release from the book, the latest capacity and L2 time, and records it. */
  async decide(): Promise<ReleaseOutcome> {
    const capacity = this.capacity.latest();
    if (capacity === null || capacity.status !== 'open' || capacity.priceSatsPerToken === null) return { status: 'frozen' };
    this.state.releaseDecided(await this.decidedBelow());
    const book = this.state.book;
    const settled = new Map<bigint, boolean>();
    if (this.custodySettled !== null) for (const u of book.unbonding) if (!u.released) settled.set(u.id, await this.custodySettled(u));
    const decision = decideUnbondingRelease({ collateralRatioBps: this.config.COLLATERAL_RATIO_BPS }, book, BigInt(capacity.priceSatsPerToken), { custodySats: BigInt(capacity.obligationsSats), pendingSats: 0n }, {
      nowSeconds: await this.l2.finalizedTime(),
      currentEpoch: await this.epochs.currentEpoch(),
      pendingSlashOf: (signer) => this.state.pendingSlashOf(signer),
      ...(this.custodySettled !== null ? { custodySettled: (u: UnbondingRecord) => settled.get(u.id) ?? false } : {}),
    });
    this.lastBlocked = decision.blocked;
    if (decision.below === null) return { status: 'none', blocked: decision.blocked };
    const below = decision.below;
    const ids = decision.released.map((u) => u.id);
    const recorded = await this.prisma.$transaction(async (tx) => {
      // Serialises deciders (a second worker, an overlapping round): below only grows.
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('stake-unbonding-release:${this.runtime.schema}'))`);
      const top = await tx.unbondingRelease.findFirst({ orderBy: { below: 'desc' }, select: { below: true } });
      if (top !== null && BigInt(top.below.toFixed()) >= below) return false;
      await tx.unbondingRelease.create({ data: { below: below.toString(), ids: ids.map(String), total: decision.released.reduce((a, u) => a + u.amount, 0n).toString() } });
      return true;
    });
    if (!recorded) return { status: 'none', blocked: decision.blocked };
    this.state.releaseDecided(below);
    this.runtime.logger.info({ below: below.toString(), ids: ids.map(String), blocked: decision.blocked && { id: decision.blocked.id.toString(), reason: decision.blocked.reason } }, 'unbonding release decided');
    return { status: 'released', below, ids };
  }
}
