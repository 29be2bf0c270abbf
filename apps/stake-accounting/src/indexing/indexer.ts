/**
 * Indexes the staking contract's logs from the L2 up to its "finalized" block into staking_log and the ledger.
 * Each batch (a block range) commits its logs, their ledger transactions and the cursor in ONE Postgres transaction,
 * so a crash at any point replays from the last committed block and changes nothing (ledger ids come from the logs:
 * a replayed log is a duplicate). Only finalized blocks are read, so there is nothing to unwind; if the node's hash
 * at the cursor ever differs from the stored one, indexing stops and says so rather than guess.
 */
import { STAKING_ADDRESS } from '@tapbridge/evm';
import type { Logger } from '@tapbridge/observability';
import { applyStakingEvent, stakingEventTransaction, type StakeBook, type StakingEvent } from '@tapbridge/stake';
import type { Pool } from 'pg';
import { withTransaction } from '@tapbridge/messaging';
import type { PostgresLedger } from '../ledger/postgres-ledger.js';
import type { L2Client, RpcLog } from './l2-client.js';
import { decodeStakingLog, eventFromJson, eventToJson } from './staking-logs.js';
import type { StakeState } from './stake-state.js';

export class IndexerHaltedError extends Error {
  override readonly name = 'IndexerHaltedError';
}

export interface IndexerOptions {
  pool: Pool;
  schema: string;
  l2: L2Client;
  ledger: PostgresLedger;
  state: StakeState;
  logger: Logger;
  batchBlocks: number;
  /** Test hook: called inside the batch transaction after every write, before commit. */
  beforeCommit?: () => Promise<void>;
}

export class StakeIndexer {
  constructor(private readonly o: IndexerOptions) {}

  private t(table: string): string {
    return `"${this.o.schema}"."${table}"`;
  }

  /** Rebuilds the state from the tables (start-up). */
  async load(): Promise<void> {
    const [logs, slashes, cursor] = await Promise.all([
      this.o.pool.query<{ fields: Record<string, unknown> }>(`SELECT fields FROM ${this.t('staking_log')} ORDER BY block_number, log_index`),
      this.o.pool.query<{ signer: string; jailed_until_epoch: number; evidence_id_hash: string; debits: Array<{ kind: 'self' | 'delegation' | 'unbonding'; owner: string; unbondingId?: string; amount: string }> }>(
        `SELECT signer, jailed_until_epoch, evidence_id_hash, debits FROM ${this.t('slash')} ORDER BY created_at`,
      ),
      this.o.pool.query<{ block_number: string; block_hash: string }>(`SELECT block_number, block_hash FROM ${this.t('index_cursor')} WHERE id = 1`),
    ]);
    const c = cursor.rows[0];
    this.o.state.load(
      logs.rows.map((r) => eventFromJson(r.fields)),
      slashes.rows.map((r) => ({ signer: r.signer, jailedUntilEpoch: r.jailed_until_epoch })),
      c ? { blockNumber: BigInt(c.block_number), blockHash: c.block_hash } : null,
      slashes.rows.map((r) => ({
        evidenceIdHash: r.evidence_id_hash,
        signer: r.signer,
        debits: r.debits.map((d) => ({ kind: d.kind, owner: d.owner, amount: BigInt(d.amount), ...(d.unbondingId !== undefined ? { unbondingId: BigInt(d.unbondingId) } : {}) })),
      })),
    );
  }

  /** Indexes one batch; returns the blocks indexed (0 when caught up with the finalized block). */
  async step(): Promise<number> {
    const finalized = await this.o.l2.finalizedBlock();
    const cursor = this.o.state.cursor;
    if (cursor !== null) {
      if (cursor.blockNumber > finalized.number) throw new IndexerHaltedError(`indexed up to block ${cursor.blockNumber} but the node's finalized block is ${finalized.number}: a different or reset L2`);
      const hash = cursor.blockNumber === finalized.number ? finalized.hash : await this.o.l2.blockHash(cursor.blockNumber);
      if (hash !== cursor.blockHash) throw new IndexerHaltedError(`block ${cursor.blockNumber} was ${cursor.blockHash} when indexed, the node now says ${hash}: a finalized block changed`);
    }
    const from = cursor === null ? 0n : cursor.blockNumber + 1n;
    if (from > finalized.number) return 0;
    const last = from + BigInt(this.o.batchBlocks) - 1n;
    const to = last < finalized.number ? last : finalized.number;
    const [logs, toHash] = await Promise.all([this.o.l2.logs(STAKING_ADDRESS, from, to), to === finalized.number ? finalized.hash : this.o.l2.blockHash(to)]);
    const ordered = [...logs].filter((l) => l.removed !== true).sort(byChainOrder);
    let book: StakeBook = this.o.state.indexed;
    const decoded: Array<{ log: RpcLog; event: StakingEvent }> = [];
    for (const log of ordered) {
      if (log.address.toLowerCase() !== STAKING_ADDRESS.toLowerCase()) continue;
      const event = decodeStakingLog(log);
      if (event === null) continue;
      book = applyStakingEvent(book, event);
      decoded.push({ log, event });
    }
    await withTransaction(this.o.pool, async (tx) => {
      // One indexer at a time per schema (a second replica waits here, then sees the cursor moved and writes nothing new).
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`stake-indexer:${this.o.schema}`]);
      const stored = await tx.query<{ block_number: string }>(`SELECT block_number FROM ${this.t('index_cursor')} WHERE id = 1`);
      const storedNumber = stored.rows[0] ? BigInt(stored.rows[0].block_number) : -1n;
      if (storedNumber !== from - 1n) throw new IndexerHaltedError(`cursor moved under us (stored ${storedNumber}, expected ${from - 1n}); reload`);
      for (const { log, event } of decoded) {
        const blockHash = log.blockHash.toLowerCase();
        const logIndex = Number(BigInt(log.logIndex));
        // Raw SQL: the log row commits in the same pg transaction as its ledger entries and the cursor.
        await tx.query(
          `INSERT INTO ${this.t('staking_log')} (block_number, log_index, block_hash, tx_hash, event, fields) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
          [BigInt(log.blockNumber).toString(), logIndex, blockHash, log.transactionHash.toLowerCase(), event.type, JSON.stringify(eventToJson(event))],
        );
        const entry = stakingEventTransaction({ blockHash, logIndex }, event);
        if (entry !== null) await this.o.ledger.postIn(tx, entry);
      }
      await tx.query(
        `INSERT INTO ${this.t('index_cursor')} (id, block_number, block_hash, updated_at) VALUES (1, $1, $2, now())
         ON CONFLICT (id) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = now()`,
        [to.toString(), toHash],
      );
      await this.o.beforeCommit?.();
    });
    this.o.state.advance(book, { blockNumber: to, blockHash: toHash }, decoded.map((d) => d.event));
    if (decoded.length > 0) this.o.logger.info({ from: from.toString(), to: to.toString(), logs: decoded.length }, 'staking logs indexed');
    return Number(to - from + 1n);
  }

  /** Indexes until caught up with the finalized block. */
  async catchUp(): Promise<void> {
    while ((await this.step()) > 0);
  }
}

function byChainOrder(a: RpcLog, b: RpcLog): number {
  const d = BigInt(a.blockNumber) - BigInt(b.blockNumber);
  if (d !== 0n) return d < 0n ? -1 : 1;
  return Number(BigInt(a.logIndex) - BigInt(b.logIndex));
}
