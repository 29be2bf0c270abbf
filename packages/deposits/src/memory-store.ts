import { emitToMemoryOutbox, MemoryTransactions, type EventDefinition, type EventPayload, type StoredEvent } from '@tapbridge/messaging';
import type { DepositStore, DepositStoreTx } from './store.js';
import { outpointKey, type ChainBlock, type CustodyUtxo, type DepositRecord, type DepositStatus, type HistoryEntry, type OutpointRef, type Sighting } from './types.js';

export type { StoredEvent };

interface State {
  blocks: Map<string, ChainBlock>;
  tip: string | undefined;
  deposits: Map<string, DepositRecord>;
  history: HistoryEntry[];
  sightings: Map<string, Sighting>;
  custody: Map<string, CustodyUtxo>;
  outbox: StoredEvent[];
}

const sightingId = (s: Sighting): string => `${s.blockHash}/${s.kind}/${outpointKey(s)}`;
const TERMINAL: ReadonlySet<DepositStatus> = new Set(['swept', 'reclaimed', 'spent']);

/**
 * DepositStore in memory, for tests: each transaction works on a copy of the state that replaces it only on
 * commit, so a throwing decision leaves nothing behind (as a Postgres rollback would). Events go to `outbox`,
 * one per id, like the service's outbox table.
 */
export class InMemoryDepositStore implements DepositStore {
  private readonly db = new MemoryTransactions<State>({ blocks: new Map(), tip: undefined, deposits: new Map(), history: [], sightings: new Map(), custody: new Map(), outbox: [] });

  get outbox(): readonly StoredEvent[] {
    return this.db.outbox;
  }
  history(ref: OutpointRef): HistoryEntry[] {
    return this.db.state.history.filter((h) => h.txid === ref.txid && h.vout === ref.vout);
  }
  deposit(ref: OutpointRef): DepositRecord | undefined {
    const d = this.db.state.deposits.get(outpointKey(ref));
    return d && { ...d };
  }
  unspentCustody(): CustodyUtxo[] {
    return [...this.db.state.custody.values()].filter((u) => u.spentBlockHash === undefined);
  }
  tipBlock(): ChainBlock | undefined {
    return this.db.state.tip === undefined ? undefined : this.db.state.blocks.get(this.db.state.tip);
  }

  transaction<T>(fn: (tx: DepositStoreTx) => Promise<T>): Promise<T> {
    return this.db.run((draft) => fn(new MemoryTx(draft)));
  }
}

class MemoryTx implements DepositStoreTx {
  constructor(private readonly s: State) {}

  async tip() {
    return this.s.tip === undefined ? undefined : { ...this.s.blocks.get(this.s.tip)! };
  }
  async getBlock(hash: string) {
    const b = this.s.blocks.get(hash);
    return b && { ...b };
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

  async getDeposit(ref: OutpointRef) {
    const d = this.s.deposits.get(outpointKey(ref));
    return d && { ...d };
  }
  async findDeposits(refs: readonly OutpointRef[]) {
    return refs.flatMap((r) => {
      const d = this.s.deposits.get(outpointKey(r));
      return d ? [{ ...d }] : [];
    });
  }
  async watchedScriptPubKeys() {
    return new Set([...this.s.deposits.values()].filter((d) => d.kind === 'taproot' && !TERMINAL.has(d.status)).map((d) => d.scriptPubKey));
  }
  async insertDeposit(deposit: DepositRecord) {
    const key = outpointKey(deposit);
    if (this.s.deposits.has(key)) throw new Error(`deposit ${key} exists`);
    this.s.deposits.set(key, { ...deposit });
  }
  async setStatus(ref: OutpointRef, status: DepositStatus) {
    const d = this.s.deposits.get(outpointKey(ref));
    if (!d) throw new Error(`no deposit ${outpointKey(ref)}`);
    d.status = status;
  }
  async appendHistory(entry: HistoryEntry) {
    this.s.history.push({ ...entry });
  }
  async countHistory(ref: OutpointRef, status: DepositStatus, blockHash: string) {
    return this.s.history.filter((h) => h.txid === ref.txid && h.vout === ref.vout && h.status === status && h.blockHash === blockHash).length;
  }

  async putSighting(sighting: Sighting) {
    if (this.s.sightings.has(sightingId(sighting))) throw new Error(`sighting ${sightingId(sighting)} exists`);
    this.s.sightings.set(sightingId(sighting), { ...sighting });
  }
  async sightingsOf(ref: OutpointRef) {
    return [...this.s.sightings.values()].filter((s) => s.txid === ref.txid && s.vout === ref.vout).map((s) => ({ ...s }));
  }
  async sightingsInBlock(blockHash: string) {
    return [...this.s.sightings.values()].filter((s) => s.blockHash === blockHash).map((s) => ({ ...s }));
  }
  async deleteSightingsInBlock(blockHash: string) {
    for (const [id, s] of this.s.sightings) if (s.blockHash === blockHash) this.s.sightings.delete(id);
  }
  async unannouncedSightings() {
    return [...this.s.sightings.values()].filter((s) => !s.announced).map((s) => ({ ...s }));
  }
  async markAnnounced(sighting: Sighting) {
    const s = this.s.sightings.get(sightingId(sighting));
    if (!s) throw new Error(`no sighting ${sightingId(sighting)}`);
    s.announced = true;
  }

  async findUnspentCustody(refs: readonly OutpointRef[]) {
    return refs.flatMap((r) => {
      const u = this.s.custody.get(outpointKey(r));
      return u && u.spentBlockHash === undefined ? [{ ...u }] : [];
    });
  }
  async putCustodyUtxo(utxo: CustodyUtxo) {
    this.s.custody.set(outpointKey(utxo), { ...utxo });
  }
  async spendCustodyUtxo(ref: OutpointRef, blockHash: string, spentTxid: string) {
    const u = this.s.custody.get(outpointKey(ref));
    if (!u || u.spentBlockHash !== undefined) throw new Error(`custody output ${outpointKey(ref)} is not unspent`);
    u.spentBlockHash = blockHash;
    u.spentTxid = spentTxid;
  }
  async undoCustodyInBlock(blockHash: string) {
    for (const [key, u] of this.s.custody) {
      if (u.blockHash === blockHash) this.s.custody.delete(key);
      else if (u.spentBlockHash === blockHash) {
        delete u.spentBlockHash;
        delete u.spentTxid;
      }
    }
  }

  async emit<E extends EventDefinition>(event: E, payload: EventPayload<E>) {
    emitToMemoryOutbox(this.s.outbox, event, payload);
  }
}
