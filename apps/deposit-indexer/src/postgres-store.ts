// DepositStore over the service's Postgres schema. Every transaction takes one advisory lock, so block
// application and registrations never interleave, and writes its events to the outbox in the same transaction.
import type { PoolClient } from 'pg';
import type { DepositStore, DepositStoreTx } from '@tapbridge/deposits';
import type { ChainBlock, CustodyUtxo, DepositRecord, DepositStatus, HistoryEntry, OutpointRef, Sighting, SpendPath } from '@tapbridge/deposits';
import { claimEvent, enqueueEvent, qualified, type EventDefinition, type EventPayload } from '@tapbridge/messaging';

/** The event was applied before (a redelivery): the transaction is rolled back and the message acked. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
}

export interface PostgresDepositStoreOptions {
  schema: string;
  /** Runs `fn` in one transaction (the runtime's, which wakes the outbox relay after commit). */
  transaction<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T>;
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

  transaction<T>(fn: (tx: DepositStoreTx) => Promise<T>): Promise<T> {
    return this.o.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tapbridge-deposits:${this.o.schema}`]);
      if (this.claim && !(await claimEvent(client, this.o.schema, this.claim.consumer, this.claim.eventId)))
        throw new DuplicateEventError(`${this.claim.eventId} already applied`);
      return fn(new PostgresTx(client, this.o.schema));
    });
  }
}

interface DepositRow {
  txid: string;
  vout: number;
  kind: 'taproot' | 'op_return';
  script_pub_key: string;
  deposit_script: string | null;
  reclaim_script: string | null;
  lock_blocks: number | null;
  amount_sats: string;
  recipient: string;
  max_fee_sats: string;
  status: DepositStatus;
}

interface SightingRow {
  block_hash: string;
  kind: 'output' | 'spend';
  txid: string;
  vout: number;
  block_height: number;
  tx_index: number | null;
  merkle_proof: string | null;
  raw_tx: string | null;
  spend_txid: string | null;
  path: SpendPath | null;
  announced: boolean;
}

interface CustodyRow {
  txid: string;
  vout: number;
  amount_sats: string;
  block_hash: string;
  block_height: number;
  spent_block_hash: string | null;
  spent_txid: string | null;
}

export function toDeposit(r: DepositRow): DepositRecord {
  return {
    txid: r.txid,
    vout: r.vout,
    kind: r.kind,
    scriptPubKey: r.script_pub_key,
    ...(r.deposit_script !== null ? { depositScript: r.deposit_script } : {}),
    ...(r.reclaim_script !== null ? { reclaimScript: r.reclaim_script } : {}),
    ...(r.lock_blocks !== null ? { lockBlocks: r.lock_blocks } : {}),
    amountSats: BigInt(r.amount_sats),
    recipient: r.recipient,
    maxFeeSats: BigInt(r.max_fee_sats),
    status: r.status,
  };
}

function toSighting(r: SightingRow): Sighting {
  const base = { txid: r.txid, vout: r.vout, blockHash: r.block_hash, blockHeight: r.block_height, announced: r.announced };
  return r.kind === 'output'
    ? { ...base, kind: 'output', txIndex: r.tx_index!, merkleProof: r.merkle_proof!, ...(r.raw_tx !== null ? { rawTx: r.raw_tx } : {}) }
    : { ...base, kind: 'spend', spendTxid: r.spend_txid!, path: r.path! };
}

export function toCustody(r: CustodyRow): CustodyUtxo {
  return {
    txid: r.txid,
    vout: r.vout,
    amountSats: BigInt(r.amount_sats),
    blockHash: r.block_hash,
    blockHeight: r.block_height,
    ...(r.spent_block_hash !== null ? { spentBlockHash: r.spent_block_hash, spentTxid: r.spent_txid! } : {}),
  };
}

const refsParams = (refs: readonly OutpointRef[]): [string[], number[]] => [refs.map((r) => r.txid), refs.map((r) => r.vout)];

class PostgresTx implements DepositStoreTx {
  private readonly t: (table: string) => string;

  constructor(
    private readonly c: PoolClient,
    private readonly schema: string,
  ) {
    this.t = (table) => qualified(schema, table);
  }

  async tip() {
    const r = await this.c.query<{ hash: string; height: number; prev_hash: string; header: string }>(
      `SELECT hash, height, prev_hash, header FROM ${this.t('chain_block')} ORDER BY height DESC LIMIT 1`,
    );
    const row = r.rows[0];
    return row && { hash: row.hash, height: row.height, prevHash: row.prev_hash, header: row.header };
  }
  async getBlock(hash: string) {
    const r = await this.c.query<{ hash: string; height: number; prev_hash: string; header: string }>(
      `SELECT hash, height, prev_hash, header FROM ${this.t('chain_block')} WHERE hash = $1`,
      [hash],
    );
    const row = r.rows[0];
    return row && { hash: row.hash, height: row.height, prevHash: row.prev_hash, header: row.header };
  }
  async putBlock(b: ChainBlock) {
    await this.c.query(`INSERT INTO ${this.t('chain_block')} (hash, height, prev_hash, header) VALUES ($1, $2, $3, $4)`, [b.hash, b.height, b.prevHash, b.header]);
  }
  async deleteBlock(hash: string) {
    await this.c.query(`DELETE FROM ${this.t('chain_block')} WHERE hash = $1`, [hash]);
  }

  async getDeposit(ref: OutpointRef) {
    const r = await this.c.query<DepositRow>(`SELECT * FROM ${this.t('deposit')} WHERE txid = $1 AND vout = $2`, [ref.txid, ref.vout]);
    return r.rows[0] && toDeposit(r.rows[0]);
  }
  async findDeposits(refs: readonly OutpointRef[]) {
    if (refs.length === 0) return [];
    const r = await this.c.query<DepositRow>(
      `SELECT d.* FROM ${this.t('deposit')} d JOIN unnest($1::text[], $2::int[]) AS p(txid, vout) ON d.txid = p.txid AND d.vout = p.vout`,
      refsParams(refs),
    );
    return r.rows.map(toDeposit);
  }
  async watchedScriptPubKeys() {
    const r = await this.c.query<{ script_pub_key: string }>(
      `SELECT DISTINCT script_pub_key FROM ${this.t('deposit')} WHERE kind = 'taproot' AND status NOT IN ('swept', 'reclaimed', 'spent')`,
    );
    return new Set(r.rows.map((row) => row.script_pub_key));
  }
  async insertDeposit(d: DepositRecord) {
    await this.c.query(
      `INSERT INTO ${this.t('deposit')} (txid, vout, kind, script_pub_key, deposit_script, reclaim_script, lock_blocks, amount_sats, recipient, max_fee_sats, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [d.txid, d.vout, d.kind, d.scriptPubKey, d.depositScript ?? null, d.reclaimScript ?? null, d.lockBlocks ?? null, d.amountSats.toString(), d.recipient, d.maxFeeSats.toString(), d.status],
    );
  }
  async setStatus(ref: OutpointRef, status: DepositStatus) {
    await this.c.query(`UPDATE ${this.t('deposit')} SET status = $3, updated_at = now() WHERE txid = $1 AND vout = $2`, [ref.txid, ref.vout, status]);
  }
  async appendHistory(h: HistoryEntry) {
    await this.c.query(`INSERT INTO ${this.t('deposit_history')} (txid, vout, status, block_hash, block_height, detail) VALUES ($1, $2, $3, $4, $5, $6)`, [
      h.txid,
      h.vout,
      h.status,
      h.blockHash ?? null,
      h.blockHeight ?? null,
      h.detail,
    ]);
  }

  async countHistory(ref: OutpointRef, status: DepositStatus, blockHash: string) {
    const { rows } = await this.c.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.t('deposit_history')} WHERE txid = $1 AND vout = $2 AND status = $3 AND block_hash = $4`,
      [ref.txid, ref.vout, status, blockHash],
    );
    return Number(rows[0]!.n);
  }

  async putSighting(s: Sighting) {
    await this.c.query(
      `INSERT INTO ${this.t('sighting')} (block_hash, kind, txid, vout, block_height, tx_index, merkle_proof, raw_tx, spend_txid, path, announced)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        s.blockHash,
        s.kind,
        s.txid,
        s.vout,
        s.blockHeight,
        s.kind === 'output' ? s.txIndex : null,
        s.kind === 'output' ? s.merkleProof : null,
        s.kind === 'output' ? (s.rawTx ?? null) : null,
        s.kind === 'spend' ? s.spendTxid : null,
        s.kind === 'spend' ? s.path : null,
        s.announced,
      ],
    );
  }
  async sightingsOf(ref: OutpointRef) {
    const r = await this.c.query<SightingRow>(`SELECT * FROM ${this.t('sighting')} WHERE txid = $1 AND vout = $2`, [ref.txid, ref.vout]);
    return r.rows.map(toSighting);
  }
  async sightingsInBlock(blockHash: string) {
    const r = await this.c.query<SightingRow>(`SELECT * FROM ${this.t('sighting')} WHERE block_hash = $1`, [blockHash]);
    return r.rows.map(toSighting);
  }
  async deleteSightingsInBlock(blockHash: string) {
    await this.c.query(`DELETE FROM ${this.t('sighting')} WHERE block_hash = $1`, [blockHash]);
  }
  async unannouncedSightings() {
    const r = await this.c.query<SightingRow>(`SELECT * FROM ${this.t('sighting')} WHERE NOT announced`);
    return r.rows.map(toSighting);
  }
  async markAnnounced(s: Sighting) {
    await this.c.query(`UPDATE ${this.t('sighting')} SET announced = true WHERE block_hash = $1 AND kind = $2 AND txid = $3 AND vout = $4`, [s.blockHash, s.kind, s.txid, s.vout]);
  }

  async findUnspentCustody(refs: readonly OutpointRef[]) {
    if (refs.length === 0) return [];
    const r = await this.c.query<CustodyRow>(
      `SELECT u.* FROM ${this.t('custody_utxo')} u JOIN unnest($1::text[], $2::int[]) AS p(txid, vout) ON u.txid = p.txid AND u.vout = p.vout
       WHERE u.spent_block_hash IS NULL`,
      refsParams(refs),
    );
    return r.rows.map(toCustody);
  }
  async putCustodyUtxo(u: CustodyUtxo) {
    await this.c.query(`INSERT INTO ${this.t('custody_utxo')} (txid, vout, amount_sats, block_hash, block_height) VALUES ($1, $2, $3, $4, $5)`, [
      u.txid,
      u.vout,
      u.amountSats.toString(),
      u.blockHash,
      u.blockHeight,
    ]);
  }
  async spendCustodyUtxo(ref: OutpointRef, blockHash: string, spentTxid: string) {
    const r = await this.c.query(
      `UPDATE ${this.t('custody_utxo')} SET spent_block_hash = $3, spent_txid = $4 WHERE txid = $1 AND vout = $2 AND spent_block_hash IS NULL`,
      [ref.txid, ref.vout, blockHash, spentTxid],
    );
    if (r.rowCount !== 1) throw new Error(`custody output ${ref.txid}:${ref.vout} is not unspent`);
  }
  async undoCustodyInBlock(blockHash: string) {
    await this.c.query(`DELETE FROM ${this.t('custody_utxo')} WHERE block_hash = $1`, [blockHash]);
    await this.c.query(`UPDATE ${this.t('custody_utxo')} SET spent_block_hash = NULL, spent_txid = NULL WHERE spent_block_hash = $1`, [blockHash]);
  }

  async emit<E extends EventDefinition>(event: E, payload: EventPayload<E>) {
    await enqueueEvent(this.c, this.schema, event, payload);
  }
}
