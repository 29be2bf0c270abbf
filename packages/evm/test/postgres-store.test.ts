import { Transaction, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainStoreError, EvmEngine, fromHex, PostgresChainStore, toHex, WEI_PER_SAT, type ChainConfig } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';
import { createTestSchema, poolFailingNextCommit, poolLosingNextCommitAck, postgresReachable, type TestSchema } from './support/postgres.js';

const reachable = await postgresReachable();
if (!reachable) console.warn('Postgres at TEST_DATABASE_URL / 127.0.0.1:5432 is not reachable: skipping PostgresChainStore tests');

const [alice, bob] = testWallets(2) as [Wallet, Wallet];

async function transfer(engine: EvmEngine, nonce: number, value: bigint): Promise<Uint8Array> {
  const signed = await alice.signTransaction(
    Transaction.from({ type: 2, chainId: engine.chainId, nonce, to: bob.address, value, gasLimit: 21_000n, maxFeePerGas: engine.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n }),
  );
  return fromHex(signed);
}

describe.skipIf(!reachable)('PostgresChainStore with the engine', () => {
  let db: TestSchema;
  let config: ChainConfig;
  beforeAll(async () => {
    db = await createTestSchema();
    config = fundedConfig([alice]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('survives a failed commit and a restart: same head and state root, nothing minted twice, nothing lost', async () => {
    const store = new PostgresChainStore(db.pool, db.schema);
    const first = await EvmEngine.open({ store, config, autoMine: false });
    const deposit = { depositId: `${'11'.repeat(32)}:1`, recipient: bob.address, amountSats: 50_000n };
    const minted = await first.queueMint(deposit);
    await first.sendRawTransaction(await transfer(first, 0, 7n * WEI_PER_SAT));
    const committed = await first.produceBlock();
    expect(minted.status).toBe('queued');
    if (minted.status !== 'already-minted') expect((await minted.committed).blockNumber).toBe(1n);
    const rootAfterBlock1 = toHex(committed.block.header.stateRoot);
    await first.close();

    // Second life: the commit of block 2 dies at COMMIT. Nothing of it may persist.
    const failing = poolFailingNextCommit(db.pool);
    const second = await EvmEngine.open({ store: new PostgresChainStore(failing.pool, db.schema), config, autoMine: false });
    expect(second.headNumber).toBe(1n);
    expect(toHex(second.head.header.stateRoot)).toBe(rootAfterBlock1);
    const deposit2 = { depositId: `${'22'.repeat(32)}:0`, recipient: bob.address, amountSats: 70_000n };
    await second.queueMint(deposit2);
    await second.sendRawTransaction(await transfer(second, 1, 3n * WEI_PER_SAT));
    await expect(second.produceBlock()).rejects.toThrow(ChainStoreError);
    expect(failing.armed()).toBe(false);
    expect(second.headNumber).toBe(1n);
    // The engine's own view was reset too: reads still show block 1's state.
    expect(await second.getBalance(bob.address)).toBe(7n * WEI_PER_SAT + 50_000n * WEI_PER_SAT);
    await second.close(); // abandoned with the mint and the transfer still pending

    // Third life: the upstream redelivers both deposits; the first is already minted, the second was lost with the crash.
    const third = await EvmEngine.open({ store: new PostgresChainStore(db.pool, db.schema), config, autoMine: false });
    expect(third.headNumber).toBe(1n);
    expect(toHex(third.head.header.stateRoot)).toBe(rootAfterBlock1);
    expect((await third.queueMint(deposit)).status).toBe('already-minted');
    expect((await third.queueMint(deposit2)).status).toBe('queued');
    await third.sendRawTransaction(await transfer(third, 1, 3n * WEI_PER_SAT));
    const block2 = await third.produceBlock();
    expect(block2.block.header.number).toBe(2n);
    expect(block2.mints.map((m) => m.depositId)).toEqual([deposit2.depositId]);
    expect(await third.getBalance(bob.address)).toBe((7n + 3n + 50_000n + 70_000n) * WEI_PER_SAT);
    const root2 = toHex(block2.block.header.stateRoot);
    await third.close();

    // Fourth life: reopens at block 2 with the same root and serves receipts and history from Postgres.
    const fourth = await EvmEngine.open({ store: new PostgresChainStore(db.pool, db.schema), config, autoMine: false });
    expect(fourth.headNumber).toBe(2n);
    expect(toHex(fourth.head.header.stateRoot)).toBe(root2);
    expect(await fourth.getBalance(bob.address, 1n)).toBe((7n + 50_000n) * WEI_PER_SAT);
    const receipt = await fourth.getReceipt(toHex(block2.block.transactions[0]!.hash()));
    expect(receipt?.status).toBe(1);
    expect(receipt?.blockHash).toBe(toHex(block2.block.hash()));
    expect((await fourth.getMint(deposit2.depositId))?.blockNumber).toBe(2n);
    await fourth.close();
  });

  it('treats a commit whose acknowledgement was lost as committed once the store shows it', async () => {
    const engine = await EvmEngine.open({ store: new PostgresChainStore(poolLosingNextCommitAck(db.pool), db.schema), config, autoMine: false });
    const before = engine.headNumber;
    const deposit = { depositId: `${'33'.repeat(32)}:0`, recipient: bob.address, amountSats: 1_000n };
    const queued = await engine.queueMint(deposit);
    const { block, mints } = await engine.produceBlock();
    expect(block.header.number).toBe(before + 1n);
    expect(mints.map((m) => m.depositId)).toEqual([deposit.depositId]);
    if (queued.status !== 'already-minted') expect((await queued.committed).blockHash).toBe(toHex(block.hash()));
    // Not stuck: the next block extends it.
    expect((await engine.produceBlock()).block.header.number).toBe(before + 2n);
    await engine.close();
  });

  it('refuses a second mint of the same deposit id at the database level', async () => {
    const store = new PostgresChainStore(db.pool, db.schema);
    const head = (await store.getHead())!;
    const existing = (await store.getMint(`${'11'.repeat(32)}:1`))!;
    const block = (await store.getBlockByNumber(head.number))!;
    await expect(
      store.commitBlock({
        block: { number: head.number + 1n, hash: `0x${'ab'.repeat(32)}`, rlp: block.rlp },
        stateRoot: head.stateRoot,
        transactions: [],
        receipts: [],
        mints: [{ ...existing, blockNumber: head.number + 1n, withdrawalIndex: 99n }],
        trieNodes: new Map(),
        nextWithdrawalIndex: 100n,
      }),
    ).rejects.toThrow(ChainStoreError);
    expect((await store.getHead())?.number).toBe(head.number);
  });
});
