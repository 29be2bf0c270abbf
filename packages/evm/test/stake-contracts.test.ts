// The stake token and staking contracts: checked-in artifacts, genesis predeploy, the staker flows through the engine
// (signed transactions in produced blocks), and the system operations (slash, release, rewards) executed the way the
// sequencer will: message calls from the system address on a VM over the same genesis.
import fs from 'node:fs';
import { createBlock } from '@ethereumjs/block';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
import { Interface, Transaction, type InterfaceAbi, type Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { compileStakeContract, stakeSourcePath, STAKE_CONTRACTS } from '../scripts/compile-stake-contracts.js';
import { bridgeSourceKeccak256 } from '../scripts/compile-contracts.js';
import { buildGenesis } from '../src/genesis.js';
import {
  checksumAddress, ChainConfigError, chainConfigFromGenesis, createChainCommon, fromHex, toHex, STAKE_COMPILER_VERSION, STAKE_SYSTEM_ADDRESS, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS,
  STAKE_TOKEN_DEPLOYED_BYTECODE, STAKE_TOKEN_SOURCE_KECCAK256, STAKING_ABI, STAKING_ADDRESS, STAKING_DEPLOYED_BYTECODE, STAKING_SOURCE_KECCAK256, type ChainConfig, type EvmEngine,
} from '../src/index.js';
import { fundedConfig, openTestEngine, testWallets } from './support/chain.js';

const TOKEN = 10n ** 18n;
const DELAY = 3_600n;
const token = new Interface(STAKE_TOKEN_ABI as unknown as InterfaceAbi);
const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);
const [alice, bob, carol] = testWallets(3) as [Wallet, Wallet, Wallet];
const HOST_KEY = `0x02${'11'.repeat(32)}`;

function stakeConfig(): ChainConfig {
  return fundedConfig([alice, bob, carol], undefined, {
    stake: { holders: new Map([[alice.address.toLowerCase(), 1_000n * TOKEN], [bob.address.toLowerCase(), 500n * TOKEN]]), unbondingDelaySeconds: DELAY },
  });
}

describe('stake contract artifacts', () => {
  it('hold exactly what the current sources compile to', () => {
    const fresh = { StakeToken: compileStakeContract('StakeToken'), Staking: compileStakeContract('Staking') };
    expect(STAKE_TOKEN_SOURCE_KECCAK256).toBe(bridgeSourceKeccak256(fs.readFileSync(stakeSourcePath('StakeToken'), 'utf8')));
    expect(STAKING_SOURCE_KECCAK256).toBe(bridgeSourceKeccak256(fs.readFileSync(stakeSourcePath('Staking'), 'utf8')));
    expect(STAKE_TOKEN_DEPLOYED_BYTECODE).toBe(fresh.StakeToken.deployedBytecode);
    expect(STAKING_DEPLOYED_BYTECODE).toBe(fresh.Staking.deployedBytecode);
    expect(STAKE_COMPILER_VERSION).toBe(fresh.Staking.compilerVersion);
    expect(STAKE_CONTRACTS).toEqual(['StakeToken', 'Staking']);
  });

  it('sit at fixed addresses written in EIP-55 form, and the staking contract names the same token and system address', () => {
    for (const a of [STAKE_TOKEN_ADDRESS, STAKING_ADDRESS, STAKE_SYSTEM_ADDRESS]) expect(checksumAddress(a)).toBe(a);
    const source = fs.readFileSync(stakeSourcePath('Staking'), 'utf8');
    expect(source).toContain(`IStakeToken(${STAKE_TOKEN_ADDRESS})`);
    expect(source).toContain(`SYSTEM_ADDRESS = ${STAKE_SYSTEM_ADDRESS}`);
  });
});

async function send(engine: EvmEngine, from: Wallet, to: string, data: string, value = 0n): Promise<void> {
  const nonce = Number(await engine.getPendingNonce(from.address));
  const signed = await from.signTransaction(Transaction.from({ type: 2, chainId: engine.chainId, nonce, to, data, value, gasLimit: 1_000_000n, maxFeePerGas: engine.pendingBaseFee() * 2n + 1n, maxPriorityFeePerGas: 1n }));
  await engine.sendRawTransaction(fromHex(signed));
}

