// SweepStore over the service's Postgres schema, through Prisma. Every transaction takes one advisory lock, so event
// intake, block application and pipeline steps never interleave (across replicas too), and writes its events to the
// outbox in the same transaction as the state.
import { DuplicateEventError, enqueueEvent, prismaExecutor, serialisedTransaction, type EventDefinition, type EventPayload } from '@tapbridge/messaging';
import { custodyFeeOf, type ChainBlock, type DepositRecord, type DepositState, type HaltState, type OutpointRef, type SweepFamily, type SweepStore, type SweepStoreTx, type SweepVersion, type WithdrawalHistoryEntry, type WithdrawalRecord, type WithdrawalStatus } from '@tapbridge/sweeps';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { fromJson, toJsonValue } from './record-json.js';

// Kept importable from here: the consumers catch it from the store's module.
export { DuplicateEventError };

export interface PostgresSweepStoreOptions {
  prisma: PrismaClient;
  /** The schema the client's models live in (serviceSchema('sweep-coordinator')): names the lock and the outbox. */
  schema: string;
  /** After each commit: the app wakes the outbox relay, so events leave at once. */
  afterCommit?: () => void;
  /** Last step inside each transaction; a test throws here to see a failed commit leave nothing behind. */
  beforeCommit?: () => void;
}

export class PostgresSweepStore implements SweepStore {
  constructor(
    private readonly o: PostgresSweepStoreOptions,
    private readonly claim?: { consumer: string; eventId: string },
  ) {}

  /** The same store, whose transactions apply the event `eventId` exactly once. */
  claiming(consumer: string, eventId: string): PostgresSweepStore {
    return new PostgresSweepStore(this.o, { consumer, eventId });
  }

  async transaction<T>(fn: (tx: SweepStoreTx) => Promise<T>): Promise<T> {
    // One lock for intake, blocks and steps; the claim makes a redelivered event a no-op (packages/messaging).
    return serialisedTransaction<Tx, T>(this.o.prisma, { ...this.o, lock: 'tapbridge-sweeps', claim: this.claim }, (tx) => fn(new PrismaSweepTx(tx, this.o.schema)));
  }
}

type Tx = Prisma.TransactionClient;
const block = (r: { hash: string; height: number; prevHash: string }): ChainBlock => ({ hash: r.hash, height: r.height, prevHash: r.prevHash });
const records = <T>(rows: Array<{ data: unknown }>): T[] => rows.map((r) => fromJson<T>(r.data));
const DATA = { data: true } as const;

class PrismaSweepTx implements SweepStoreTx {
  constructor(
    private readonly tx: Tx,
    private readonly schema: string,
  ) {}

  // ---- chain ----
  async tip() {
    const r = await this.tx.chainBlock.findFirst({ where: { isTip: true } });
    return r ? block(r) : undefined;
  }
  async getBlock(hash: string) {
    const r = await this.tx.chainBlock.findUnique({ where: { hash } });
    return r ? block(r) : undefined;
  }
  async putBlock(b: ChainBlock) {
    await this.tx.chainBlock.updateMany({ where: { isTip: true }, data: { isTip: false } });
    await this.tx.chainBlock.upsert({ where: { hash: b.hash }, create: { hash: b.hash, height: b.height, prevHash: b.prevHash, isTip: true }, update: { isTip: true } });
  }
  async deleteBlock(hash: string) {
    const gone = await this.tx.chainBlock.findUnique({ where: { hash } });
    if (!gone) return;
    await this.tx.chainBlock.delete({ where: { hash } });
    if (gone.isTip) await this.tx.chainBlock.updateMany({ where: { hash: gone.prevHash }, data: { isTip: true } });
  }

  // ---- withdrawals ----
  async getWithdrawal(id: bigint) {
    const r = await this.tx.withdrawal.findUnique({ where: { id: id.toString() }, select: DATA });
    return r ? fromJson<WithdrawalRecord>(r.data) : undefined;
  }
  async putWithdrawal(w: WithdrawalRecord) {
    const row = { status: w.status, sweepTxid: w.sweepTxid ?? null, data: toJsonValue(w) };
    await this.tx.withdrawal.upsert({ where: { id: w.id.toString() }, create: { id: w.id.toString(), sender: w.sender, ...row }, update: { ...row, updatedAt: new Date() } });
  }
  async withdrawalsByStatus(statuses: readonly WithdrawalStatus[]) {
    return records<WithdrawalRecord>(await this.tx.withdrawal.findMany({ where: { status: { in: [...statuses] } }, orderBy: { id: 'asc' }, select: DATA }));
  }
  async withdrawalsBySender(sender: string) {
    return records<WithdrawalRecord>(await this.tx.withdrawal.findMany({ where: { sender: sender.toLowerCase() }, orderBy: { id: 'asc' }, select: DATA }));
  }
  async appendHistory(e: WithdrawalHistoryEntry) {
    await this.tx.withdrawalHistory.create({ data: { withdrawalId: e.withdrawalId.toString(), status: e.status, detail: e.detail, sweepTxid: e.sweepTxid ?? null } });
  }
  async historyOf(id: bigint) {
    const rows = await this.tx.withdrawalHistory.findMany({ where: { withdrawalId: id.toString() }, orderBy: { seq: 'asc' } });
    return rows.map((h) => ({ withdrawalId: id, status: h.status as WithdrawalStatus, detail: h.detail, ...(h.sweepTxid ? { sweepTxid: h.sweepTxid } : {}) }));
  }

