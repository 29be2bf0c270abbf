// One finality rule: what the withdrawal finalizer publishes, what engine.finalizedWithdrawals returns and what JSON-RPC
// calls "finalized" (and "safe") are the same blocks at every head, including below the finality depth.
import { fileURLToPath } from 'node:url';
import { migrate } from '@tapbridge/db';
import {
  BRIDGE_ABI, BRIDGE_ADDRESS, devChainConfig, EvmEngine, finalizedBlockNumber, MemoryChainStore, startJsonRpcServer, WEI_PER_SAT,
  type JsonRpcServer,
} from '@tapbridge/evm';
import { qualified, withTransaction } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { Interface, Transaction, Wallet } from 'ethers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WithdrawalFinalizer } from '../src/withdrawals/withdrawal-finalizer.js';

const SCHEMA = 'evm_gateway';
const DEPTH = 3n;
const burner = new Wallet(`0x${'be11'.padStart(64, '0')}`);
const P2WPKH = `0x0014${'cd'.repeat(20)}`;

describe('EVM finality: finalizer, engine and JSON-RPC agree at every head', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let engine: EvmEngine;
  let rpc: JsonRpcServer;
  let finalizer: WithdrawalFinalizer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const config = devChainConfig({ alloc: new Map([[burner.address.toLowerCase(), { balance: 10n ** 18n, nonce: 0n }]]) });
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config, autoMine: false });
    rpc = await startJsonRpcServer({ engine, port: 0, host: '127.0.0.1', rpc: { safeDepth: DEPTH, finalizedDepth: DEPTH } });
    finalizer = new WithdrawalFinalizer({
      engine, schema: SCHEMA, transaction: (fn) => withTransaction(pool, fn), logger: createLogger('finality-test'), finalityDepth: DEPTH,
    });
  });
  afterAll(async () => {
    await rpc?.close();
    await engine?.close();
    await pool?.end();
    await db?.drop();
  });

  const rpcBlockNumber = async (tag: 'finalized' | 'safe'): Promise<bigint> => {
    const res = await fetch(rpc.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [tag, false] }) });
    const body = (await res.json()) as { result: { number: string } };
    return BigInt(body.result.number);
  };
  const published = async () => (await pool.query<{ withdrawal_id: string }>(`SELECT withdrawal_id FROM ${qualified(SCHEMA, 'final_withdrawal')} ORDER BY withdrawal_id`)).rows.map((r) => r.withdrawal_id);
  const scannedThrough = async () => BigInt((await pool.query<{ next_block: string }>(`SELECT next_block FROM ${qualified(SCHEMA, 'withdrawal_scan')}`)).rows[0]!.next_block) - 1n;

  async function burn(nonce: number): Promise<void> {
    const data = new Interface(BRIDGE_ABI).encodeFunctionData('withdraw', [P2WPKH, 1_000n]);
    const tx = Transaction.from({ type: 2, chainId: engine.chainId, nonce, to: BRIDGE_ADDRESS, value: 10_000n * WEI_PER_SAT, data, gasLimit: 200_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 0n });
    tx.signature = burner.signingKey.sign(tx.unsignedHash);
    await engine.sendRawTransaction(Buffer.from(tx.serialized.slice(2), 'hex'));
  }

  it('below, at and past the finality depth: the same final block, the same burns', async () => {
    const burnBlocks: bigint[] = [];
    // Head 0 (genesis only) up to head 7; burns in blocks 1 and 4.
    for (let head = 0n; head <= 7n; head++) {
      if (head > 0n) {
        if (head === 1n || head === 4n) await burn(burnBlocks.length);
        const block = await engine.produceBlock();
        if (block.block.transactions.length > 0) burnBlocks.push(head);
      }
      expect(engine.headNumber).toBe(head);
      const rule = finalizedBlockNumber(head, DEPTH);
      await finalizer.finalizeAll();
      const fromEngine = (await engine.finalizedWithdrawals(DEPTH)).map((w) => w.blockNumber);
      const expectedBurns = burnBlocks.filter((b) => b <= rule);

      expect(await rpcBlockNumber('finalized'), `head ${head}: JSON-RPC "finalized"`).toBe(rule);
      expect(await rpcBlockNumber('safe'), `head ${head}: JSON-RPC "safe"`).toBe(rule);
      expect(await scannedThrough(), `head ${head}: the finalizer scanned through`).toBe(rule);
      expect(fromEngine, `head ${head}: engine.finalizedWithdrawals`).toEqual(expectedBurns);
      expect((await published()).length, `head ${head}: burns the finalizer published`).toBe(expectedBurns.length);
    }
    expect(burnBlocks).toEqual([1n, 4n]);
    // Below the depth (heads 0..2) nothing but genesis was final, and no burn was published early.
    expect(finalizedBlockNumber(2n, DEPTH)).toBe(0n);
    expect(await published()).toEqual(['0', '1']);
  });
});