async function view(engine: EvmEngine, iface: Interface, to: string, fn: string, args: unknown[], from?: string) {
  const r = await engine.call({ to, data: fromHex(iface.encodeFunctionData(fn, args)), ...(from ? { from } : {}) });
  if (r.error) return { error: r.error, revert: r.error.revertData ? iface.parseError(toHex(r.error.revertData)) : null };
  return { value: iface.decodeFunctionResult(fn, toHex(r.returnValue)) };
}

describe('staking through the engine', () => {
  it('predeploys the token with the genesis holders, and stakers approve, bond, delegate and unbond from ordinary wallets', async () => {
    const engine = await openTestEngine(stakeConfig());
    expect((await view(engine, token, STAKE_TOKEN_ADDRESS, 'balanceOf', [alice.address])).value?.[0]).toBe(1_000n * TOKEN);
    expect((await view(engine, token, STAKE_TOKEN_ADDRESS, 'totalSupply', [])).value?.[0]).toBe(1_500n * TOKEN);
    expect((await view(engine, staking, STAKING_ADDRESS, 'unbondingDelay', [])).value?.[0]).toBe(DELAY);

    await send(engine, alice, STAKE_TOKEN_ADDRESS, token.encodeFunctionData('approve', [STAKING_ADDRESS, 2n ** 256n - 1n]));
    await send(engine, alice, STAKING_ADDRESS, staking.encodeFunctionData('bond', [600n * TOKEN, HOST_KEY]));
    await send(engine, bob, STAKE_TOKEN_ADDRESS, token.encodeFunctionData('approve', [STAKING_ADDRESS, 100n * TOKEN]));
    await send(engine, bob, STAKING_ADDRESS, staking.encodeFunctionData('delegate', [alice.address, 100n * TOKEN]));
    await send(engine, alice, STAKING_ADDRESS, staking.encodeFunctionData('unbond', [50n * TOKEN]));
    // Carol holds no stake token: her bond reverts; bob cannot bond alice's host key.
    await send(engine, carol, STAKING_ADDRESS, staking.encodeFunctionData('bond', [1n, HOST_KEY]));
    const { block, receipts } = await engine.produceBlock();
    expect(receipts.map((r) => r.status)).toEqual([1, 1, 1, 1, 1, 0]);

    const events = receipts.flatMap((r) => r.logs).filter((l) => l.address.toLowerCase() === STAKING_ADDRESS.toLowerCase()).map((l) => staking.parseLog({ topics: l.topics, data: l.data })!);
    expect(events.map((e) => e.name)).toEqual(['Bonded', 'Delegated', 'UnbondingStarted']);
    expect(events[0]!.args.toArray()).toEqual([alice.address, 600n * TOKEN, HOST_KEY]);
    expect(events[1]!.args.toArray()).toEqual([bob.address, alice.address, 100n * TOKEN]);
    expect(events[2]!.args.toArray()).toEqual([0n, alice.address, alice.address, 50n * TOKEN, block.header.timestamp + DELAY]);

    expect((await view(engine, staking, STAKING_ADDRESS, 'signerInfo', [alice.address])).value?.toArray()).toEqual([HOST_KEY, 550n * TOKEN, 100n * TOKEN]);
    expect((await view(engine, token, STAKE_TOKEN_ADDRESS, 'balanceOf', [STAKING_ADDRESS])).value?.[0]).toBe(700n * TOKEN);
    // Not released and not matured: nothing to withdraw yet.
    expect((await view(engine, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], alice.address)).value?.[0]).toBe(0n);
    // System operations refuse every other caller, and are open to the system address.
    expect((await view(engine, staking, STAKING_ADDRESS, 'releaseUnbonding', [1n], alice.address)).revert?.name).toBe('OnlySystem');
    expect((await view(engine, staking, STAKING_ADDRESS, 'slash', [`0x${'ab'.repeat(32)}`, alice.address, 1n, [], [], [], []], bob.address)).revert?.name).toBe('OnlySystem');
    expect((await view(engine, staking, STAKING_ADDRESS, 'slash', [`0x${'ab'.repeat(32)}`, alice.address, 1n, [], [], [], []], STAKE_SYSTEM_ADDRESS)).value?.[0]).toBe(1n);
    await engine.close();
  });

  it('reads stake holders and the delay from a genesis file, and refuses an alloc entry at a stake address', () => {
    const config = chainConfigFromGenesis({ chainId: 7, alloc: {}, stake: { holders: { [alice.address]: '5' }, unbondingDelaySeconds: 60 } });
    expect(config.stake?.holders.get(alice.address.toLowerCase())).toBe(5n);
    expect(config.stake?.unbondingDelaySeconds).toBe(60n);
    expect(() => chainConfigFromGenesis({ chainId: 7, alloc: { [STAKING_ADDRESS]: { balance: '1' } } })).toThrow(ChainConfigError);
    expect(() => chainConfigFromGenesis({ chainId: 7, alloc: {}, stake: { holders: { [alice.address]: '0' }, unbondingDelaySeconds: 1 } })).toThrow(/positive balance/);
  });
});

