// The indexer against a real L2 (engine + JSON-RPC, "finalized" = head − 2) and real Postgres: stakers bond,
// delegate and unbond from ordinary wallets; the ledger's stake accounts equal the contract's positions; only
// finalized blocks are read; a crash inside a batch (after every write, before commit) leaves nothing, and a new
// indexer started from the tables replays to exactly the same ledger as one that never crashed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tapbridge/db';
import { STAKE_TOKEN_ADDRESS, STAKING_ADDRESS } from '@tapbridge/evm';
import { createLogger } from '@tapbridge/observability';
import { accounts, collateralStake } from '@tapbridge/stake';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { StakeIndexer } from '../src/indexing/indexer.js';
import { L2Client } from '../src/indexing/l2-client.js';
import { StakeState } from '../src/indexing/stake-state.js';
import { PostgresLedger } from '../src/ledger/postgres-ledger.js';
import { hostKey, staking, TestL2, token, TOKEN, wallets } from './support/l2.js';

const migrationsDir = path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url)));
const logger = createLogger('stake-indexer-test', { level: 'silent' });
let db: TestDatabase;
let pool: pg.Pool;
let l2: TestL2;
let n = 0;
const [s1, s2, d1, d2] = wallets as [(typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0]];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  l2 = await TestL2.start(2n);
  await l2.bond(s1, 100_000n * TOKEN, hostKey(1));
  await l2.mine();
  await l2.bond(s2, 50_000n * TOKEN, hostKey(2));
  await l2.delegate(d1, s1, 3_000n * TOKEN);
  await l2.mine();
  await l2.delegate(d2, s1, 2_000n * TOKEN);
  await l2.delegate(d1, s2, 1_000n * TOKEN);
  await l2.mine();
  await l2.send(d1, STAKING_ADDRESS, staking, 'undelegate', [s1.address, 500n * TOKEN]);
  await l2.send(s2, STAKING_ADDRESS, staking, 'unbond', [10_000n * TOKEN]);
  await l2.mine();
  await l2.mine(2); // the last staking block becomes final
}, 120_000);
afterAll(async () => {
  await l2?.stop();
  await pool?.end();
  await db?.drop();
});

async function indexer(o: { batchBlocks?: number; beforeCommit?: () => Promise<void> } = {}): Promise<{ indexer: StakeIndexer; state: StakeState; ledger: PostgresLedger; schema: string }> {
  const schema = `stake_idx_${++n}`;
  await migrate({ databaseUrl: db.url, schema, migrationsDir });
  return open(schema, o);
}

async function open(schema: string, o: { batchBlocks?: number; beforeCommit?: () => Promise<void> } = {}) {
  const state = new StakeState();
  const ledger = new PostgresLedger(pool, schema);
  const idx = new StakeIndexer({ pool, schema, l2: new L2Client(l2.url), ledger, state, logger, batchBlocks: o.batchBlocks ?? 1_000, ...(o.beforeCommit ? { beforeCommit: o.beforeCommit } : {}) });
  await idx.load();
  return { indexer: idx, state, ledger, schema };
}

describe('StakeIndexer', () => {
  it('indexes finalized staking logs into a ledger that matches the contract', async () => {
    const { indexer: idx, state, ledger } = await indexer();
    await idx.catchUp();
    const book = state.indexed;
    expect(book.signers.get(s1.address.toLowerCase())?.selfBond).toBe(100_000n * TOKEN);
    expect(book.signers.get(s1.address.toLowerCase())?.hostPubkey).toBe(hostKey(1).slice(2));
    for (const s of [s1, s2]) {
      const [, selfBond, delegated] = await l2.view(staking, STAKING_ADDRESS, 'signerInfo', [s.address]);
      const addr = s.address.toLowerCase();
      expect(await ledger.balance(accounts.bond(addr), 'STAKE')).toBe(selfBond);
      let ledgerDelegated = 0n;
      for (const d of book.delegations.values()) if (d.signer === addr) ledgerDelegated += await ledger.balance(accounts.delegation(addr, d.delegator), 'STAKE');
      expect(ledgerDelegated).toBe(delegated);
    }
    // Everything the staking contract holds is in the ledger's internal stake accounts.
    const [held] = await l2.view(token, STAKE_TOKEN_ADDRESS, 'balanceOf', [STAKING_ADDRESS]);
    expect(collateralStake(book)).toBe(held);
    const wallets = await ledger.balance(accounts.wallets, 'STAKE');
    expect(-wallets).toBe(held);
    expect(await ledger.cachedBalances()).toEqual(await ledger.derivedBalances());
    expect(state.cursor?.blockNumber).toBe(l2.engine.headNumber - 2n);
  });

  it('reads nothing past the finalized block', async () => {
    const { indexer: idx, state } = await indexer();
    await idx.catchUp();
    await l2.bond(d2, 5_000n * TOKEN, hostKey(9));
    await l2.mine(); // in the head block, not final
    expect(await idx.step()).toBe(1);
    expect(state.indexed.signers.has(d2.address.toLowerCase())).toBe(false);
    await l2.mine(2);
    await idx.catchUp();
    expect(state.indexed.signers.has(d2.address.toLowerCase())).toBe(true);
  });

  it('after a crash inside a batch, a restarted indexer replays to the same ledger; replaying again changes nothing', async () => {
    const reference = await indexer({ batchBlocks: 2 });
    await reference.indexer.catchUp();

    let batches = 0;
    const crashing = await indexer({
      batchBlocks: 2,
      beforeCommit: async () => {
        if (++batches === 3) throw new Error('killed before commit');
      },
    });
    await expect(crashing.indexer.catchUp()).rejects.toThrow('killed before commit');
    const cursorAfterCrash = (await pool.query(`SELECT block_number FROM ${crashing.schema}.index_cursor`)).rows[0]?.block_number;
    expect(cursorAfterCrash).toBe('3'); // two batches of 2 blocks (0-1, 2-3) committed, the third left nothing

    const restarted = await open(crashing.schema, { batchBlocks: 2 });
    await restarted.indexer.catchUp();
    expect(await restarted.ledger.cachedBalances()).toEqual(await reference.ledger.cachedBalances());
    const entries = async (schema: string) => (await pool.query(`SELECT id FROM ${schema}.ledger_tx ORDER BY seq`)).rows.map((r) => r.id);
    expect(await entries(crashing.schema)).toEqual(await entries(reference.schema));

    // Another indexer opened on the same tables finds everything committed and adds nothing.
    const again = await open(crashing.schema, { batchBlocks: 2 });
    await again.indexer.catchUp();
    expect(await entries(crashing.schema)).toEqual(await entries(reference.schema));
  });
});
