// Stake system calls through the engine on a real Postgres chain store: stakers bond and delegate with signed
// transactions, stake-accounting's decisions are queued as system calls and land in a block (logs visible like any
// transaction's), exactly once per decision id across redelivery, a restart of the engine, a crash at the block's
// COMMIT and a lost commit acknowledgement.
import { Interface, Transaction, type InterfaceAbi, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EvmEngine, fromHex, JsonRpcHandler, PostgresChainStore, STAKE_SYSTEM_ADDRESS, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS, STAKING_ABI, STAKING_ADDRESS, toHex, type ChainConfig, type SystemCall,
} from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';
import { createTestSchema, poolFailingNextCommit, poolLosingNextCommitAck, postgresReachable, type TestSchema } from './support/postgres.js';

const reachable = await postgresReachable();
if (!reachable) console.warn('system calls on Postgres (needs Postgres at TEST_DATABASE_URL / 127.0.0.1:5432): skipped');

const TOKEN = 10n ** 18n;
const token = new Interface(STAKE_TOKEN_ABI as unknown as InterfaceAbi);
const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);
const [alice, bob] = testWallets(2) as [Wallet, Wallet];
const HOST_KEY = `0x03${'22'.repeat(32)}`;
const EVIDENCE = `0x${'e1'.repeat(32)}`;

function stakeConfig(): ChainConfig {
  return fundedConfig([alice, bob], undefined, {
    stake: { holders: new Map([[alice.address.toLowerCase(), 1_000n * TOKEN], [bob.address.toLowerCase(), 500n * TOKEN]]), unbondingDelaySeconds: 0n },
  });
}

async function send(engine: EvmEngine, from: Wallet, to: string, data: string): Promise<void> {
  const nonce = Number(await engine.getPendingNonce(from.address));
  const signed = await from.signTransaction(Transaction.from({ type: 2, chainId: engine.chainId, nonce, to, data, gasLimit: 1_000_000n, maxFeePerGas: engine.pendingBaseFee() * 2n + 1n, maxPriorityFeePerGas: 1n }));
  await engine.sendRawTransaction(fromHex(signed));
}

async function view(engine: EvmEngine, fn: string, args: unknown[]): Promise<unknown[]> {
  const r = await engine.call({ to: STAKING_ADDRESS, data: fromHex(staking.encodeFunctionData(fn, args)) });
  return staking.decodeFunctionResult(fn, toHex(r.returnValue)).toArray();
}

const slash: SystemCall = {
  kind: 'slash', evidenceIdHash: EVIDENCE, signer: alice.address, selfAmount: 30n * TOKEN, delegators: [bob.address], delegatorAmounts: [5n * TOKEN], unbondingIds: [0n], unbondingAmounts: [1n * TOKEN],
};