/** A VM over the genesis state: calls run and commit one after another, at a chosen block time. */
class SystemVm {
  private constructor(private readonly vm: VM, private readonly config: ChainConfig) {}

  static async open(config: ChainConfig): Promise<SystemVm> {
    const common = createChainCommon(config);
    const state = new MerkleStateManager({ common });
    await buildGenesis(config, common, state);
    return new SystemVm(await createVM({ common, stateManager: state }), config);
  }

  async call(from: string, iface: Interface, to: string, fn: string, args: unknown[], at: bigint, value = 0n) {
    const block = createBlock({ header: { number: 1n, timestamp: at, gasLimit: this.config.blockGasLimit } }, { common: this.vm.common });
    const r = await this.vm.evm.runCall({ caller: createAddressFromString(from), to: createAddressFromString(to), data: fromHex(iface.encodeFunctionData(fn, args)), value, gasLimit: 10_000_000n, block });
    const logs = r.execResult.logs ?? [];
    const events = logs.map(([address, topics, data]) => ({ address: toHex(address), log: staking.parseLog({ topics: topics.map(toHex), data: toHex(data) }) }));
    if (r.execResult.exceptionError) {
      const rv = toHex(r.execResult.returnValue);
      return { reverted: rv.length > 2 ? (iface.parseError(rv)?.name ?? rv) : r.execResult.exceptionError.error, events: [] };
    }
    return { result: iface.decodeFunctionResult(fn, toHex(r.execResult.returnValue)), events: events.filter((e) => e.address.toLowerCase() === STAKING_ADDRESS.toLowerCase()).map((e) => e.log!) };
  }

  async credit(address: string, wei: bigint): Promise<void> {
    const addr = createAddressFromString(address);
    const acc = (await this.vm.stateManager.getAccount(addr)) ?? new Account();
    acc.balance += wei;
    await this.vm.stateManager.putAccount(addr, acc);
  }

  balance = async (address: string) => (await this.vm.stateManager.getAccount(createAddressFromString(address)))?.balance ?? 0n;
}

