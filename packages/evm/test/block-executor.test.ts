// The sequencer executes blocks with block-executor.ts instead of @ethereumjs's runBlock. Consensus depends on both
// producing the same header: each block here is replayed by runBlock in a fresh VM with generate: false, which
// checks the state root, receipts root, bloom and gas used against its own execution.
import { createBlockFromRLP } from '@ethereumjs/block';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { createVM, runBlock } from '@ethereumjs/vm';
import { Interface, Transaction, Wallet, type InterfaceAbi } from 'ethers';
import { describe, expect, it } from 'vitest';
import { buildGenesis } from '../src/genesis.js';
import { BRIDGE_ABI, BRIDGE_ADDRESS, createChainCommon, fromHex, MemoryChainStore, toHex, type EvmEngine } from '../src/index.js';
import { fundedConfig, openTestEngine, testWallets } from './support/chain.js';

const [alice, bob, carol] = testWallets(3) as [Wallet, Wallet, Wallet];
const bridge = new Interface(BRIDGE_ABI as unknown as InterfaceAbi);
const nonces = new Map<string, number>();

async function send(engine: EvmEngine, from: Wallet, fields: { to?: string; value?: bigint; data?: string; gasLimit?: bigint }): Promise<void> {
  const nonce = nonces.get(from.address) ?? 0;
  nonces.set(from.address, nonce + 1);
  const raw = await from.signTransaction(
    Transaction.from({ type: 2, chainId: engine.chainId, nonce, gasLimit: 21_000n, maxFeePerGas: engine.pendingBaseFee() * 2n + 7n, maxPriorityFeePerGas: 7n, ...fields }),
  );
  await engine.sendRawTransaction(fromHex(raw));
}

describe('executeBlock', () => {
  it('builds the headers runBlock validates: transfers, logs, a revert, a contract creation, mints, an empty block', async () => {
    const config = fundedConfig([alice, bob, carol]);
    const store = new MemoryChainStore();
    const engine = await openTestEngine(config, { store });
    const sats = 10n ** 10n;
    // Block 1: everything at once.
    await send(engine, alice, { to: bob.address, value: 5n * sats });
    await send(engine, alice, { to: '0x000000000000000000000000000000000000dEaD', value: 1n });
    await send(engine, bob, { to: BRIDGE_ADDRESS, value: 10_000n * sats, gasLimit: 200_000n, data: bridge.encodeFunctionData('withdraw', [`0x0014${'ab'.repeat(20)}`, 100n]) });
    // maxFeeSats not below the amount: the bridge reverts (receipt status 0, gas still paid).
    await send(engine, carol, { to: BRIDGE_ADDRESS, value: 1_000n * sats, gasLimit: 200_000n, data: bridge.encodeFunctionData('withdraw', [`0x0014${'cd'.repeat(20)}`, 5_000n]) });
    // A contract creation whose runtime code is one STOP.
    await send(engine, carol, { gasLimit: 100_000n, data: '0x60016000f3' });
    await engine.queueMint({ depositId: 'd-1', recipient: '0x00000000000000000000000000000000000000f1', amountSats: 1_000n });
    await engine.queueMint({ depositId: 'd-2', recipient: alice.address, amountSats: 2_000n });
    const first = await engine.produceBlock();
    expect(first.block.transactions).toHaveLength(5);
    expect(first.receipts.map((r) => r.status)).toEqual([1, 1, 1, 0, 1]);
    expect(first.receipts[2]?.logs.length).toBeGreaterThan(0);
    expect(first.receipts[4]?.contractAddress).not.toBeNull();
    expect(first.mints).toHaveLength(2);
    // Block 2: a plain transfer; block 3: empty.
    await send(engine, bob, { to: carol.address, value: 3n });
    await engine.produceBlock();
    const empty = await engine.produceBlock();
    expect(empty.block.transactions).toHaveLength(0);

    const common = createChainCommon(config);
    const state = new MerkleStateManager({ common });
    await buildGenesis(config, common, state);
    const vm = await createVM({ common, stateManager: state });
    for (let n = 1n; n <= 3n; n++) {
      const block = createBlockFromRLP((await store.getBlockByNumber(n))!.rlp, { common });
      expect(await block.transactionsTrieIsValid()).toBe(true);
      expect(await block.withdrawalsTrieIsValid()).toBe(true);
      const replay = await runBlock(vm, { block, skipBlockValidation: true, skipHeaderValidation: true });
      expect(toHex(replay.stateRoot)).toBe(toHex(block.header.stateRoot));
      expect(toHex(replay.receiptsRoot)).toBe(toHex(block.header.receiptTrie));
    }
    await engine.close();
  });
});