  // ---- deposits ----
  async getDeposit(ref: OutpointRef) {
    const r = await this.tx.deposit.findUnique({ where: { txid_vout: { txid: ref.txid, vout: ref.vout } }, select: DATA });
    return r ? fromJson<DepositRecord>(r.data) : undefined;
  }
  async putDeposit(d: DepositRecord) {
    const row = { state: d.state, blockHeight: d.blockHeight, data: toJsonValue(d) };
    await this.tx.deposit.upsert({ where: { txid_vout: { txid: d.txid, vout: d.vout } }, create: { txid: d.txid, vout: d.vout, ...row }, update: row });
  }
  async depositsByState(states: readonly DepositState[]) {
    return records<DepositRecord>(await this.tx.deposit.findMany({ where: { state: { in: [...states] } }, orderBy: [{ blockHeight: 'asc' }, { txid: 'asc' }, { vout: 'asc' }], select: DATA }));
  }

  // ---- sweeps ----
  async nextFamilyId() {
    const r = await this.tx.sweepFamily.aggregate({ _max: { id: true } });
    return (r._max.id ?? 0) + 1;
  }
  async putFamily(f: SweepFamily) {
    const row = { status: f.status, data: toJsonValue(f) };
    await this.tx.sweepFamily.upsert({ where: { id: f.id }, create: { id: f.id, ...row }, update: row });
  }
  async getFamily(id: number) {
    const r = await this.tx.sweepFamily.findUnique({ where: { id }, select: DATA });
    return r ? fromJson<SweepFamily>(r.data) : undefined;
  }
  async familiesByStatus(status: SweepFamily['status']) {
    return records<SweepFamily>(await this.tx.sweepFamily.findMany({ where: { status }, orderBy: { id: 'desc' }, select: DATA }));
  }
  async putVersion(v: SweepVersion) {
    const row = { status: v.status, signingAt: v.signingAt ?? null, data: toJsonValue(v) };
    await this.tx.sweepVersion.upsert({ where: { txid: v.txid }, create: { txid: v.txid, familyId: v.familyId, version: v.version, ...row }, update: { ...row, updatedAt: new Date() } });
  }
  async getVersion(txid: string) {
    const r = await this.tx.sweepVersion.findUnique({ where: { txid }, select: DATA });
    return r ? fromJson<SweepVersion>(r.data) : undefined;
  }
  async versionsOf(familyId: number) {
    return records<SweepVersion>(await this.tx.sweepVersion.findMany({ where: { familyId }, orderBy: { version: 'asc' }, select: DATA }));
  }
  async versionsSigningSince(since: Date) {
    return records<SweepVersion>(await this.tx.sweepVersion.findMany({ where: { signingAt: { gte: since } }, orderBy: [{ familyId: 'asc' }, { version: 'asc' }], select: DATA }));
  }

  // ---- pipeline state ----
  async halt() {
    const r = await this.tx.halt.findUnique({ where: { id: 1 }, select: DATA });
    return r ? fromJson<HaltState>(r.data) : undefined;
  }
  async setHalt(h: HaltState) {
    // The first halt stays (its reason is the one that stopped the pipeline): ON CONFLICT DO NOTHING.
    await this.tx.halt.createMany({ data: [{ id: 1, data: toJsonValue(h) }], skipDuplicates: true });
  }
  async feesPaidSats() {
    const confirmed = records<SweepVersion>(await this.tx.sweepVersion.findMany({ where: { status: 'confirmed' }, select: DATA }));
    return confirmed.reduce((sum, v) => sum + custodyFeeOf(v), 0n);
  }

  async emit<E extends EventDefinition>(event: E, payload: EventPayload<E>) {
    // Raw SQL (packages/messaging): the outbox row commits with the state.
    await enqueueEvent(prismaExecutor(this.tx), this.schema, event, payload);
  }
}
