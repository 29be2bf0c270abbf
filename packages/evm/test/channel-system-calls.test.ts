// Channel ledger system calls (issue 12) through the engine on a real Postgres chain store: a channel payment
// credited as L2 BTC and a return burned, exactly once per (channel, state) across redelivery, an engine restart, a
// crash at the block's COMMIT and the same id with other arguments; a burn beyond the balance is refused and settled.
import { type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHANNEL_BURNED_TOPIC, CHANNEL_CREDITED_TOPIC, CHANNEL_LEDGER_ADDRESS, channelLedgerKey, channelLedgerSlot, EvmEngine, parseChannelSystemCall, PostgresChainStore, satsToWei, STAKE_SYSTEM_ADDRESS,
  SystemCallError, channelSystemCallJson, systemCallJson, toHex, type ChainConfig, type ChannelLedgerCall, type SystemCall,
} from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';
import { createTestSchema, poolFailingNextCommit, postgresReachable, type TestSchema } from './support/postgres.js';

const reachable = await postgresReachable();
if (!reachable) console.warn('channel system calls on Postgres (needs Postgres at TEST_DATABASE_URL / 127.0.0.1:5432): skipped');

const [funder] = testWallets(1) as [Wallet];
const USER = '0x00000000000000000000000000000000000abc01';
const CHANNEL = `${'ab'.repeat(32)}:1`;
const credit = (stateNumber: bigint, amountSats: bigint): ChannelLedgerCall => ({ kind: 'channel_credit', channelId: CHANNEL, stateNumber, account: USER, amountSats });
const burn = (stateNumber: bigint, amountSats: bigint): ChannelLedgerCall => ({ kind: 'channel_burn', channelId: CHANNEL, stateNumber, account: USER, amountSats });

describe('channel ledger calls: checks and wire form', () => {
  it('ids are per (channel, state) whatever the kind; the wire form round-trips; bad input is refused', () => {
    const json = channelSystemCallJson(credit(3n, 30_000_000n));
    expect(json).toEqual({ id: `channel:${CHANNEL}:3`, call: { kind: 'channel_credit', channelId: CHANNEL, stateNumber: '3', account: USER, amountSats: '30000000' } });
    expect(parseChannelSystemCall(json)).toEqual(credit(3n, 30_000_000n));
    expect(channelSystemCallJson(burn(3n, 1n)).id).toBe(json.id);
    expect(() => parseChannelSystemCall({ ...json, id: `channel:${CHANNEL}:4` })).toThrow(SystemCallError);
    expect(() => parseChannelSystemCall({ id: json.id, call: { ...json.call, amountSats: '0' } })).toThrow(/positive/);
    expect(() => parseChannelSystemCall({ id: `channel:${'AB'.repeat(32)}:1:3`, call: { ...json.call, channelId: `${'AB'.repeat(32)}:1` } })).toThrow(/funding outpoint/);
    expect(() => parseChannelSystemCall({ id: json.id, call: { ...json.call, amountSats: '2100000000000001' } })).toThrow(SystemCallError);
    // A stake decision is not a channel call, and a channel call has no stake wire form.
    expect(() => parseChannelSystemCall({ id: 'release:1', call: { kind: 'release_unbonding', below: '1' } } as never)).toThrow(/not a channel ledger call/);
    expect(() => systemCallJson(credit(1n, 1n))).toThrow(/channelSystemCallJson/);
  });
});

