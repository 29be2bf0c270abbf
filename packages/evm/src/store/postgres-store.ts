import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { ChainStoreError } from '../errors.js';
import { toHex } from '../hex.js';
import type { BlockCommit, ChainHead, ChainStore, LogFilter, MintBackingEntry, MintReconfirmation, MintReorgRecord, MintRecord, StoredBlock, StoredLog, StoredReceipt, StoredTransaction } from './chain-store.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** packages/evm/migrations: the Prisma-style folder the project's migration runner applies. */
export const EVM_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** The DDL of every migration in order, for tests and tools that create a throwaway schema themselves. */
export function evmMigrationSql(): string[] {
  return fs
    .readdirSync(EVM_MIGRATIONS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => fs.readFileSync(`${EVM_MIGRATIONS_DIR}/${name}/migration.sql`, 'utf8'));
}

const buf = (hex: string): Buffer => Buffer.from(hex.slice(2), 'hex');
const hex = (b: Buffer): string => toHex(b);
const hexOrNull = (b: Buffer | null): string | null => (b === null ? null : toHex(b));
/** pg hands out Buffers; callers get plain Uint8Arrays (no copy), like the other stores. */
const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

interface LogRow {
  block_number: string;
  log_index: number;
  tx_hash: Buffer;
  tx_index: number;
  address: Buffer;
  topic0: Buffer | null;
  topic1: Buffer | null;
  topic2: Buffer | null;
  topic3: Buffer | null;
  data: Buffer;
  block_hash: Buffer;
}

interface ReceiptRow {
  tx_hash: Buffer;
  block_number: string;
  tx_index: number;
  sender: Buffer;
  recipient: Buffer | null;
  contract_address: Buffer | null;
  cumulative_gas_used: string;
  gas_used: string;
  effective_gas_price: string;
  status: number;
  tx_type: number;
  logs_bloom: Buffer;
  block_hash: Buffer;
}

interface MintRow {
  deposit_id: string;
  recipient: Buffer;
  amount_sats: string;
  block_number: string;
  block_hash: Buffer;
  withdrawal_index: string;
}

/**
 * ChainStore over Postgres. Tables live in the schema the caller names (created by migrations/, see
 * EVM_MIGRATIONS_DIR); every block is written in one transaction, so the store only ever holds whole blocks.
 */
export class PostgresChainStore implements ChainStore {
  private readonly t: (table: string) => string;

  constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
  ) {
    if (!SCHEMA_NAME.test(schema)) throw new ChainStoreError(`invalid schema name ${JSON.stringify(schema)}`);
    this.t = (table) => `"${schema}".${table}`;
  }

  async trieGet(key: string): Promise<Uint8Array | undefined> {
    const { rows } = await this.pool.query<{ value: Buffer }>(`SELECT value FROM ${this.t('evm_trie_node')} WHERE key = $1`, [Buffer.from(key, 'hex')]);
    return rows[0] === undefined ? undefined : bytes(rows[0].value);
  }

  async getHead(): Promise<ChainHead | undefined> {
    const { rows } = await this.pool.query<{ number: string; hash: Buffer; state_root: Buffer; next_withdrawal_index: string }>(
      `SELECT number, hash, state_root, next_withdrawal_index FROM ${this.t('evm_head')} WHERE id = 1`,
    );
    const r = rows[0];
    return r === undefined
      ? undefined
      : { number: BigInt(r.number), hash: hex(r.hash), stateRoot: hex(r.state_root), nextWithdrawalIndex: BigInt(r.next_withdrawal_index) };
  }

  async getBlockByNumber(number: bigint): Promise<StoredBlock | undefined> {
    const { rows } = await this.pool.query<{ hash: Buffer; rlp: Buffer }>(`SELECT hash, rlp FROM ${this.t('evm_block')} WHERE number = $1`, [number.toString()]);
    const r = rows[0];
    return r === undefined ? undefined : { number, hash: hex(r.hash), rlp: bytes(r.rlp) };
  }

  async getBlockByHash(hash: string): Promise<StoredBlock | undefined> {
    const { rows } = await this.pool.query<{ number: string; rlp: Buffer }>(`SELECT number, rlp FROM ${this.t('evm_block')} WHERE hash = $1`, [buf(hash)]);
    const r = rows[0];
    return r === undefined ? undefined : { number: BigInt(r.number), hash, rlp: bytes(r.rlp) };
  }

  async getTransaction(hash: string): Promise<StoredTransaction | undefined> {
    const { rows } = await this.pool.query<{ block_number: string; tx_index: number; sender: Buffer; raw: Buffer; block_hash: Buffer }>(
      `SELECT t.block_number, t.tx_index, t.sender, t.raw, b.hash AS block_hash
         FROM ${this.t('evm_transaction')} t JOIN ${this.t('evm_block')} b ON b.number = t.block_number WHERE t.hash = $1`,
      [buf(hash)],
    );
    const r = rows[0];
    return r === undefined
      ? undefined
      : { hash, raw: bytes(r.raw), from: hex(r.sender), blockNumber: BigInt(r.block_number), blockHash: hex(r.block_hash), index: r.tx_index };
  }

  async getReceipt(transactionHash: string): Promise<StoredReceipt | undefined> {
    const receipts = await this.queryReceipts('r.tx_hash = $1', [buf(transactionHash)]);
    return receipts[0];
  }

  async getBlockReceipts(blockNumber: bigint): Promise<StoredReceipt[]> {
    return this.queryReceipts('r.block_number = $1', [blockNumber.toString()]);
  }

  async getLogs(filter: LogFilter): Promise<StoredLog[]> {
    const where = ['l.block_number BETWEEN $1 AND $2'];
    const params: unknown[] = [filter.fromBlock.toString(), filter.toBlock.toString()];
    if (filter.addresses !== undefined && filter.addresses.length > 0) {
      params.push(filter.addresses.map(buf));
      where.push(`l.address = ANY($${params.length}::bytea[])`);
    }
    (filter.topics ?? []).slice(0, 4).forEach((wanted, i) => {
      if (wanted === null || wanted.length === 0) return;
      params.push(wanted.map(buf));
      where.push(`l.topic${i} = ANY($${params.length}::bytea[])`);
    });
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    const { rows } = await this.pool.query<LogRow>(
      `SELECT l.*, b.hash AS block_hash FROM ${this.t('evm_log')} l JOIN ${this.t('evm_block')} b ON b.number = l.block_number
        WHERE ${where.join(' AND ')} ORDER BY l.block_number, l.log_index ${limit}`,
      params,
    );
    return rows.map(toLog);
  }

  async getMint(depositId: string): Promise<MintRecord | undefined> {
    const { rows } = await this.pool.query<MintRow>(`SELECT * FROM ${this.t('evm_mint')} WHERE deposit_id = $1`, [depositId]);
    return rows[0] === undefined ? undefined : toMint(rows[0]);
  }

  async getMints(depositIds: readonly string[]): Promise<Map<string, MintRecord>> {
    if (depositIds.length === 0) return new Map();
    const { rows } = await this.pool.query<MintRow>(`SELECT * FROM ${this.t('evm_mint')} WHERE deposit_id = ANY($1::text[])`, [depositIds]);
    return new Map(rows.map((r) => [r.deposit_id, toMint(r)]));
  }

  async recordMintReorg(record: MintReorgRecord): Promise<MintReorgRecord> {
    // One statement: the history row exists exactly when the reorg row was newly written.
    await this.pool.query(
      `WITH marked AS (
         INSERT INTO ${this.t('evm_mint_reorg')} (deposit_id, reason, recorded_at) VALUES ($1, $2, $3) ON CONFLICT (deposit_id) DO NOTHING RETURNING deposit_id
       )
       INSERT INTO ${this.t('evm_mint_backing')} (deposit_id, status, btc_block_hash, detail, recorded_at)
       SELECT deposit_id, 'reorged', $4, $2, $3 FROM marked`,
      [record.depositId, record.reason, record.recordedAt, record.btcBlockHash ?? null],
    );
    const all = await this.listMintReorgs(record.depositId);
    const stored = all[0];
    if (stored === undefined) throw new ChainStoreError(`mint reorg for ${record.depositId} was not stored`);
    return stored;
  }

  async listMintReorgs(depositId?: string): Promise<MintReorgRecord[]> {
    const { rows } = await this.pool.query<MintRow & { reason: string; recorded_at: Date }>(
      `SELECT m.*, r.reason, r.recorded_at FROM ${this.t('evm_mint_reorg')} r JOIN ${this.t('evm_mint')} m USING (deposit_id)
        ${depositId === undefined ? '' : 'WHERE r.deposit_id = $1'} ORDER BY r.recorded_at, r.deposit_id`,
      depositId === undefined ? [] : [depositId],
    );
    return rows.map((r) => ({ depositId: r.deposit_id, mint: toMint(r), reason: r.reason, recordedAt: r.recorded_at }));
  }

  async recordMintReconfirmation(r: MintReconfirmation): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `WITH cleared AS (DELETE FROM ${this.t('evm_mint_reorg')} WHERE deposit_id = $1 RETURNING deposit_id)
       INSERT INTO ${this.t('evm_mint_backing')} (deposit_id, status, btc_block_hash, detail, recorded_at)
       SELECT deposit_id, 'reconfirmed', $2, $3, $4 FROM cleared`,
      [r.depositId, r.btcBlockHash, r.detail, r.recordedAt],
    );
    return (rowCount ?? 0) > 0;
  }

  async mintBackingHistory(depositId: string): Promise<MintBackingEntry[]> {
    const { rows } = await this.pool.query<{ deposit_id: string; status: 'reorged' | 'reconfirmed'; btc_block_hash: string | null; detail: string; recorded_at: Date }>(
      `SELECT deposit_id, status, btc_block_hash, detail, recorded_at FROM ${this.t('evm_mint_backing')} WHERE deposit_id = $1 ORDER BY seq`,
      [depositId],
    );
    return rows.map((r) => ({
      depositId: r.deposit_id, status: r.status, detail: r.detail, recordedAt: r.recorded_at,
      ...(r.btc_block_hash !== null ? { btcBlockHash: r.btc_block_hash } : {}),
    }));
  }

  async commitBlock(commit: BlockCommit): Promise<void> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      // Lock the head row so two writers can never both extend the same parent.
      const { rows } = await client.query<{ number: string }>(`SELECT number FROM ${this.t('evm_head')} WHERE id = 1 FOR UPDATE`);
      const expected = rows[0] === undefined ? 0n : BigInt(rows[0].number) + 1n;
      if (commit.block.number !== expected) throw new ChainStoreError(`block ${commit.block.number} does not extend head ${rows[0]?.number ?? 'none'}`);
      if (commit.trieNodes.size > 0) {
        const keys: Buffer[] = [];
        const values: Buffer[] = [];
        for (const [k, v] of commit.trieNodes) {
          keys.push(Buffer.from(k, 'hex'));
          values.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        }
        await client.query(
          `INSERT INTO ${this.t('evm_trie_node')} (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (key) DO NOTHING`,
          [keys, values],
        );
      }
      const b = commit.block;
      await client.query(`INSERT INTO ${this.t('evm_block')} (number, hash, rlp) VALUES ($1, $2, $3)`, [b.number.toString(), buf(b.hash), Buffer.from(b.rlp)]);
      if (commit.transactions.length > 0) {
        const txs = commit.transactions;
        await client.query(
          `INSERT INTO ${this.t('evm_transaction')} (hash, block_number, tx_index, sender, raw)
           SELECT h, $2::bigint, i, s, r FROM unnest($1::bytea[], $3::int[], $4::bytea[], $5::bytea[]) AS x(h, i, s, r)`,
          [txs.map((t) => buf(t.hash)), b.number.toString(), txs.map((t) => t.index), txs.map((t) => buf(t.from)), txs.map((t) => Buffer.from(t.raw))],
        );
        const rs = commit.receipts;
        await client.query(
          `INSERT INTO ${this.t('evm_receipt')} (tx_hash, block_number, tx_index, recipient, contract_address, cumulative_gas_used, gas_used,
                                                 effective_gas_price, status, tx_type, logs_bloom)
           SELECT h, $2::bigint, i, rc, ca, cg, g, p, st, ty, lb
             FROM unnest($1::bytea[], $3::int[], $4::bytea[], $5::bytea[], $6::bigint[], $7::bigint[], $8::numeric[], $9::smallint[],
                         $10::smallint[], $11::bytea[]) AS x(h, i, rc, ca, cg, g, p, st, ty, lb)`,
          [
            rs.map((r) => buf(r.transactionHash)), b.number.toString(), rs.map((r) => r.transactionIndex),
            rs.map((r) => (r.to === null ? null : buf(r.to))), rs.map((r) => (r.contractAddress === null ? null : buf(r.contractAddress))),
            rs.map((r) => r.cumulativeGasUsed.toString()), rs.map((r) => r.gasUsed.toString()), rs.map((r) => r.effectiveGasPrice.toString()),
            rs.map((r) => r.status), rs.map((r) => r.type), rs.map((r) => buf(r.logsBloom)),
          ],
        );
        const logs = rs.flatMap((r) => r.logs);
        if (logs.length > 0) {
          const topic = (i: number) => logs.map((l) => (l.topics[i] === undefined ? null : buf(l.topics[i])));
          await client.query(
            `INSERT INTO ${this.t('evm_log')} (block_number, log_index, tx_hash, tx_index, address, topic0, topic1, topic2, topic3, data)
             SELECT $1::bigint, li, h, ti, a, t0, t1, t2, t3, d
               FROM unnest($2::int[], $3::bytea[], $4::int[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[], $9::bytea[], $10::bytea[])
                    AS x(li, h, ti, a, t0, t1, t2, t3, d)`,
            [
              b.number.toString(), logs.map((l) => l.logIndex), logs.map((l) => buf(l.transactionHash)), logs.map((l) => l.transactionIndex),
              logs.map((l) => buf(l.address)), topic(0), topic(1), topic(2), topic(3), logs.map((l) => buf(l.data)),
            ],
          );
        }
      }
      if (commit.mints.length > 0) {
        // One statement for the block's mints (a Bitcoin block's deposits land together). The primary key on
        // deposit_id turns a second mint of the same deposit into a failed (rolled back) commit.
        const ms = commit.mints;
        await client.query(
          `INSERT INTO ${this.t('evm_mint')} (deposit_id, recipient, amount_sats, block_number, block_hash, withdrawal_index)
           SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bytea[], $6::bigint[])`,
          [
            ms.map((m) => m.depositId), ms.map((m) => buf(m.recipient)), ms.map((m) => m.amountSats.toString()), ms.map((m) => m.blockNumber.toString()),
            ms.map((m) => buf(m.blockHash)), ms.map((m) => m.withdrawalIndex.toString()),
          ],
        );
      }
      await client.query(
        `INSERT INTO ${this.t('evm_head')} (id, number, hash, state_root, next_withdrawal_index) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, hash = EXCLUDED.hash, state_root = EXCLUDED.state_root,
                                        next_withdrawal_index = EXCLUDED.next_withdrawal_index`,
        [b.number.toString(), buf(b.hash), buf(commit.stateRoot), commit.nextWithdrawalIndex.toString()],
      );
      await client.query('COMMIT');
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is unusable; do not return it to the pool
      }
      if (err instanceof ChainStoreError) throw err;
      throw new ChainStoreError(`commit of block ${commit.block.number} failed: ${(err as Error).message}`);
    } finally {
      client.release(broken);
    }
  }

  /** The pool belongs to the caller, who may share it; closing the store does not end it. */
  async close(): Promise<void> {}

  private async queryReceipts(where: string, params: unknown[]): Promise<StoredReceipt[]> {
    const { rows } = await this.pool.query<ReceiptRow>(
      `SELECT r.*, t.sender, b.hash AS block_hash FROM ${this.t('evm_receipt')} r
         JOIN ${this.t('evm_transaction')} t ON t.hash = r.tx_hash JOIN ${this.t('evm_block')} b ON b.number = r.block_number
        WHERE ${where} ORDER BY r.block_number, r.tx_index`,
      params,
    );
    if (rows.length === 0) return [];
    const blocks = [...new Set(rows.map((r) => r.block_number))];
    const { rows: logRows } = await this.pool.query<LogRow>(
      `SELECT l.*, b.hash AS block_hash FROM ${this.t('evm_log')} l JOIN ${this.t('evm_block')} b ON b.number = l.block_number
        WHERE l.block_number = ANY($1::bigint[]) AND l.tx_hash = ANY($2::bytea[]) ORDER BY l.block_number, l.log_index`,
      [blocks, rows.map((r) => r.tx_hash)],
    );
    const logsByTx = new Map<string, StoredLog[]>();
    for (const row of logRows) {
      const log = toLog(row);
      const list = logsByTx.get(log.transactionHash) ?? [];
      list.push(log);
      logsByTx.set(log.transactionHash, list);
    }
    return rows.map((r) => ({
      transactionHash: hex(r.tx_hash),
      transactionIndex: r.tx_index,
      blockHash: hex(r.block_hash),
      blockNumber: BigInt(r.block_number),
      from: hex(r.sender),
      to: hexOrNull(r.recipient),
      contractAddress: hexOrNull(r.contract_address),
      cumulativeGasUsed: BigInt(r.cumulative_gas_used),
      gasUsed: BigInt(r.gas_used),
      effectiveGasPrice: BigInt(r.effective_gas_price),
      status: r.status === 1 ? 1 : 0,
      type: r.tx_type,
      logsBloom: hex(r.logs_bloom),
      logs: logsByTx.get(hex(r.tx_hash)) ?? [],
    }));
  }
}

function toLog(r: LogRow): StoredLog {
  return {
    address: hex(r.address),
    topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t): t is Buffer => t !== null).map(hex),
    data: hex(r.data),
    blockNumber: BigInt(r.block_number),
    blockHash: hex(r.block_hash),
    transactionHash: hex(r.tx_hash),
    transactionIndex: r.tx_index,
    logIndex: r.log_index,
  };
}

function toMint(r: MintRow): MintRecord {
  return {
    depositId: r.deposit_id,
    recipient: hex(r.recipient),
    amountSats: BigInt(r.amount_sats),
    blockNumber: BigInt(r.block_number),
    blockHash: hex(r.block_hash),
    withdrawalIndex: BigInt(r.withdrawal_index),
  };
}
