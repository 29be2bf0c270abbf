// DepositStore over the service's Postgres schema, through Prisma. Every transaction takes one advisory lock, so
// block application and registrations never interleave, and writes its events to the outbox in the same
// transaction.
import type { DepositStore, DepositStoreTx } from '@tapbridge/deposits';
import type { ChainBlock, CustodyUtxo, DepositRecord, DepositStatus, HistoryEntry, OutpointRef, Sighting, SpendPath } from '@tapbridge/deposits';
import { DuplicateEventError, enqueueEvent, prismaExecutor, serialisedTransaction, qualified, type EventDefinition, type EventPayload } from '@tapbridge/messaging';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

// Kept importable from here: the consumers catch it from the store's module.
export { DuplicateEventError };

export interface PostgresDepositStoreOptions {
  prisma: PrismaClient;
  /** The schema the client's models live in (serviceSchema('deposit-indexer')): names the lock and raw queries. */
  schema: string;
  /** After each commit: the app wakes the outbox relay, so events leave at once. */
  afterCommit?: () => void;
  /** Last step inside each transaction; a test throws here to see a failed commit leave nothing behind. */
  beforeCommit?: () => void;
}

export class PostgresDepositStore implements DepositStore {
  constructor(
    private readonly o: PostgresDepositStoreOptions,
    /** When set, each transaction first records (consumer, event id) in the inbox, or fails with DuplicateEventError. */
    private readonly claim?: { consumer: string; eventId: string },
  ) {}

  /** The same store, whose transactions apply the event `eventId` exactly once. */
  claiming(consumer: string, eventId: string): PostgresDepositStore {
    return new PostgresDepositStore(this.o, { consumer, eventId });
  }

  async transaction<T>(fn: (tx: DepositStoreTx) => Promise<T>): Promise<T> {
    // One lock for intake, blocks and steps; the claim makes a redelivered event a no-op (packages/messaging).
    return serialisedTransaction<Tx, T>(this.o.prisma, { ...this.o, lock: 'tapbridge-deposits', claim: this.claim }, (tx) => fn(new PrismaDepositTx(tx, this.o.schema)));
  }
}

type Tx = Prisma.TransactionClient;

/** A deposit row as Prisma or a raw query returns it (amounts are BIGINT). */
interface DepositRow {
  txid: string;
  vout: number;
  kind: string;
  scriptPubKey: string;
  depositScript: string | null;
  reclaimScript: string | null;
  lockBlocks: number | null;
  amountSats: bigint;
  recipient: string;
  maxFeeSats: bigint;
  status: string;
}

export function toDeposit(r: DepositRow): DepositRecord {
  return {
    txid: r.txid,
    vout: r.vout,
    kind: r.kind as DepositRecord['kind'],
    scriptPubKey: r.scriptPubKey,
    ...(r.depositScript !== null ? { depositScript: r.depositScript } : {}),
    ...(r.reclaimScript !== null ? { reclaimScript: r.reclaimScript } : {}),
    ...(r.lockBlocks !== null ? { lockBlocks: r.lockBlocks } : {}),
    amountSats: BigInt(r.amountSats),
    recipient: r.recipient,
    maxFeeSats: BigInt(r.maxFeeSats),
    status: r.status as DepositStatus,
  };
}

function toSighting(r: Prisma.SightingGetPayload<object>): Sighting {
  const base = { txid: r.txid, vout: r.vout, blockHash: r.blockHash, blockHeight: r.blockHeight, announced: r.announced };
  return r.kind === 'output'
    ? { ...base, kind: 'output', txIndex: r.txIndex!, merkleProof: r.merkleProof!, ...(r.rawTx !== null ? { rawTx: r.rawTx } : {}) }
    : { ...base, kind: 'spend', spendTxid: r.spendTxid!, path: r.path as SpendPath };
}

interface CustodyRow {
  txid: string;
  vout: number;
  amountSats: bigint;
  blockHash: string;
  blockHeight: number;
  spentBlockHash: string | null;
  spentTxid: string | null;
}