describe.skipIf(!reachable)('channel ledger calls on a Postgres chain', () => {
  let db: TestSchema;
  const config = (): ChainConfig => fundedConfig([funder]);
  const open = (pool = db.pool) => EvmEngine.open({ store: new PostgresChainStore(pool, db.schema), config: config(), autoMine: false, callLimits: { workers: 1 } });
  const committed = async (engine: EvmEngine, call: SystemCall) => {
    const outcome = await engine.queueSystemCall(call);
    if (outcome.status === 'already-executed') return outcome.record;
    await engine.produceBlock(); // autoMine is off: the block that settles it
    return outcome.committed;
  };

  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('credits once, burns once, refuses a burn beyond the balance, and keeps each id settled across redelivery, restart and a COMMIT crash', async () => {
    let engine = await open();
    // Three payments, the second delivered twice before its block.
    const first = await engine.queueSystemCall(credit(1n, 10_000_000n));
    const second = await engine.queueSystemCall(credit(2n, 10_000_000n));
    const again = await engine.queueSystemCall(credit(2n, 10_000_000n));
    expect([first.status, second.status, again.status]).toEqual(['queued', 'queued', 'already-queued']);
    const one = await engine.produceBlock();
    expect(one.systemCalls.map((c) => [c.id, c.status])).toEqual([[`channel:${CHANNEL}:1`, 'applied'], [`channel:${CHANNEL}:2`, 'applied']]);
    expect(await engine.getBalance(USER)).toBe(satsToWei(20_000_000n));
    expect(one.receipts.map((r) => [r.from, r.to, r.status])).toEqual([[STAKE_SYSTEM_ADDRESS.toLowerCase(), CHANNEL_LEDGER_ADDRESS, 1], [STAKE_SYSTEM_ADDRESS.toLowerCase(), CHANNEL_LEDGER_ADDRESS, 1]]);
    const logs = await engine.getLogs({ fromBlock: 0n, toBlock: one.block.header.number, addresses: [CHANNEL_LEDGER_ADDRESS] });
    expect(logs.map((l) => [l.topics[0], l.topics[1], BigInt(`0x${l.data.slice(66)}`)])).toEqual([
      [CHANNEL_CREDITED_TOPIC, toHex(channelLedgerKey(CHANNEL)), 10_000_000n],
      [CHANNEL_CREDITED_TOPIC, toHex(channelLedgerKey(CHANNEL)), 10_000_000n],
    ]);
    expect(BigInt(toHex(await engine.getStorageAt(CHANNEL_LEDGER_ADDRESS, channelLedgerSlot(`channel:${CHANNEL}:2`))))).toBe(1n);

    // Restart: the queue is gone and JetStream redelivers; the stored system transaction answers.
    const record2 = await (second.status === 'already-executed' ? second.record : second.committed);
    await engine.close();
    engine = await open();
    expect(await engine.queueSystemCall(credit(2n, 10_000_000n))).toEqual({ status: 'already-executed', record: record2 });
    // The same (channel, state) with another amount or kind is another transaction; the ledger's guard holds it.
    const other = await engine.queueSystemCall(burn(2n, 5n));
    expect(other.status).toBe('queued');
    const two = await engine.produceBlock();
    expect(two.systemCalls.map((c) => [c.id, c.status, c.transactionHash])).toEqual([[`channel:${CHANNEL}:2`, 'already-applied', null]]);
    expect(await engine.getBalance(USER)).toBe(satsToWei(20_000_000n));

    // A return: burn 5M of the 20M; then a burn beyond what is left is refused (status 0), balance untouched.
    expect((await committed(engine, burn(3n, 5_000_000n))).status).toBe('applied');
    expect(await engine.getBalance(USER)).toBe(satsToWei(15_000_000n));
    const refused = await committed(engine, burn(4n, 15_000_001n));
    expect(refused.status).toBe('reverted');
    expect(await engine.getBalance(USER)).toBe(satsToWei(15_000_000n));
    expect((await engine.getReceipt(refused.transactionHash!))?.status).toBe(0);
    // Refused is settled too: the id with an amount that would fit is not applied later.
    expect((await committed(engine, burn(4n, 1n))).status).toBe('already-applied');
    expect(await engine.getBalance(USER)).toBe(satsToWei(15_000_000n));
    await engine.close();

    // A crash at the block's COMMIT keeps the call queued; it applies once after.
    const failing = poolFailingNextCommit(db.pool);
    engine = await open(failing.pool);
    const pending = await engine.queueSystemCall(credit(5n, 1_000n));
    await expect(engine.produceBlock()).rejects.toThrow(/simulated crash at COMMIT/);
    expect(await engine.getBalance(USER)).toBe(satsToWei(15_000_000n));
    const after = await engine.produceBlock();
    expect(after.systemCalls.map((c) => [c.id, c.status])).toEqual([[`channel:${CHANNEL}:5`, 'applied']]);
    if (pending.status === 'already-executed') throw new Error('unreachable');
    expect((await pending.committed).status).toBe('applied');
    expect(await engine.getBalance(USER)).toBe(satsToWei(15_001_000n));
    await engine.close();

    // Every ledger log on the chain sums to the balance: credits 20M + 1k, burns 5M.
    engine = await open();
    const all = await engine.getLogs({ fromBlock: 0n, toBlock: (await engine.getBlockByNumber(after.block.header.number))!.header.number, addresses: [CHANNEL_LEDGER_ADDRESS] });
    const sum = (topic: string) => all.filter((l) => l.topics[0] === topic).reduce((s, l) => s + BigInt(`0x${l.data.slice(66)}`), 0n);
    expect([sum(CHANNEL_CREDITED_TOPIC), sum(CHANNEL_BURNED_TOPIC)]).toEqual([20_001_000n, 5_000_000n]);
    await engine.close();
  }, 120_000);
});