describe.skipIf(!reachable)('stake system calls on a Postgres chain', () => {
  let db: TestSchema;
  const open = (pool = db.pool) => EvmEngine.open({ store: new PostgresChainStore(pool, db.schema), config: stakeConfig(), autoMine: false, callLimits: { workers: 1 } });

  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('applies a slash and a release once, with logs after the block’s transactions; a restarted engine refuses to run them again', async () => {
    let engine = await open();
    await send(engine, alice, STAKE_TOKEN_ADDRESS, token.encodeFunctionData('approve', [STAKING_ADDRESS, 2n ** 255n]));
    await send(engine, alice, STAKING_ADDRESS, staking.encodeFunctionData('bond', [600n * TOKEN, HOST_KEY]));
    await send(engine, bob, STAKE_TOKEN_ADDRESS, token.encodeFunctionData('approve', [STAKING_ADDRESS, 2n ** 255n]));
    await send(engine, bob, STAKING_ADDRESS, staking.encodeFunctionData('delegate', [alice.address, 100n * TOKEN]));
    await send(engine, alice, STAKING_ADDRESS, staking.encodeFunctionData('unbond', [10n * TOKEN]));
    await engine.produceBlock();

    // One more staker transaction in the same block as the calls: the calls' logs must follow its logs.
    await send(engine, alice, STAKING_ADDRESS, staking.encodeFunctionData('unbond', [10n * TOKEN]));
    const queued = await engine.queueSystemCall(slash);
    const again = await engine.queueSystemCall(slash); // a redelivery before the block
    const release = await engine.queueSystemCall({ kind: 'release_unbonding', below: 1n });
    expect([queued.status, again.status, release.status]).toEqual(['queued', 'already-queued', 'queued']);
    const { block, receipts, systemCalls } = await engine.produceBlock();
    if (queued.status === 'already-executed' || release.status === 'already-executed') throw new Error('unreachable');
    const record = await queued.committed;
    expect(record).toMatchObject({ id: `slash:${EVIDENCE}`, status: 'applied', blockNumber: block.header.number });
    expect((await release.committed).status).toBe('applied');
    expect(systemCalls.map((c) => c.id)).toEqual([`slash:${EVIDENCE}`, 'release:1']);
    expect(block.transactions).toHaveLength(1);
    expect(receipts.map((r) => [r.transactionIndex, r.from])).toEqual([[0, alice.address.toLowerCase()], [1, STAKE_SYSTEM_ADDRESS.toLowerCase()], [2, STAKE_SYSTEM_ADDRESS.toLowerCase()]]);

    // Logs as an indexer sees them: eth_getLogs over the staking contract, in order, traceable to the system tx.
    const logs = await engine.getLogs({ fromBlock: block.header.number, toBlock: block.header.number, addresses: [STAKING_ADDRESS.toLowerCase()] });
    const names = logs.map((l) => staking.parseLog({ topics: l.topics, data: l.data })!.name);
    expect(names).toEqual(['UnbondingStarted', 'StakeSlashed', 'StakeSlashed', 'StakeSlashed', 'Slashed', 'UnbondingReleased']);
    expect(logs.map((l) => l.logIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(logs[1]!.transactionHash).toBe(record.transactionHash);
    expect(await view(engine, 'signerInfo', [alice.address])).toEqual([HOST_KEY, 550n * TOKEN, 95n * TOKEN]);
    expect(await view(engine, 'releasedBelow', [])).toEqual([1n]);

    // The JSON-RPC answers for the system transaction, as ethers or an indexer would ask.
    const rpc = new JsonRpcHandler(engine);
    const tx = (await rpc.handleParsed({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionByHash', params: [record.transactionHash] })) as { result: Record<string, string> };
    expect(tx.result).toMatchObject({ hash: record.transactionHash, from: STAKE_SYSTEM_ADDRESS.toLowerCase(), to: STAKING_ADDRESS.toLowerCase(), transactionIndex: '0x1' });
    const receipt = (await rpc.handleParsed({ jsonrpc: '2.0', id: 2, method: 'eth_getTransactionReceipt', params: [record.transactionHash] })) as { result: { status: string; logs: unknown[] } };
    expect(receipt.result.status).toBe('0x1');
    expect(receipt.result.logs).toHaveLength(4);
    const full = (await rpc.handleParsed({ jsonrpc: '2.0', id: 3, method: 'eth_getBlockByNumber', params: [`0x${block.header.number.toString(16)}`, true] })) as { result: { transactions: { from: string }[] } };
    expect(full.result.transactions.map((t) => t.from)).toEqual([alice.address.toLowerCase()]);

    rpc.dispose();

    // Restart: the queue is gone, the decisions come again (JetStream redelivers until acked).
    await engine.close();
    engine = await open();
    const redelivered = await engine.queueSystemCall(slash);
    expect(redelivered).toEqual({ status: 'already-executed', record });
    // The same evidence with other amounts (a recomputed plan) is another transaction, but the contract's guard holds.
    const recomputed = await engine.queueSystemCall({ ...slash, selfAmount: 1n });
    expect(recomputed.status).toBe('queued');
    const next = await engine.produceBlock();
    expect(next.systemCalls).toEqual([{ id: `slash:${EVIDENCE}`, kind: 'slash', status: 'already-applied', transactionHash: null, blockNumber: next.block.header.number, blockHash: toHex(next.block.hash()) }]);
    expect(next.receipts).toHaveLength(0);
    expect(await view(engine, 'signerInfo', [alice.address])).toEqual([HOST_KEY, 550n * TOKEN, 95n * TOKEN]);
    expect(await view(engine, 'totalSlashed', [])).toEqual([36n * TOKEN]);
    await engine.close();
  }, 120_000);

  it('keeps a call queued through a crash at the block’s COMMIT and applies it once after; a lost commit acknowledgement counts as committed', async () => {
    const failing = poolFailingNextCommit(db.pool);
    let engine = await open(failing.pool);
    const first = await engine.queueSystemCall({ kind: 'release_unbonding', below: 2n });
    await expect(engine.produceBlock()).rejects.toThrow(/simulated crash at COMMIT/);
    expect(failing.armed()).toBe(false);
    expect(engine.systemCallsQueued).toBe(1);
    const { systemCalls } = await engine.produceBlock();
    expect(systemCalls.map((c) => [c.id, c.status])).toEqual([['release:2', 'applied']]);
    if (first.status === 'already-executed') throw new Error('unreachable');
    expect((await first.committed).status).toBe('applied');
    expect(await view(engine, 'releasedBelow', [])).toEqual([2n]);
    await engine.close();

    engine = await open(poolLosingNextCommitAck(db.pool));
    const credit = await engine.queueSystemCall({ kind: 'credit_rewards', epoch: 1n, recipients: [], amounts: [], valueWei: 0n });
    const applied = await engine.produceBlock();
    expect(applied.systemCalls.map((c) => [c.id, c.status])).toEqual([['rewards:1', 'applied']]);
    if (credit.status === 'already-executed') throw new Error('unreachable');
    const record = await credit.committed;
    await engine.close();
    engine = await open();
    expect(await engine.queueSystemCall({ kind: 'credit_rewards', epoch: 1n, recipients: [], amounts: [], valueWei: 0n })).toEqual({ status: 'already-executed', record });
    expect(await view(engine, 'epochRewarded', [1n])).toEqual([true]);
    // Exactly one system transaction per decision in the store.
    const rows = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${db.schema}".evm_transaction WHERE sender = $1`, [Buffer.from(STAKE_SYSTEM_ADDRESS.slice(2), 'hex')]);
    expect(Number(rows.rows[0]!.n)).toBe(4); // slash, release:1, release:2, rewards:1
    await engine.close();
  }, 120_000);
});