export function toCustody(r: CustodyRow): CustodyUtxo {
  return {
    txid: r.txid,
    vout: r.vout,
    amountSats: BigInt(r.amountSats),
    blockHash: r.blockHash,
    blockHeight: r.blockHeight,
    ...(r.spentBlockHash !== null ? { spentBlockHash: r.spentBlockHash, spentTxid: r.spentTxid! } : {}),
  };
}

const outpoint = (ref: OutpointRef) => ({ txid_vout: { txid: ref.txid, vout: ref.vout } });
const blockOf = (b: { hash: string; height: number; prevHash: string; header: string }): ChainBlock => ({ hash: b.hash, height: b.height, prevHash: b.prevHash, header: b.header });

class PrismaDepositTx implements DepositStoreTx {
  private readonly t: (table: string) => string;

  constructor(
    private readonly tx: Tx,
    private readonly schema: string,
  ) {
    this.t = (table) => qualified(schema, table);
  }

  async tip() {
    const b = await this.tx.chainBlock.findFirst({ orderBy: { height: 'desc' } });
    return b ? blockOf(b) : undefined;
  }
  async getBlock(hash: string) {
    const b = await this.tx.chainBlock.findUnique({ where: { hash } });
    return b ? blockOf(b) : undefined;
  }
  async putBlock(b: ChainBlock) {
    await this.tx.chainBlock.create({ data: { hash: b.hash, height: b.height, prevHash: b.prevHash, header: b.header } });
  }
  async deleteBlock(hash: string) {
    await this.tx.chainBlock.deleteMany({ where: { hash } });
  }

