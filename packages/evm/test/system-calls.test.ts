// System calls (system-calls.ts, system-call-block.ts): the encoding against the contract's ABI, the decision ids,
// validation, the wire form, the system transaction, and execution on a VM over the stake genesis (guards, revert,
// funding from the coinbase).
import { createBlock } from '@ethereumjs/block';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { createTxFromRLP } from '@ethereumjs/tx';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
import { Interface, type InterfaceAbi, type Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGenesis } from '../src/genesis.js';
import { createChainCommon, fromHex, STAKE_SYSTEM_ADDRESS, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS, STAKING_ABI, STAKING_ADDRESS, toHex, type ChainConfig } from '../src/index.js';
import { runSystemCalls, systemCallRecords, withSystemLogs } from '../src/system-call-block.js';
import {
  checkSystemCall, encodeSystemCall, parseSystemCall, SystemCallError, SystemCallQueue, systemCallId, systemCallJson, systemTransaction, type QueuedSystemCall, type SystemCall,
} from '../src/system-calls.js';
import { fundedConfig, testWallets } from './support/chain.js';

const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);
const token = new Interface(STAKE_TOKEN_ABI as unknown as InterfaceAbi);
const TOKEN = 10n ** 18n;
const [alice, bob] = testWallets(2) as [Wallet, Wallet];
const HOST_KEY = `0x02${'11'.repeat(32)}`;

const addressArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toHex(b));
const uint = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const callArb: fc.Arbitrary<SystemCall> = fc.oneof(
  fc
    .record({
      evidenceIdHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
      signer: addressArb,
      selfAmount: uint,
      delegations: fc.array(fc.tuple(addressArb, uint), { maxLength: 5 }),
      unbondings: fc.array(fc.tuple(uint, uint), { maxLength: 5 }),
    })
    .map((r): SystemCall => ({
      kind: 'slash', evidenceIdHash: r.evidenceIdHash, signer: r.signer, selfAmount: r.selfAmount,
      delegators: r.delegations.map((d) => d[0]), delegatorAmounts: r.delegations.map((d) => d[1]),
      unbondingIds: r.unbondings.map((u) => u[0]), unbondingAmounts: r.unbondings.map((u) => u[1]),
    })),
  uint.map((below): SystemCall => ({ kind: 'release_unbonding', below })),
  fc
    .record({ epoch: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), credits: fc.array(fc.tuple(addressArb, fc.bigInt({ min: 0n, max: 2n ** 200n })), { maxLength: 5 }), extra: fc.bigInt({ min: 0n, max: 2n ** 20n }) })
    .map((r): SystemCall => ({
      kind: 'credit_rewards', epoch: r.epoch, recipients: r.credits.map((c) => c[0]), amounts: r.credits.map((c) => c[1]), valueWei: r.credits.reduce((a, c) => a + c[1], 0n) + r.extra,
    })),
);

function ethersEncoding(call: SystemCall): string {
  switch (call.kind) {
    case 'slash':
      return staking.encodeFunctionData('slash', [call.evidenceIdHash, call.signer, call.selfAmount, call.delegators, call.delegatorAmounts, call.unbondingIds, call.unbondingAmounts]);
    case 'release_unbonding':
      return staking.encodeFunctionData('releaseUnbonding', [call.below]);
    case 'credit_rewards':
      return staking.encodeFunctionData('creditRewards', [call.epoch, call.recipients, call.amounts]);
    case 'channel_credit':
    case 'channel_burn':
      throw new Error('channel ledger calls are not staking calls (callArb draws none)');
  }
}

