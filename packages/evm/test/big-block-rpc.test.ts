// A block of 1,000 transactions, each emitting a log, produced over the Postgres store: its receipts and logs are
// served over JSON-RPC (HTTP) as soon as the block is committed, complete and in order.
import { Interface, Transaction, type InterfaceAbi } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ABI, BRIDGE_ADDRESS, EvmEngine, PostgresChainStore, startJsonRpcServer, type JsonRpcServer } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';
import { createTestSchema, postgresReachable, type TestSchema } from './support/postgres.js';

const reachable = await postgresReachable();
if (!reachable) console.warn('Postgres at TEST_DATABASE_URL / 127.0.0.1:5432 is not reachable: skipping the 1,000-transaction block test');

const SENDERS = 250;
const PER_SENDER = 4;

async function rpc(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

async function call<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const reply = (await rpc(url, { jsonrpc: '2.0', id: 1, method, params })) as { result?: T; error?: { message: string } };
  if (reply.error !== undefined) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result as T;
}

describe.skipIf(!reachable)('a 1,000-transaction block over JSON-RPC with the Postgres store', () => {
  let db: TestSchema;
  let engine: EvmEngine;
  let server: JsonRpcServer;
  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => {
    await server?.close();
    await engine?.close();
    await db?.drop();
  });

  it('serves every receipt and log of the block right after the commit', async () => {
    const wallets = testWallets(SENDERS);
    const config = fundedConfig(wallets, 10n ** 20n, { blockGasLimit: 200_000_000n });
    engine = await EvmEngine.open({ store: new PostgresChainStore(db.pool, db.schema), config, autoMine: false });
    server = await startJsonRpcServer({ engine, port: 0 });
    const bridge = new Interface(BRIDGE_ABI as unknown as InterfaceAbi);
    const maxFeePerGas = engine.pendingBaseFee() * 2n;
    const raw: string[] = [];
    for (let nonce = 0; nonce < PER_SENDER; nonce++) {
      for (const [i, w] of wallets.entries()) {
        const script = `0x0014${(i * PER_SENDER + nonce).toString(16).padStart(40, '0')}`;
        raw.push(
          await w.signTransaction(
            Transaction.from({
              type: 2, chainId: engine.chainId, nonce, to: BRIDGE_ADDRESS, value: 10n ** 14n, gasLimit: 150_000n, maxFeePerGas, maxPriorityFeePerGas: 1n,
              data: bridge.encodeFunctionData('withdraw', [script, 100n]),
            }),
          ),
        );
      }
    }
    for (let i = 0; i < raw.length; i += 250) {
      const replies = (await rpc(server.url, raw.slice(i, i + 250).map((tx, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [tx] })))) as { error?: unknown }[];
      expect(replies.filter((r) => r.error !== undefined)).toEqual([]);
    }
    const { block } = await engine.produceBlock();
    expect(block.transactions).toHaveLength(SENDERS * PER_SENDER);

    const receipts = await call<{ transactionHash: string; status: string; logs: { logIndex: string; transactionIndex: string }[] }[]>(server.url, 'eth_getBlockReceipts', ['0x1']);
    expect(receipts).toHaveLength(1_000);
    expect(receipts.every((r) => r.status === '0x1' && r.logs.length === 1)).toBe(true);
    expect(receipts.map((r) => Number(r.logs[0]!.logIndex))).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(receipts.map((r) => r.transactionHash)).toEqual(block.transactions.map((tx) => `0x${Buffer.from(tx.hash()).toString('hex')}`));

    const logs = await call<{ transactionHash: string; logIndex: string; blockNumber: string }[]>(server.url, 'eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x1', address: BRIDGE_ADDRESS }]);
    expect(logs).toHaveLength(1_000);
    expect(logs.map((l) => l.transactionHash)).toEqual(receipts.map((r) => r.transactionHash));

    const last = await call<{ blockNumber: string; transactionIndex: string } | null>(server.url, 'eth_getTransactionReceipt', [receipts[999]!.transactionHash]);
    expect(last).toMatchObject({ blockNumber: '0x1', transactionIndex: '0x3e7' });
  });
});
