/**
 * Epochs: every EPOCH_LENGTH_BLOCKS Bitcoin blocks the active set is chosen from the book as indexed (finalized L2
 * stake, jail terms applied) when the first block of the epoch is connected. The epoch row, the inbox claim and the
 * stake.epoch.started event commit together, and an epoch once started is never chosen again (a redelivered or
 * reorged header, or a restart, changes nothing). A block connected later in an epoch that has not started (the
 * service was down at its first block) starts it then; epochs older than the newest started one are never started.
 */
import { Inject, Injectable } from '@nestjs/common';
import { claimEvent, enqueueEvent, prismaExecutor, stakeEpochStarted, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { epochOfHeight, selectEpochSet, type EpochConfig } from '@tapbridge/stake';
import type { StakeAccountingConfig } from '../config.js';
import { StakeState } from '../indexing/stake-state.js';
import { metrics } from '../metrics.js';
import { PrismaService } from '../prisma.service.js';

export const EPOCH_CONSUMER = 'stake-accounting-epochs';
export type EpochStarted = EventPayload<typeof stakeEpochStarted>;

@Injectable()
export class EpochsService {
  readonly epochConfig: EpochConfig;

  constructor(
    @InjectConfig() config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(StakeState) private readonly state: StakeState,
    @Inject(PrismaService) private readonly prisma: PrismaService,
  ) {
    this.epochConfig = {
      firstHeight: config.EPOCH_FIRST_HEIGHT,
      epochLengthBlocks: config.EPOCH_LENGTH_BLOCKS,
      maxSigners: config.EPOCH_MAX_SIGNERS,
      minSelfBond: config.EPOCH_MIN_SELF_BOND,
      thresholdBps: config.EPOCH_THRESHOLD_BPS,
    };
  }

  /** The newest started epoch's number, or null before the first. */
  async currentEpoch(): Promise<number | null> {
    const e = await this.prisma.epoch.findFirst({ orderBy: { epoch: 'desc' }, select: { epoch: true } });
    return e?.epoch ?? null;
  }

  /** A connected Bitcoin block: starts its epoch if that is newer than every started one. Returns it if started. */
  async onBlock(block: { height: number; hash: string }, eventId: string): Promise<EpochStarted | null> {
    const epoch = epochOfHeight(this.epochConfig, block.height);
    if (epoch === null) return null;
    const set = selectEpochSet(this.epochConfig, this.state.book, epoch);
    // The L2 block the book was read at: the boundary of the epochs' fee income (pledge/fee-income.ts).
    const l2Block = this.state.cursor?.blockNumber;
    const payload: EpochStarted = {
      epoch,
      startHeight: block.height,
      startHash: block.hash,
      threshold: set.threshold,
      totalStake: set.totalStake.toString(),
      members: set.members.map((m) => ({ address: m.address, hostPubkey: m.hostPubkey, selfBond: m.selfBond.toString(), delegated: m.delegated.toString(), stake: m.stake.toString() })),
    };
    const started = await this.prisma.$transaction(async (tx) => {
      if (!(await claimEvent(prismaExecutor(tx), this.runtime.schema, EPOCH_CONSUMER, eventId))) return false;
      const newest = await tx.epoch.findFirst({ orderBy: { epoch: 'desc' }, select: { epoch: true } });
      if (newest !== null && newest.epoch >= epoch) return false;
      await tx.epoch.create({ data: { epoch, startHeight: block.height, startHash: block.hash, threshold: set.threshold, totalStake: set.totalStake.toString(), members: payload.members, l2Block: l2Block ?? null } });
      await enqueueEvent(prismaExecutor(tx), this.runtime.schema, stakeEpochStarted, payload);
      return true;
    });
    if (!started) return null;
    this.runtime.relay.wake();
    metrics.epoch.set(epoch);
    metrics.epochSetSize.set(set.members.length);
    this.runtime.logger.info({ epoch, height: block.height, members: set.members.length, threshold: set.threshold }, 'stake.epoch.started');
    return payload;
  }
}