describe('system call encoding and ids', () => {
  it('encodes every call exactly as the staking ABI does (property)', () => {
    fc.assert(
      fc.property(callArb, (call) => {
        const { to, data, value } = encodeSystemCall(checkSystemCall(call));
        expect(to).toBe(STAKING_ADDRESS);
        expect(toHex(data)).toBe(ethersEncoding(call));
        expect(value).toBe(call.kind === 'credit_rewards' ? call.valueWei : 0n);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the wire form, and refuses a payload whose id is not its call’s (property)', () => {
    fc.assert(
      fc.property(callArb, (call) => {
        const json = systemCallJson(call);
        expect(json.id).toBe(systemCallId(checkSystemCall(call)));
        expect(parseSystemCall(JSON.parse(JSON.stringify(json)))).toEqual(checkSystemCall(call));
        expect(() => parseSystemCall({ ...json, id: `${json.id}x` })).toThrow(SystemCallError);
      }),
      { numRuns: 200 },
    );
  });

  it('names decisions by what they decide, independent of address case', () => {
    const h = `0x${'AB'.repeat(32)}`;
    expect(systemCallId({ kind: 'slash', evidenceIdHash: h, signer: alice.address, selfAmount: 1n, delegators: [], delegatorAmounts: [], unbondingIds: [], unbondingAmounts: [] })).toBe(`slash:0x${'ab'.repeat(32)}`);
    expect(systemCallId({ kind: 'release_unbonding', below: 7n })).toBe('release:7');
    expect(systemCallId({ kind: 'credit_rewards', epoch: 3n, recipients: [], amounts: [], valueWei: 0n })).toBe('rewards:3');
  });

  it('refuses malformed calls with a reason', () => {
    const slash = { kind: 'slash' as const, evidenceIdHash: `0x${'00'.repeat(32)}`, signer: alice.address, selfAmount: 1n, delegators: [bob.address], delegatorAmounts: [1n], unbondingIds: [] as bigint[], unbondingAmounts: [] as bigint[] };
    expect(() => checkSystemCall({ ...slash, delegatorAmounts: [] })).toThrow(/differ in length/);
    expect(() => checkSystemCall({ ...slash, signer: '0x12' })).toThrow(/not an address/);
    expect(() => checkSystemCall({ ...slash, selfAmount: -1n })).toThrow(/selfAmount/);
    expect(() => checkSystemCall({ ...slash, evidenceIdHash: '0x1234' })).toThrow(/evidenceIdHash/);
    expect(() => checkSystemCall({ kind: 'release_unbonding', below: 2n ** 256n })).toThrow(/below/);
    expect(() => checkSystemCall({ kind: 'credit_rewards', epoch: 2n ** 64n, recipients: [], amounts: [], valueWei: 0n })).toThrow(/epoch/);
    expect(() => checkSystemCall({ kind: 'credit_rewards', epoch: 1n, recipients: [alice.address], amounts: [5n], valueWei: 4n })).toThrow(/does not cover/);
    expect(() => parseSystemCall({ id: 'release:01', call: { kind: 'release_unbonding', below: '01' } })).toThrow(/decimal string/);
  });

  it('gives each decision its own system transaction, which decodes as a legacy transaction to the staking contract', () => {
    const common = createChainCommon(fundedConfig([alice]));
    const a = systemTransaction({ kind: 'release_unbonding', below: 1n }, common);
    const b = systemTransaction({ kind: 'release_unbonding', below: 2n }, common);
    expect(a.id).toBe('release:1');
    expect(a.hash).not.toBe(b.hash);
    expect(systemTransaction({ kind: 'release_unbonding', below: 1n }, common).hash).toBe(a.hash);
    const tx = createTxFromRLP(a.raw, { common });
    expect(toHex(tx.hash())).toBe(a.hash);
    expect(tx.to?.toString()).toBe(STAKING_ADDRESS.toLowerCase());
    expect(toHex(tx.data)).toBe(staking.encodeFunctionData('releaseUnbonding', [1n]));
  });

  it('queues one call per id and refuses the same id with other arguments', async () => {
    const common = createChainCommon(fundedConfig([alice]));
    const q = new SystemCallQueue();
    const entry = (call: SystemCall): QueuedSystemCall => ({ call, ...systemTransaction(call, common) });
    const first = q.enqueue(entry({ kind: 'credit_rewards', epoch: 1n, recipients: [], amounts: [], valueWei: 0n }));
    expect(q.enqueue(entry({ kind: 'credit_rewards', epoch: 1n, recipients: [], amounts: [], valueWei: 0n }))).toBe(first);
    expect(() => q.enqueue(entry({ kind: 'credit_rewards', epoch: 1n, recipients: [], amounts: [], valueWei: 5n }))).toThrow(/other arguments/);
    expect(q.size).toBe(1);
    q.rejectAll(new Error('closed'));
    await expect(first).rejects.toThrow('closed');
  });
});

/** The block producer's VM over the stake genesis, alice bonded and bob delegating, alice unbonding 10 tokens twice. */
async function stakedVm(): Promise<{ vm: VM; config: ChainConfig }> {
  const config = fundedConfig([alice, bob], undefined, {
    stake: { holders: new Map([[alice.address.toLowerCase(), 1_000n * TOKEN], [bob.address.toLowerCase(), 500n * TOKEN]]), unbondingDelaySeconds: 0n },
  });
  const common = createChainCommon(config);
  const state = new MerkleStateManager({ common });
  await buildGenesis(config, common, state);
  const vm = await createVM({ common, stateManager: state });
  const block = createBlock({ header: { number: 1n, timestamp: 100n, gasLimit: config.blockGasLimit } }, { common });
  const call = async (from: Wallet, to: string, data: string) => {
    const r = await vm.evm.runCall({ caller: createAddressFromString(from.address), to: createAddressFromString(to), data: fromHex(data), gasLimit: 5_000_000n, block });
    expect(r.execResult.exceptionError).toBeUndefined();
  };
  await call(alice, STAKE_TOKEN_ADDRESS, token.encodeFunctionData('approve', [STAKING_ADDRESS, 2n ** 255n]));
  await call(alice, STAKING_ADDRESS, staking.encodeFunctionData('bond', [600n * TOKEN, HOST_KEY]));
  await call(bob, STAKE_TOKEN_ADDRESS, token.encodeFunctionData('approve', [STAKING_ADDRESS, 2n ** 255n]));
  await call(bob, STAKING_ADDRESS, staking.encodeFunctionData('delegate', [alice.address, 100n * TOKEN]));
  await call(alice, STAKING_ADDRESS, staking.encodeFunctionData('unbond', [10n * TOKEN]));
  await call(alice, STAKING_ADDRESS, staking.encodeFunctionData('unbond', [10n * TOKEN]));
  return { vm, config };
}

async function read(vm: VM, fn: string, args: unknown[]): Promise<unknown[]> {
  const r = await vm.evm.runCall({ to: createAddressFromString(STAKING_ADDRESS), data: fromHex(staking.encodeFunctionData(fn, args)), gasLimit: 1_000_000n });
  return staking.decodeFunctionResult(fn, toHex(r.execResult.returnValue)).toArray();
}

describe('system calls on the block producer’s VM', () => {
  it('applies each decision once: the contract’s guard settles a repeat as already applied, a revert changes nothing', async () => {
    const { vm, config } = await stakedVm();
    const common = vm.common;
    const coinbase = createAddressFromString(config.coinbase);
    const block = createBlock({ header: { number: 2n, timestamp: 200n, gasLimit: config.blockGasLimit, coinbase } }, { common });
    const q = (call: SystemCall): QueuedSystemCall => ({ call: checkSystemCall(call), ...systemTransaction(checkSystemCall(call), common) });
    const evidence = `0x${'5a'.repeat(32)}`;
    const slash = q({ kind: 'slash', evidenceIdHash: evidence, signer: alice.address, selfAmount: 60n * TOKEN, delegators: [bob.address], delegatorAmounts: [10n * TOKEN], unbondingIds: [0n], unbondingAmounts: [1n * TOKEN] });
    const release = q({ kind: 'release_unbonding', below: 1n });
    // Funded from the coinbase, which has nothing yet: deferred, nothing taken.
    const rewards = q({ kind: 'credit_rewards', epoch: 4n, recipients: [bob.address], amounts: [1_000n], valueWei: 1_000n });
    await vm.evm.journal.checkpoint();
    const first = await runSystemCalls(vm, block, [slash, release, rewards]);
    expect(first.map((e) => e.outcome)).toEqual(['applied', 'applied', 'deferred']);
    const logs = first[0]!.outcome === 'applied' ? first[0]!.logs : [];
    const parsed = logs.map(([, topics, data]) => staking.parseLog({ topics: topics.map(toHex), data: toHex(data) })!);
    expect(parsed.map((p) => p.name)).toEqual(['StakeSlashed', 'StakeSlashed', 'StakeSlashed', 'Slashed']);
    expect(parsed.at(-1)!.args.toArray()).toEqual([evidence, alice.address, 71n * TOKEN]);
    expect(await read(vm, 'signerInfo', [alice.address])).toEqual([HOST_KEY, 520n * TOKEN, 90n * TOKEN]);
    expect(await read(vm, 'releasedBelow', [])).toEqual([1n]);

    // The same decisions again (a redelivery): the guards say applied, nothing moves.
    const again = await runSystemCalls(vm, block, [slash, release]);
    expect(again.map((e) => e.outcome)).toEqual(['already-applied', 'already-applied']);
    expect(await read(vm, 'signerInfo', [alice.address])).toEqual([HOST_KEY, 520n * TOKEN, 90n * TOKEN]);

    // With fees at the coinbase the reward credit goes through, paid from it.
    const cb = (await vm.stateManager.getAccount(coinbase)) ?? new Account();
    cb.balance = 5_000n;
    await vm.evm.journal.putAccount(coinbase, cb);
    const paid = await runSystemCalls(vm, block, [rewards]);
    expect(paid.map((e) => e.outcome)).toEqual(['applied']);
    expect((await vm.stateManager.getAccount(coinbase))?.balance).toBe(4_000n);
    expect(await read(vm, 'rewardsOf', [bob.address])).toEqual([1_000n]);
    expect((await vm.stateManager.getAccount(createAddressFromString(STAKE_SYSTEM_ADDRESS)))?.balance ?? 0n).toBe(0n);

    // A release that does not move the mark forward is applied already by the guard's rule (releasedBelow >= below).
    const backwards = await runSystemCalls(vm, block, [q({ kind: 'release_unbonding', below: 0n })]);
    expect(backwards.map((e) => e.outcome)).toEqual(['already-applied']);
    await vm.evm.journal.commit();

    const { transactions, receipts, records } = systemCallRecords([...first, ...again], { blockNumber: 2n, blockHash: `0x${'11'.repeat(32)}`, firstIndex: 3, firstLogIndex: 7, blockGasUsed: 21_000n, common });
    expect(records.map((r) => [r.id, r.status])).toEqual([
      [slash.id, 'applied'], ['release:1', 'applied'], [slash.id, 'already-applied'], ['release:1', 'already-applied'],
    ]);
    expect(transactions.map((t) => [t.index, t.hash, t.from])).toEqual([[3, slash.hash, STAKE_SYSTEM_ADDRESS.toLowerCase()], [4, release.hash, STAKE_SYSTEM_ADDRESS.toLowerCase()]]);
    expect(receipts.flatMap((r) => r.logs.map((l) => l.logIndex))).toEqual([7, 8, 9, 10, 11]);
    expect(receipts.map((r) => [r.status, r.gasUsed, r.cumulativeGasUsed])).toEqual([[1, 0n, 21_000n], [1, 0n, 21_000n]]);
    const bloom = withSystemLogs(new Uint8Array(256), first, common);
    expect(bloom.some((b) => b !== 0)).toBe(true);
  });

  it('records a reverted call with no state change', async () => {
    const { vm, config } = await stakedVm();
    const common = vm.common;
    const coinbase = createAddressFromString(config.coinbase);
    const cb = (await vm.stateManager.getAccount(coinbase)) ?? new Account();
    cb.balance = 10n ** 18n;
    await vm.stateManager.putAccount(coinbase, cb);
    const block = createBlock({ header: { number: 2n, timestamp: 200n, gasLimit: config.blockGasLimit, coinbase } }, { common });
    // Credits the contract cannot hold (value below what it would owe) revert with RewardsUnfunded; checkSystemCall
    // refuses to build one, so this builds the queued entry by hand, as a buggy upstream would.
    const call: SystemCall = { kind: 'credit_rewards', epoch: 9n, recipients: [bob.address], amounts: [100n], valueWei: 1n };
    const entry: QueuedSystemCall = { call, ...systemTransaction(call, common) };
    await vm.evm.journal.checkpoint();
    const [out] = await runSystemCalls(vm, block, [entry]);
    await vm.evm.journal.commit();
    expect(out?.outcome).toBe('reverted');
    expect(out?.outcome === 'reverted' ? staking.parseError(out.revertData)?.name : undefined).toBe('RewardsUnfunded');
    expect((await vm.stateManager.getAccount(coinbase))?.balance).toBe(10n ** 18n);
    expect(await read(vm, 'epochRewarded', [9n])).toEqual([false]);
    const { receipts, records } = systemCallRecords([out!], { blockNumber: 2n, blockHash: `0x${'22'.repeat(32)}`, firstIndex: 0, firstLogIndex: 0, blockGasUsed: 0n, common });
    expect(receipts.map((r) => [r.status, r.logs.length])).toEqual([[0, 0]]);
    expect(records[0]).toMatchObject({ status: 'reverted', id: 'rewards:9' });
  });
});
