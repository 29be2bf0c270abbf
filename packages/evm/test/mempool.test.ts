import { Transaction, type Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { fromHex, type EvmEngine } from '../src/index.js';
import { fundedConfig, ONE_BTC_WEI, openTestEngine, testWallets } from './support/chain.js';

const [alice, bob, carol, dave] = testWallets(4) as [Wallet, Wallet, Wallet, Wallet];

async function sign(engine: EvmEngine, from: Wallet, nonce: number, tip: bigint, value = 1n, maxFee?: bigint): Promise<Uint8Array> {
  const tx = Transaction.from({
    type: 2, chainId: engine.chainId, nonce, to: carol.address, value, gasLimit: 21_000n,
    maxFeePerGas: maxFee ?? engine.pendingBaseFee() * 2n + tip, maxPriorityFeePerGas: tip,
  });
  return fromHex(await from.signTransaction(tx));
}

describe('mempool and block selection', () => {
  it('orders by effective tip across senders and by nonce within a sender', async () => {
    const engine = await openTestEngine(fundedConfig([alice, bob]));
    // Alice's second transaction pays the most, but cannot go before her first.
    const a0 = await engine.sendRawTransaction(await sign(engine, alice, 0, 1n));
    const a1 = await engine.sendRawTransaction(await sign(engine, alice, 1, 100n));
    const b0 = await engine.sendRawTransaction(await sign(engine, bob, 0, 10n));
    const { receipts } = await engine.produceBlock();
    expect(receipts.map((r) => r.transactionHash)).toEqual([b0, a0, a1]);
    await engine.close();
  });

  it('replaces a pending transaction only for a 10% higher fee', async () => {
    const engine = await openTestEngine(fundedConfig([alice]));
    const base = engine.pendingBaseFee() * 2n;
    await engine.sendRawTransaction(await sign(engine, alice, 0, 100n, 1n, base + 100n));
    await expect(engine.sendRawTransaction(await sign(engine, alice, 0, 105n, 2n, base + 105n))).rejects.toThrow(/replacement transaction underpriced/);
    const replacement = await engine.sendRawTransaction(await sign(engine, alice, 0, 200n, 3n, (base + 100n) * 2n));
    expect(engine.mempoolSize).toBe(1);
    const { receipts } = await engine.produceBlock();
    expect(receipts.map((r) => r.transactionHash)).toEqual([replacement]);
    await engine.close();
  });

  it('counts all of a sender\'s pending transactions against the balance', async () => {
    const engine = await openTestEngine(fundedConfig([alice], ONE_BTC_WEI));
    await engine.sendRawTransaction(await sign(engine, alice, 0, 1n, ONE_BTC_WEI / 2n));
    await expect(engine.sendRawTransaction(await sign(engine, alice, 1, 1n, ONE_BTC_WEI / 2n))).rejects.toThrow(/insufficient funds/);
    await engine.close();
  });

  it('keeps a transaction with a nonce gap until the gap is filled', async () => {
    const engine = await openTestEngine(fundedConfig([alice]));
    const later = await engine.sendRawTransaction(await sign(engine, alice, 1, 1n));
    expect((await engine.produceBlock()).receipts).toHaveLength(0);
    expect(await engine.getPendingNonce(alice.address)).toBe(0n);
    const first = await engine.sendRawTransaction(await sign(engine, alice, 0, 1n));
    expect(await engine.getPendingNonce(alice.address)).toBe(2n);
    expect((await engine.produceBlock()).receipts.map((r) => r.transactionHash)).toEqual([first, later]);
    expect(engine.mempoolSize).toBe(0);
    await engine.close();
  });

  it('rejects a sender that has code (EIP-3607)', async () => {
    const config = fundedConfig([alice]);
    config.alloc.set(alice.address.toLowerCase(), { balance: ONE_BTC_WEI, nonce: 0n, code: Uint8Array.of(0x00) });
    const engine = await openTestEngine(config);
    await expect(engine.sendRawTransaction(await sign(engine, alice, 0, 1n))).rejects.toThrow(/sender not an eoa/);
    await engine.close();
  });

  it('rejects a transaction signed for another chain', async () => {
    const engine = await openTestEngine(fundedConfig([alice]));
    const tx = Transaction.from({ type: 2, chainId: 1n, nonce: 0, to: carol.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n });
    await expect(engine.sendRawTransaction(fromHex(await alice.signTransaction(tx)))).rejects.toThrow(/chain id/);
    await engine.close();
  });

  it('bounds each sender\'s pending and queued transactions (geth AccountSlots / AccountQueue)', async () => {
    const engine = await openTestEngine(fundedConfig([alice]), { mempoolLimits: { accountSlots: 2, accountQueue: 1 } });
    await engine.sendRawTransaction(await sign(engine, alice, 0, 1n));
    await engine.sendRawTransaction(await sign(engine, alice, 1, 1n));
    await expect(engine.sendRawTransaction(await sign(engine, alice, 2, 1n))).rejects.toThrow(/account limit exceeded: 2 pending transactions, at most 2/);
    await engine.sendRawTransaction(await sign(engine, alice, 5, 1n));
    await expect(engine.sendRawTransaction(await sign(engine, alice, 7, 1n))).rejects.toThrow(/account limit exceeded: 1 queued transactions, at most 1/);
    expect(engine.mempoolSize).toBe(3);
    // Once the pending ones are mined, the sender has room again.
    await engine.produceBlock();
    await engine.sendRawTransaction(await sign(engine, alice, 2, 1n));
    expect(engine.mempoolSize).toBe(2);
    await engine.close();
  });

  it('drops queued (nonce-gap) transactions after their lifetime, keeping the rest', async () => {
    let clock = Date.UTC(2026, 0, 2);
    const engine = await openTestEngine(fundedConfig([alice, bob]), { now: () => clock, mempoolLimits: { queuedLifetimeMs: 60_000 } });
    const gapped = await engine.sendRawTransaction(await sign(engine, alice, 3, 1n));
    clock += 30_000;
    const young = await engine.sendRawTransaction(await sign(engine, bob, 2, 1n));
    await engine.produceBlock();
    expect(engine.pendingTransaction(gapped)).toBeDefined();
    clock += 31_000; // alice's is 61 s old, bob's 31 s
    await engine.produceBlock();
    expect(engine.pendingTransaction(gapped)).toBeUndefined();
    expect(engine.pendingTransaction(young)).toBeDefined();
    expect(engine.mempoolSize).toBe(1);
    // The sender can start over from the account nonce.
    await engine.sendRawTransaction(await sign(engine, alice, 0, 1n));
    expect((await engine.produceBlock()).receipts).toHaveLength(1);
    await engine.close();
  });

  it('when full, evicts the lowest effective tip for a better-paying transaction and refuses a worse one', async () => {
    const engine = await openTestEngine(fundedConfig([alice, bob, carol, dave]), { mempoolLimits: { maxTransactions: 3 } });
    const cheap = await engine.sendRawTransaction(await sign(engine, alice, 0, 1n));
    const cheapFollower = await engine.sendRawTransaction(await sign(engine, alice, 1, 50n));
    const rich = await engine.sendRawTransaction(await sign(engine, bob, 0, 100n));
    await expect(engine.sendRawTransaction(await sign(engine, carol, 0, 1n))).rejects.toThrow(/transaction underpriced/);
    const better = await engine.sendRawTransaction(await sign(engine, carol, 0, 10n));
    // Alice's nonce 0 paid least; her nonce 1 could no longer execute and left with it.
    expect(engine.pendingTransaction(cheap)).toBeUndefined();
    expect(engine.pendingTransaction(cheapFollower)).toBeUndefined();
    expect(engine.mempoolSize).toBe(2);
    await engine.sendRawTransaction(await sign(engine, dave, 0, 20n));
    const { receipts } = await engine.produceBlock();
    expect(receipts.map((r) => r.transactionHash).slice(0, 1)).toEqual([rich]);
    expect(receipts.map((r) => r.transactionHash)).toContain(better);
    await engine.close();
  });

  it('replaces a queued transaction too only with a 10% bump, and keeps the count', async () => {
    const engine = await openTestEngine(fundedConfig([alice]), { mempoolLimits: { accountQueue: 1 } });
    const base = engine.pendingBaseFee() * 2n;
    await engine.sendRawTransaction(await sign(engine, alice, 4, 100n, 1n, base + 100n));
    await expect(engine.sendRawTransaction(await sign(engine, alice, 4, 109n, 1n, base + 109n))).rejects.toThrow(/replacement transaction underpriced/);
    // A replacement is not a new queued transaction, so the per-account queue limit does not refuse it.
    await engine.sendRawTransaction(await sign(engine, alice, 4, 110n, 1n, (base + 100n) * 2n));
    expect(engine.mempoolSize).toBe(1);
    await engine.close();
  });
});
