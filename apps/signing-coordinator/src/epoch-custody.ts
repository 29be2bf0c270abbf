// Issue 11 (rotation): the coordinator's custody per epoch, in its schema. Each stake.epoch.started is decided once
// (packages/signing planEpochCustody over the recorded epochs) in the same transaction as its inbox claim, so a
// redelivered event or a restart records nothing twice. The decision is a row: 'ready' when the epoch carries the
// custody of an earlier epoch with the same set, 'dkg' when its own ChillDKG is due; completeDkg makes it 'ready'.
// The migration into an epoch's custody is recorded with the height it became final: what migration-final readers
// (stake-accounting's CUSTODY_SETTLED rule, packages/signing custodySettledFor) need.
import { claimEvent, prismaExecutor, type EventPayload, type stakeEpochStarted } from '@tapbridge/messaging';
import { planEpochCustody, type EpochCustodyPlan, type EpochCustodyRecord, type EpochCustodyStatus } from '@tapbridge/signing';
import type { PrismaClient } from './generated/prisma/client.js';

export const EPOCH_CUSTODY_CONSUMER = 'signing-coordinator-epochs';
export type EpochStarted = EventPayload<typeof stakeEpochStarted>;
type Member = { address: string; hostPubkey: string };

interface Row {
  epoch: number;
  t: number;
  members: unknown;
  status: string;
  groupKey: string | null;
  carriedFrom: number | null;
  migrationFinalHeight: number | null;
}

const membersOf = (r: Row): Member[] => r.members as Member[];
const recordOf = (r: Row): EpochCustodyRecord => ({ epoch: r.epoch, t: r.t, hostPubkeys: membersOf(r).map((m) => m.hostPubkey), groupKey: r.groupKey, carriedFrom: r.carriedFrom });

export class EpochCustodyStore {
  constructor(private readonly o: { prisma: PrismaClient; schema: string }) {}

  /** Decides and records one stake.epoch.started, once per event id. Null: this event id was handled before. */
  async onEpochStarted(e: EpochStarted, eventId: string): Promise<EpochCustodyPlan | null> {
    return this.o.prisma.$transaction(async (tx) => {
      if (!(await claimEvent(prismaExecutor(tx), this.o.schema, EPOCH_CUSTODY_CONSUMER, eventId))) return null;
      const rows = await tx.custodyEpoch.findMany({ orderBy: { epoch: 'asc' } });
      const plan = planEpochCustody(rows.map(recordOf), { epoch: e.epoch, threshold: e.threshold, members: e.members });
      if (plan.action === 'ignore') return plan;
      const members = e.members.map((m) => ({ address: m.address.toLowerCase(), hostPubkey: m.hostPubkey.toLowerCase() }));
      await tx.custodyEpoch.create({
        data:
          plan.action === 'carry'
            ? { epoch: plan.epoch, t: plan.t, members, status: plan.groupKey ? 'ready' : 'dkg', groupKey: plan.groupKey, carriedFrom: plan.from }
            : { epoch: plan.epoch, t: plan.t, members, status: 'dkg' },
      });
      return plan;
    });
  }

  /** The epoch's DKG completed with this x-only group key (only once: a second, different key is refused). */
  async completeDkg(epoch: number, groupKey: string): Promise<void> {
    const done = await this.o.prisma.custodyEpoch.updateMany({ where: { epoch, status: 'dkg' }, data: { status: 'ready', groupKey, updatedAt: new Date() } });
    if (done.count === 1) {
      // Epochs that carried this one's (then unknown) key learn it too.
      await this.o.prisma.custodyEpoch.updateMany({ where: { carriedFrom: epoch, status: 'dkg' }, data: { status: 'ready', groupKey, updatedAt: new Date() } });
      return;
    }
    const row = await this.o.prisma.custodyEpoch.findUnique({ where: { epoch } });
    if (!row) throw new Error(`no custody epoch ${epoch} is recorded`);
    if (row.groupKey !== groupKey) throw new Error(`custody epoch ${epoch} already has group key ${row.groupKey}, not ${groupKey}`);
  }

  /** The migration sweep into `epoch`'s custody, and (once buried at the migration depth) the height it was final at. */
  async recordMigration(epoch: number, txid: string, finalHeight: number | null): Promise<void> {
    await this.o.prisma.custodyEpoch.update({ where: { epoch }, data: { migrationTxid: txid, ...(finalHeight !== null ? { migrationFinalHeight: finalHeight } : {}), updatedAt: new Date() } });
  }

  /** The epoch whose custody is current: the newest with a group key. */
  async current(): Promise<{ epoch: number; groupKey: string; t: number; members: Member[] } | undefined> {
    const r = await this.o.prisma.custodyEpoch.findFirst({ where: { status: 'ready' }, orderBy: { epoch: 'desc' } });
    return r?.groupKey ? { epoch: r.epoch, groupKey: r.groupKey, t: r.t, members: membersOf(r) } : undefined;
  }

  /**
   * Per recorded key-holding epoch (own DKG; carried epochs share their origin's key): its members and whether custody
   * has moved out of it, final — the input of custodySettledFor. A key is moved out, final, once a later epoch with
   * another key has its migration final.
   */
  async statuses(): Promise<EpochCustodyStatus[]> {
    const rows = (await this.o.prisma.custodyEpoch.findMany({ orderBy: { epoch: 'asc' } })) as Row[];
    const holders = rows.filter((r) => r.carriedFrom === null);
    return holders.map((h) => {
      const later = holders.filter((x) => x.epoch > h.epoch && x.groupKey !== null && x.groupKey !== h.groupKey);
      const members = new Set(rows.filter((r) => r.epoch === h.epoch || r.carriedFrom === h.epoch).flatMap((r) => membersOf(r).map((m) => m.address)));
      return { epoch: h.epoch, members: [...members], migratedFinal: later.some((x) => x.migrationFinalHeight !== null) };
    });
  }
}