describe('staking system operations (as the sequencer runs them)', () => {
  const T0 = 1_767_300_000n;
  const evidence = `0x${'e1'.repeat(32)}`;

  async function staked() {
    const vm = await SystemVm.open(stakeConfig());
    await vm.call(alice.address, token, STAKE_TOKEN_ADDRESS, 'approve', [STAKING_ADDRESS, 1_000n * TOKEN], T0);
    await vm.call(bob.address, token, STAKE_TOKEN_ADDRESS, 'approve', [STAKING_ADDRESS, 500n * TOKEN], T0);
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'bond', [1_000n, HOST_KEY], T0)).events.map((e) => e.name)).toEqual(['Bonded']);
    await vm.call(bob.address, staking, STAKING_ADDRESS, 'delegate', [alice.address, 300n], T0);
    await vm.call(alice.address, staking, STAKING_ADDRESS, 'unbond', [100n], T0); // id 0
    await vm.call(bob.address, staking, STAKING_ADDRESS, 'undelegate', [alice.address, 100n], T0); // id 1
    return vm;
  }

  it('withdraws only after the delay and after the system released the entry, in id order', async () => {
    const vm = await staked();
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY)).result?.[0]).toBe(0n); // matured, not released
    expect((await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'releaseUnbonding', [1n], T0)).events.map((e) => e.args.toArray())).toEqual([[1n]]);
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY - 1n)).result?.[0]).toBe(0n); // released, not matured
    const w = await vm.call(alice.address, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY);
    expect(w.result?.[0]).toBe(100n);
    expect(w.events.map((e) => [e.name, ...e.args.toArray()])).toEqual([['Withdrawn', 0n, alice.address, 100n]]);
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY)).result?.[0]).toBe(0n); // id 1 not released
    expect((await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'releaseUnbonding', [0n], T0)).reverted).toBe('ReleaseBackwards');
    expect((await vm.call(alice.address, token, STAKE_TOKEN_ADDRESS, 'balanceOf', [alice.address], T0)).result?.[0]).toBe(1_000n * TOKEN - 900n);
  });

  it('slashes the bond, delegations and unbonding once per evidence id, capped at what each position holds', async () => {
    const vm = await staked();
    const s = await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'slash', [evidence, alice.address, 50n, [bob.address], [1_000n], [0n, 1n], [5n, 5n]], T0);
    expect(s.events.map((e) => [e.name, ...e.args.toArray()])).toEqual([
      ['StakeSlashed', evidence, alice.address, alice.address, 0n, 0n, 50n],
      ['StakeSlashed', evidence, alice.address, bob.address, 1n, 0n, 200n],
      ['StakeSlashed', evidence, alice.address, alice.address, 2n, 0n, 5n],
      ['StakeSlashed', evidence, alice.address, bob.address, 2n, 1n, 5n],
      ['Slashed', evidence, alice.address, 260n],
    ]);
    const again = await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'slash', [evidence, alice.address, 50n, [], [], [], []], T0);
    expect(again.result?.[0]).toBe(0n);
    expect(again.events).toEqual([]);
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'signerInfo', [alice.address], T0)).result?.toArray()).toEqual([HOST_KEY, 850n, 0n]);
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'totalSlashed', [], T0)).result?.[0]).toBe(260n);
    // The unbonding entries kept their slashed amounts: withdrawing pays 95.
    await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'releaseUnbonding', [2n], T0);
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY)).result?.[0]).toBe(95n);
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'slash', [`0x${'e2'.repeat(32)}`, alice.address, 1n, [], [], [], []], T0)).reverted).toBe('OnlySystem');
  });

  it('credits an epoch’s rewards once, only when this contract holds the BTC, and pays them on claim', async () => {
    const vm = await staked();
    const args = [7n, [alice.address, bob.address], [3_000n, 1_000n]];
    expect((await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'creditRewards', args, T0)).reverted).toBe('RewardsUnfunded');
    await vm.credit(STAKING_ADDRESS, 4_000n); // the sequencer's withdrawal-list credit in the same block
    const c = await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'creditRewards', args, T0);
    expect(c.events.map((e) => [e.name, ...e.args.toArray()])).toEqual([['RewardCredited', 7n, alice.address, 3_000n], ['RewardCredited', 7n, bob.address, 1_000n]]);
    expect((await vm.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'creditRewards', args, T0)).reverted).toBe('EpochAlreadyRewarded');
    const before = await vm.balance(bob.address);
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'claimRewards', [], T0)).result?.[0]).toBe(1_000n);
    expect(await vm.balance(bob.address)).toBe(before + 1_000n);
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'claimRewards', [], T0)).result?.[0]).toBe(0n);
    expect(await vm.balance(STAKING_ADDRESS)).toBe(3_000n);
  });

  it('refuses bad host keys, a taken host key, delegating to a non-signer or to oneself, and unbonding more than held', async () => {
    const vm = await staked();
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'bond', [1n, `0x04${'11'.repeat(32)}`], T0)).reverted).toBe('BadHostPubkey');
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'bond', [1n, `0x02${'22'.repeat(32)}`], T0)).reverted).toBe('HostKeyMismatch');
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'bond', [1n, HOST_KEY], T0)).reverted).toBe('HostKeyTaken');
    expect((await vm.call(bob.address, staking, STAKING_ADDRESS, 'delegate', [carol.address, 1n], T0)).reverted).toBe('NotASigner');
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'delegate', [alice.address, 1n], T0)).reverted).toBe('SelfDelegation');
    expect((await vm.call(alice.address, staking, STAKING_ADDRESS, 'unbond', [901n], T0)).reverted).toBe('InsufficientStake');
    expect((await vm.call(carol.address, token, STAKE_TOKEN_ADDRESS, 'transfer', [bob.address, 1n], T0)).reverted).toBe('InsufficientBalance');
  });
});
