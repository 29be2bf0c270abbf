import { Interface, Transaction, type InterfaceAbi, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRIDGE_ABI, BRIDGE_ADDRESS, EvmEngine, fromHex, MemoryChainStore, PostgresChainStore, WEI_PER_SAT, WITHDRAWAL_REQUESTED_TOPIC,
  type ChainStore, type LogFilter,
} from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';
import { createTestSchema, postgresReachable, type TestSchema } from './support/postgres.js';

const reachable = await postgresReachable();
const [alice, bob] = testWallets(2) as [Wallet, Wallet];
const bridge = new Interface(BRIDGE_ABI as unknown as InterfaceAbi);
const SCRIPTS = [`0x0014${'11'.repeat(20)}`, `0x5120${'22'.repeat(32)}`, `0xa914${'33'.repeat(20)}87`];

/** The same three blocks of withdrawals and a mint, on any store. */
async function buildChain(store: ChainStore): Promise<EvmEngine> {
  // A frozen clock: block timestamps (and so hashes) must not depend on when each chain was built.
  const engine = await EvmEngine.open({ store, config: fundedConfig([alice, bob]), autoMine: false, now: () => 1_800_000_000_000 });
  const nonces = new Map<string, number>();
  for (const [i, script] of SCRIPTS.entries()) {
    for (const wallet of [alice, bob]) {
      const nonce = nonces.get(wallet.address) ?? 0;
      nonces.set(wallet.address, nonce + 1);
      const tx = Transaction.from({
        type: 2, chainId: engine.chainId, nonce, to: BRIDGE_ADDRESS, data: bridge.encodeFunctionData('withdraw', [script, 10n]),
        value: BigInt(1_000 + i) * WEI_PER_SAT, gasLimit: 200_000n, maxFeePerGas: engine.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n,
      });
      await engine.sendRawTransaction(fromHex(await wallet.signTransaction(tx)));
    }
    if (i === 1) await engine.queueMint({ depositId: `parity-${i}`, recipient: bob.address, amountSats: 777n });
    await engine.produceBlock();
  }
  return engine;
}

const topicOf = (address: string) => `0x${address.slice(2).toLowerCase().padStart(64, '0')}`;

describe.skipIf(!reachable)('PostgresChainStore answers exactly as MemoryChainStore', () => {
  let db: TestSchema;
  let memory: EvmEngine;
  let postgres: EvmEngine;
  beforeAll(async () => {
    db = await createTestSchema();
    memory = await buildChain(new MemoryChainStore());
    postgres = await buildChain(new PostgresChainStore(db.pool, db.schema));
  });
  afterAll(async () => {
    await memory?.close();
    await postgres?.close();
    await db?.drop();
  });

  it('builds the identical chain (same block hashes)', async () => {
    for (let n = 0n; n <= 3n; n++) {
      expect((await postgres.getBlockByNumber(n))?.hash()).toEqual((await memory.getBlockByNumber(n))?.hash());
    }
  });

  it('filters logs by range, address and topics identically', async () => {
    const filters: LogFilter[] = [
      { fromBlock: 0n, toBlock: 3n },
      { fromBlock: 2n, toBlock: 2n },
      { fromBlock: 0n, toBlock: 3n, addresses: [BRIDGE_ADDRESS.toLowerCase()] },
      { fromBlock: 0n, toBlock: 3n, addresses: [bob.address.toLowerCase()] },
      { fromBlock: 0n, toBlock: 3n, topics: [[WITHDRAWAL_REQUESTED_TOPIC], null, [topicOf(bob.address)]] },
      { fromBlock: 0n, toBlock: 3n, topics: [null, [`0x${'0'.repeat(63)}1`, `0x${'0'.repeat(63)}4`]] },
      { fromBlock: 0n, toBlock: 3n, topics: [[`0x${'ee'.repeat(32)}`]] },
      { fromBlock: 0n, toBlock: 3n, limit: 2 },
    ];
    const expectedCounts = [6, 2, 6, 0, 3, 2, 0, 2];
    for (const [i, filter] of filters.entries()) {
      const fromMemory = await memory.getLogs(filter);
      expect(await postgres.getLogs(filter)).toEqual(fromMemory);
      expect(fromMemory).toHaveLength(expectedCounts[i]!);
    }
  });

  it('serves receipts, transactions, mints and withdrawal requests identically', async () => {
    for (let n = 1n; n <= 3n; n++) expect(await postgres.getBlockReceipts(n)).toEqual(await memory.getBlockReceipts(n));
    const block = (await memory.getBlockByNumber(2n))!;
    const hash = `0x${Buffer.from(block.transactions[1]!.hash()).toString('hex')}`;
    expect(await postgres.getTransaction(hash)).toEqual(await memory.getTransaction(hash));
    expect(await postgres.getReceipt(hash)).toEqual(await memory.getReceipt(hash));
    expect(await postgres.getMint('parity-1')).toEqual(await memory.getMint('parity-1'));
    const requests = await postgres.withdrawalRequests(0n, 3n);
    expect(requests).toEqual(await memory.withdrawalRequests(0n, 3n));
    expect(requests.map((r) => r.id)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(requests.map((r) => r.btcScriptPubKey)).toEqual(SCRIPTS.flatMap((s) => [s.slice(2), s.slice(2)]));
  });
});
