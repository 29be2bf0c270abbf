// Head reads (eth_getBalance, nonces, the pool's sender checks) come from the flat account cache, and eth_call
// outcomes are kept per block: both must follow every committed block, including accounts only a contract touched,
// and must not move on a block whose commit failed.
import { Interface, Transaction, type InterfaceAbi, type Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { BRIDGE_ABI, BRIDGE_ADDRESS, fromHex, MemoryChainStore, toHex, type BlockCommit, type EvmEngine } from '../src/index.js';
import { fundedConfig, openTestEngine, testWallets } from './support/chain.js';

const [alice, bob] = testWallets(2) as [Wallet, Wallet];
const bridge = new Interface(BRIDGE_ABI as unknown as InterfaceAbi);
const SAT = 10n ** 10n;

/** A memory store whose next commit fails once when armed. */
class FlakyStore extends MemoryChainStore {
  failNext = false;
  override async commitBlock(commit: BlockCommit): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk on fire');
    }
    return super.commitBlock(commit);
  }
}

async function send(engine: EvmEngine, from: Wallet, nonce: number, fields: { to: string; value: bigint; data?: string; gasLimit?: bigint }): Promise<void> {
  const raw = await from.signTransaction(
    Transaction.from({ type: 2, chainId: engine.chainId, nonce, gasLimit: 21_000n, maxFeePerGas: engine.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n, ...fields }),
  );
  await engine.sendRawTransaction(fromHex(raw));
}

const totalBurned = async (engine: EvmEngine) => BigInt(toHex((await engine.call({ to: BRIDGE_ADDRESS, data: fromHex(bridge.encodeFunctionData('totalBurnedSats')) })).returnValue));

describe('head state after each block', () => {
  it('balances, nonces and call outcomes follow committed blocks, also for accounts only a contract touched, and stay on a failed commit', async () => {
    const store = new FlakyStore();
    const engine = await openTestEngine(fundedConfig([alice, bob]), { store });
    const bobBefore = await engine.getBalance(bob.address);
    // Read (and so cache) what the blocks will change: an account that does not exist yet, the bridge, a call.
    const carol = '0x00000000000000000000000000000000000c0a01';
    expect(await engine.getBalance(carol)).toBe(0n);
    expect(await engine.getBalance(BRIDGE_ADDRESS)).toBe(0n);
    expect(await totalBurned(engine)).toBe(0n);

    await send(engine, alice, 0, { to: carol, value: 7n });
    await send(engine, bob, 0, { to: BRIDGE_ADDRESS, value: 10_000n * SAT, gasLimit: 200_000n, data: bridge.encodeFunctionData('withdraw', [`0x0014${'ab'.repeat(20)}`, 100n]) });
    store.failNext = true;
    await expect(engine.produceBlock()).rejects.toThrow(/disk on fire/);
    // Nothing moved: the failed block's writes are not in the cache.
    expect(engine.headNumber).toBe(0n);
    expect(await engine.getBalance(carol)).toBe(0n);
    expect(await engine.getBalance(BRIDGE_ADDRESS)).toBe(0n);
    expect(await engine.getNonce(bob.address)).toBe(0n);
    expect(await totalBurned(engine)).toBe(0n);

    // The transactions are still pooled; the next block commits them.
    const { receipts } = await engine.produceBlock();
    expect(receipts.map((r) => r.status)).toEqual([1, 1]);
    expect(await engine.getBalance(carol)).toBe(7n);
    // Only the bridge's code credited the bridge: the cache follows what the block wrote, not just senders and recipients.
    expect(await engine.getBalance(BRIDGE_ADDRESS)).toBe(10_000n * SAT);
    expect(await engine.getNonce(bob.address)).toBe(1n);
    const fee = receipts[1]!.gasUsed * receipts[1]!.effectiveGasPrice;
    expect(await engine.getBalance(bob.address)).toBe(bobBefore - 10_000n * SAT - fee);
    expect(await totalBurned(engine)).toBe(10_000n);
    // Earlier blocks still answer from their own state.
    expect(await engine.getBalance(carol, 0n)).toBe(0n);
    await engine.close();
  });
});

describe('the pending nonce while a block is being switched in', () => {
  it('never falls behind a transaction whose block is committed, even when reads yield between commit and head switch', async () => {
    const store = new MemoryChainStore();
    const engine = await openTestEngine(fundedConfig([alice]), { store });
    // Make the post-commit account reads yield to the event loop, as a trie read that goes to Postgres does, and look
    // at the pending nonce from inside that gap: it is where a client that has just seen the receipt asks.
    const blockState = (engine as unknown as { blockState: { getAccount: (...a: unknown[]) => Promise<unknown> } }).blockState;
    const original = blockState.getAccount.bind(blockState);
    const seenInGap: bigint[] = [];
    let committing = false;
    blockState.getAccount = async (...args: unknown[]) => {
      if (committing) {
        await new Promise((r) => setImmediate(r));
        seenInGap.push(await engine.getPendingNonce(alice.address));
      }
      return original(...args);
    };
    await send(engine, alice, 0, { to: bob.address, value: 1n });
    expect(await engine.getPendingNonce(alice.address)).toBe(1n);
    committing = true;
    const { receipts } = await engine.produceBlock();
    committing = false;
    expect(receipts).toHaveLength(1);
    expect(seenInGap.length).toBeGreaterThan(0);
    expect(seenInGap.every((n) => n === 1n)).toBe(true);
    expect(await engine.getPendingNonce(alice.address)).toBe(1n);
    await engine.close();
  });
});
