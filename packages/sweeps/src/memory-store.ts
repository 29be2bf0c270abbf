import { emitToMemoryOutbox, MemoryTransactions, type EventDefinition, type EventPayload, type StoredEvent } from '@tapbridge/messaging';
import type { ChainBlock, SweepStore, SweepStoreTx, WithdrawalHistoryEntry } from './store.js';
import { outpointKey, type DepositRecord, type DepositState, type HaltState, type OutpointRef, type SweepFamily, type SweepVersion, type WithdrawalRecord, type WithdrawalStatus } from './types.js';

export type { StoredEvent };

interface State {
  blocks: Map<string, ChainBlock>;
  tip: string | undefined;
  withdrawals: Map<bigint, WithdrawalRecord>;
  history: WithdrawalHistoryEntry[];
  deposits: Map<string, DepositRecord>;
  families: Map<number, SweepFamily>;
  versions: Map<string, SweepVersion>;
  halt: HaltState | undefined;
  outbox: StoredEvent[];
}

/**
 * SweepStore in memory, for tests: each transaction works on a copy of the state that replaces it only on commit,
 * so a throwing decision leaves nothing behind (as a Postgres rollback would). Events go to `outbox`, once per id.
 */
export class InMemorySweepStore implements SweepStore {
  private readonly db = new MemoryTransactions<State>({
    blocks: new Map(), tip: undefined, withdrawals: new Map(), history: [], deposits: new Map(), families: new Map(), versions: new Map(), halt: undefined, outbox: [],
  });

  get outbox(): readonly StoredEvent[] {
    return this.db.outbox;
  }
  history(id: bigint): WithdrawalHistoryEntry[] {
    return this.db.state.history.filter((h) => h.withdrawalId === id);
  }

  transaction<T>(fn: (tx: SweepStoreTx) => Promise<T>): Promise<T> {
    return this.db.run((draft) => fn(new MemoryTx(draft)));
  }
}

const copy = <T>(v: T | undefined): T | undefined => (v === undefined ? undefined : structuredClone(v));
const byId = (a: WithdrawalRecord, b: WithdrawalRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

class MemoryTx implements SweepStoreTx {
  constructor(private readonly s: State) {}

  async tip() {
    return copy(this.s.tip === undefined ? undefined : this.s.blocks.get(this.s.tip));
  }
  async getBlock(hash: string) {
    return copy(this.s.blocks.get(hash));
  }
  async putBlock(block: ChainBlock) {
    this.s.blocks.set(block.hash, { ...block });
    this.s.tip = block.hash;
  }
  async deleteBlock(hash: string) {
    const b = this.s.blocks.get(hash);
    this.s.blocks.delete(hash);
    if (b && this.s.tip === hash) this.s.tip = this.s.blocks.has(b.prevHash) ? b.prevHash : undefined;
  }

  async getWithdrawal(id: bigint) {
    return copy(this.s.withdrawals.get(id));
  }
  async putWithdrawal(w: WithdrawalRecord) {
    this.s.withdrawals.set(w.id, structuredClone(w));
  }
  async withdrawalsByStatus(statuses: readonly WithdrawalStatus[]) {
    return [...this.s.withdrawals.values()].filter((w) => statuses.includes(w.status)).sort(byId).map((w) => structuredClone(w));
  }
  async withdrawalsBySender(sender: string) {
    return [...this.s.withdrawals.values()].filter((w) => w.sender === sender.toLowerCase()).sort(byId).map((w) => structuredClone(w));
  }
  async appendHistory(entry: WithdrawalHistoryEntry) {
    this.s.history.push({ ...entry });
  }
  async historyOf(id: bigint) {
    return this.s.history.filter((h) => h.withdrawalId === id).map((h) => ({ ...h }));
  }

  async getDeposit(ref: OutpointRef) {
    return copy(this.s.deposits.get(outpointKey(ref)));
  }
  async putDeposit(d: DepositRecord) {
    this.s.deposits.set(outpointKey(d), structuredClone(d));
  }
  async depositsByState(states: readonly DepositState[]) {
    return [...this.s.deposits.values()]
      .filter((d) => states.includes(d.state))
      .sort((a, b) => a.blockHeight - b.blockHeight || a.txid.localeCompare(b.txid) || a.vout - b.vout)
      .map((d) => structuredClone(d));
  }

  async nextFamilyId() {
    return Math.max(0, ...this.s.families.keys()) + 1;
  }
  async putFamily(f: SweepFamily) {
    this.s.families.set(f.id, structuredClone(f));
  }
  async getFamily(id: number) {
    return copy(this.s.families.get(id));
  }
  async familiesByStatus(status: SweepFamily['status']) {
    return [...this.s.families.values()].filter((f) => f.status === status).sort((a, b) => b.id - a.id).map((f) => structuredClone(f));
  }
  async putVersion(v: SweepVersion) {
    this.s.versions.set(v.txid, structuredClone(v));
  }
  async getVersion(txid: string) {
    return copy(this.s.versions.get(txid));
  }
  async versionsOf(familyId: number) {
    return [...this.s.versions.values()].filter((v) => v.familyId === familyId).sort((a, b) => a.version - b.version).map((v) => structuredClone(v));
  }

  async versionsSigningSince(since: Date) {
    return [...this.s.versions.values()].filter((v) => v.signingAt !== undefined && Date.parse(v.signingAt) >= since.getTime()).map((v) => structuredClone(v));
  }

  async halt() {
    return copy(this.s.halt);
  }
  async setHalt(h: HaltState) {
    // The first reason stands: it is the one that stopped the pipeline.
    this.s.halt ??= { ...h };
  }
  async feesPaidSats() {
    let total = 0n;
    for (const v of this.s.versions.values()) if (v.status === 'confirmed') total += custodyFeeOf(v);
    return total;
  }

  async emit<E extends EventDefinition>(event: E, payload: EventPayload<E>) {
    emitToMemoryOutbox(this.s.outbox, event, payload);
  }
}

/** What custody paid for a sweep: its fee minus what the withdrawals' shares took from their payouts. */
export function custodyFeeOf(v: Pick<SweepVersion, 'feeSats' | 'payouts'>): bigint {
  return v.feeSats - v.payouts.reduce((s, p) => s + p.feeShareSats, 0n);
}