  async getDeposit(ref: OutpointRef) {
    const d = await this.tx.deposit.findUnique({ where: outpoint(ref) });
    return d ? toDeposit(d) : undefined;
  }
  async findDeposits(refs: readonly OutpointRef[]) {
    if (refs.length === 0) return [];
    // Raw SQL: a block's inputs are looked up as one unnest join (an index probe per outpoint), not an n-way OR.
    const rows = await this.tx.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT d.* FROM ${this.t('deposit')} d JOIN unnest($1::text[], $2::int[]) AS p(txid, vout) ON d.txid = p.txid AND d.vout = p.vout`,
      refs.map((r) => r.txid),
      refs.map((r) => r.vout),
    );
    return rows.map((r) => toDeposit({
      txid: r.txid as string, vout: r.vout as number, kind: r.kind as string, scriptPubKey: r.script_pub_key as string,
      depositScript: r.deposit_script as string | null, reclaimScript: r.reclaim_script as string | null, lockBlocks: r.lock_blocks as number | null,
      amountSats: r.amount_sats as bigint, recipient: r.recipient as string, maxFeeSats: r.max_fee_sats as bigint, status: r.status as string,
    }));
  }
  async watchedScriptPubKeys() {
    const rows = await this.tx.deposit.findMany({
      where: { kind: 'taproot', status: { notIn: ['swept', 'reclaimed', 'spent'] } },
      select: { scriptPubKey: true },
      distinct: ['scriptPubKey'],
    });
    return new Set(rows.map((r) => r.scriptPubKey));
  }
  async insertDeposit(d: DepositRecord) {
    await this.tx.deposit.create({
      data: {
        txid: d.txid, vout: d.vout, kind: d.kind, scriptPubKey: d.scriptPubKey, depositScript: d.depositScript ?? null, reclaimScript: d.reclaimScript ?? null,
        lockBlocks: d.lockBlocks ?? null, amountSats: d.amountSats, recipient: d.recipient, maxFeeSats: d.maxFeeSats, status: d.status,
      },
    });
  }
  async setStatus(ref: OutpointRef, status: DepositStatus) {
    await this.tx.deposit.updateMany({ where: { txid: ref.txid, vout: ref.vout }, data: { status, updatedAt: new Date() } });
  }
  async appendHistory(h: HistoryEntry) {
    await this.tx.depositHistory.create({
      data: { txid: h.txid, vout: h.vout, status: h.status, blockHash: h.blockHash ?? null, blockHeight: h.blockHeight ?? null, detail: h.detail },
    });
  }

  countHistory(ref: OutpointRef, status: DepositStatus, blockHash: string) {
    return this.tx.depositHistory.count({ where: { txid: ref.txid, vout: ref.vout, status, blockHash } });
  }

  async putSighting(s: Sighting) {
    await this.tx.sighting.create({
      data: {
        blockHash: s.blockHash, kind: s.kind, txid: s.txid, vout: s.vout, blockHeight: s.blockHeight,
        txIndex: s.kind === 'output' ? s.txIndex : null,
        merkleProof: s.kind === 'output' ? s.merkleProof : null,
        rawTx: s.kind === 'output' ? (s.rawTx ?? null) : null,
        spendTxid: s.kind === 'spend' ? s.spendTxid : null,
        path: s.kind === 'spend' ? s.path : null,
        announced: s.announced,
      },
    });
  }
  async sightingsOf(ref: OutpointRef) {
    return (await this.tx.sighting.findMany({ where: { txid: ref.txid, vout: ref.vout } })).map(toSighting);
  }
  async sightingsInBlock(blockHash: string) {
    return (await this.tx.sighting.findMany({ where: { blockHash } })).map(toSighting);
  }
  async deleteSightingsInBlock(blockHash: string) {
    await this.tx.sighting.deleteMany({ where: { blockHash } });
  }
  async unannouncedSightings() {
    return (await this.tx.sighting.findMany({ where: { announced: false } })).map(toSighting);
  }
  async markAnnounced(s: Sighting) {
    await this.tx.sighting.updateMany({ where: { blockHash: s.blockHash, kind: s.kind, txid: s.txid, vout: s.vout }, data: { announced: true } });
  }

  async findUnspentCustody(refs: readonly OutpointRef[]) {
    if (refs.length === 0) return [];
    // Raw SQL: a block's inputs are looked up as one unnest join (an index probe per outpoint), not an n-way OR.
    const rows = await this.tx.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT u.* FROM ${this.t('custody_utxo')} u JOIN unnest($1::text[], $2::int[]) AS p(txid, vout) ON u.txid = p.txid AND u.vout = p.vout
       WHERE u.spent_block_hash IS NULL`,
      refs.map((r) => r.txid),
      refs.map((r) => r.vout),
    );
    return rows.map((r) => toCustody({
      txid: r.txid as string, vout: r.vout as number, amountSats: r.amount_sats as bigint, blockHash: r.block_hash as string,
      blockHeight: r.block_height as number, spentBlockHash: r.spent_block_hash as string | null, spentTxid: r.spent_txid as string | null,
    }));
  }
  async putCustodyUtxo(u: CustodyUtxo) {
    await this.tx.custodyUtxo.create({ data: { txid: u.txid, vout: u.vout, amountSats: u.amountSats, blockHash: u.blockHash, blockHeight: u.blockHeight } });
  }
  async spendCustodyUtxo(ref: OutpointRef, blockHash: string, spentTxid: string) {
    const r = await this.tx.custodyUtxo.updateMany({ where: { txid: ref.txid, vout: ref.vout, spentBlockHash: null }, data: { spentBlockHash: blockHash, spentTxid } });
    if (r.count !== 1) throw new Error(`custody output ${ref.txid}:${ref.vout} is not unspent`);
  }
  async undoCustodyInBlock(blockHash: string) {
    await this.tx.custodyUtxo.deleteMany({ where: { blockHash } });
    await this.tx.custodyUtxo.updateMany({ where: { spentBlockHash: blockHash }, data: { spentBlockHash: null, spentTxid: null } });
  }

  async emit<E extends EventDefinition>(event: E, payload: EventPayload<E>) {
    await enqueueEvent(prismaExecutor(this.tx), this.schema, event, payload);
  }
}
