/**
 * The stake ledger in Postgres (packages/stake's StakeLedger): ledger_tx + ledger_posting are append-only (triggers
 * refuse UPDATE/DELETE/TRUNCATE), ledger_balance is derived from the postings in the same transaction, its rows are
 * locked in lockOrder (account, asset in byte order) so writers never deadlock, and internal accounts carry
 * CHECK (balance >= 0). Raw SQL here on purpose: the id claim is an ON CONFLICT, the balance rows are taken with
 * FOR UPDATE in a fixed order, and the postings go in as one unnest insert; Prisma expresses none of these.
 */
import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '@tapbridge/messaging';
import { balanceKey, checkTransaction, LedgerError, sameContent, type Asset, type LedgerSource, type LedgerTransaction, type Posting, type StakeLedger } from '@tapbridge/stake';

type Queryable = Pick<PoolClient, 'query'>;

export class PostgresLedger implements StakeLedger {
  readonly #t: (table: string) => string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema ${JSON.stringify(schema)}`);
    this.#t = (table) => `"${schema}"."${table}"`;
  }

  /** Posts in its own transaction. */
  post(tx: LedgerTransaction): Promise<'applied' | 'duplicate'> {
    return withTransaction(this.pool, (client) => this.postIn(client, tx));
  }

  /**
   * Posts inside the caller's transaction (the indexer commits a block's entries with its cursor). A LedgerError
   * leaves the transaction usable only for rollback when it comes from Postgres; those thrown here come before any
   * write that could fail.
   */
  async postIn(client: Queryable, tx: LedgerTransaction): Promise<'applied' | 'duplicate'> {
    const postings = checkTransaction(tx);
    const s = tx.source;
    const claimed = await client.query(
      `INSERT INTO ${this.#t('ledger_tx')} (id, source_kind, block_hash, log_index, evidence_id_hash, evidence_id, epoch)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING seq`,
      [
        tx.id,
        s.kind,
        s.kind === 'l2_log' ? s.blockHash.toLowerCase() : null,
        s.kind === 'l2_log' ? s.logIndex : null,
        s.kind === 'l2_log' ? (s.evidenceIdHash?.toLowerCase() ?? null) : null,
        s.kind === 'evidence' ? s.evidenceId : null,
        s.kind === 'reward' ? s.epoch : null,
      ],
    );
    if (claimed.rowCount === 0) {
      const existing = await this.transactionIn(client, tx.id);
      if (existing === null || !sameContent(existing, tx)) throw new LedgerError(`${tx.id} was already recorded with different postings`);
      return 'duplicate';
    }
    const accounts = postings.map((p) => p.account);
    const assets = postings.map((p) => p.asset);
    // Rows exist before they are locked; both statements walk the pairs in lock order (checkTransaction sorted them).
    await client.query(
      `INSERT INTO ${this.#t('ledger_balance')} (account, asset) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [accounts, assets],
    );
    const locked = await client.query<{ account: string; asset: string; balance: string }>(
      `SELECT account, asset, balance FROM ${this.#t('ledger_balance')} WHERE (account, asset) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY account COLLATE "C", asset COLLATE "C" FOR UPDATE`,
      [accounts, assets],
    );
    const before = new Map(locked.rows.map((r) => [balanceKey(r.account, r.asset as Asset), BigInt(r.balance)]));
    for (const p of postings) {
      const after = (before.get(balanceKey(p.account, p.asset)) ?? 0n) + p.amount;
      if (after < 0n && !p.account.startsWith('external:')) throw new LedgerError(`${tx.id}: ${p.account} would hold ${after} ${p.asset}`);
    }
    const amounts = postings.map((p) => p.amount.toString());
    await client.query(
      `INSERT INTO ${this.#t('ledger_posting')} (tx_id, account, asset, amount) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::numeric[])`,
      [tx.id, accounts, assets, amounts],
    );
    await client.query(
      `UPDATE ${this.#t('ledger_balance')} b SET balance = b.balance + d.amount
       FROM unnest($1::text[], $2::text[], $3::numeric[]) AS d(account, asset, amount) WHERE b.account = d.account AND b.asset = d.asset`,
      [accounts, assets, amounts],
    );
    return 'applied';
  }

  async balance(account: string, asset: Asset, client: Queryable = this.pool): Promise<bigint> {
    const r = await client.query<{ balance: string }>(`SELECT balance FROM ${this.#t('ledger_balance')} WHERE account = $1 AND asset = $2`, [account, asset]);
    return r.rows[0] ? BigInt(r.rows[0].balance) : 0n;
  }

  async has(id: string): Promise<boolean> {
    const r = await this.pool.query(`SELECT 1 FROM ${this.#t('ledger_tx')} WHERE id = $1`, [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async transaction(id: string): Promise<LedgerTransaction | null> {
    return this.transactionIn(this.pool, id);
  }

  private async transactionIn(client: Queryable, id: string): Promise<LedgerTransaction | null> {
    const head = await client.query<{ source_kind: string; block_hash: string | null; log_index: number | null; evidence_id_hash: string | null; evidence_id: string | null; epoch: number | null }>(
      `SELECT source_kind, block_hash, log_index, evidence_id_hash, evidence_id, epoch FROM ${this.#t('ledger_tx')} WHERE id = $1`,
      [id],
    );
    const row = head.rows[0];
    if (row === undefined) return null;
    const rows = await client.query<{ account: string; asset: Asset; amount: string }>(
      `SELECT account, asset, amount FROM ${this.#t('ledger_posting')} WHERE tx_id = $1 ORDER BY account COLLATE "C", asset COLLATE "C"`,
      [id],
    );
    const source: LedgerSource =
      row.source_kind === 'l2_log'
        ? { kind: 'l2_log', blockHash: row.block_hash!, logIndex: row.log_index!, ...(row.evidence_id_hash ? { evidenceIdHash: row.evidence_id_hash } : {}) }
        : row.source_kind === 'evidence'
          ? { kind: 'evidence', evidenceId: row.evidence_id! }
          : { kind: 'reward', epoch: row.epoch! };
    const postings: Posting[] = rows.rows.map((p) => ({ account: p.account, asset: p.asset, amount: BigInt(p.amount) }));
    return { id, source, postings };
  }

  async derivedBalances(): Promise<Map<string, bigint>> {
    const r = await this.pool.query<{ account: string; asset: Asset; total: string }>(
      `SELECT account, asset, SUM(amount)::text AS total FROM ${this.#t('ledger_posting')} GROUP BY account, asset HAVING SUM(amount) <> 0`,
    );
    return new Map(r.rows.map((row) => [balanceKey(row.account, row.asset), BigInt(row.total)]));
  }

  async cachedBalances(): Promise<Map<string, bigint>> {
    const r = await this.pool.query<{ account: string; asset: Asset; balance: string }>(`SELECT account, asset, balance::text FROM ${this.#t('ledger_balance')} WHERE balance <> 0`);
    return new Map(r.rows.map((row) => [balanceKey(row.account, row.asset), BigInt(row.balance)]));
  }
}
