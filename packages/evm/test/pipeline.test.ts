// Block pipelining: the next block executes while the previous one is being committed. Nothing of a block may be
// acknowledged before its own commit (head, receipts, balances, mint settlement), commits stay in order, a mint
// held by an uncommitted block is not credited again by the block executed on top of it, and a failed commit drops
// both blocks, leaving their transactions pooled and their mints queued for the retry.
import { Transaction, type Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { fromHex, MemoryChainStore, type BlockCommit, type EvmEngine } from '../src/index.js';
import { fundedConfig, openTestEngine, testWallets } from './support/chain.js';

const wallets = testWallets(3) as [Wallet, Wallet, Wallet];
const [alice, bob, carol] = wallets;
const sink = '0x00000000000000000000000000000000000051c1';
const recipient = '0x000000000000000000000000000000000000a11e';
const SAT_WEI = 10n ** 10n;

/** A memory store whose commits wait for a gate while it is closed, and fail once when armed. */
class GatedStore extends MemoryChainStore {
  readonly committed: bigint[] = [];
  readonly started: bigint[] = [];
  failNext = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  closeGate(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  openGate(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async commitBlock(commit: BlockCommit): Promise<void> {
    this.started.push(commit.block.number);
    if (this.gate !== undefined) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk on fire');
    }
    await super.commitBlock(commit);
    this.committed.push(commit.block.number);
  }
}

async function send(engine: EvmEngine, from: Wallet, nonce: number): Promise<string> {
  const raw = await from.signTransaction(
    Transaction.from({ type: 2, chainId: engine.chainId, nonce, to: sink, value: 1_000n, gasLimit: 21_000n, maxFeePerGas: engine.pendingBaseFee() * 4n, maxPriorityFeePerGas: 1n }),
  );
  return engine.sendRawTransaction(fromHex(raw));
}

/** Blocks executed on top of the committed head, not yet committed (the engine's sequencer; not public API). */
function pendingBlocks(engine: EvmEngine): number {
  return (engine as unknown as { sequencer: { pendingBlocks: number } }).sequencer.pendingBlocks;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Three senders, two transfers each; the block gas limit takes two transfers, so the pool needs three blocks. */
async function openLoaded(store: GatedStore): Promise<{ engine: EvmEngine; hashes: string[] }> {
  const engine = await openTestEngine(fundedConfig(wallets, undefined, { blockGasLimit: 50_000n }), { store });
  const hashes: string[] = [];
  for (let n = 0; n < 2; n++) for (const w of wallets) hashes.push(await send(engine, w, n));
  return { engine, hashes };
}

describe('block pipelining', () => {
  it('executes the next block during a commit but acknowledges nothing of it before its own commit', async () => {
    const store = new GatedStore();
    const { engine, hashes } = await openLoaded(store);
    const mint = await engine.queueMint({ depositId: 'dep-pipelined', recipient, amountSats: 5_000n });
    if (mint.status !== 'queued') throw new Error('mint not queued');
    let mintSettled = false;
    void mint.committed.then(() => (mintSettled = true));
    const events: bigint[] = [];
    engine.on('block', ({ block }) => events.push(block.header.number));

    store.closeGate();
    const first = engine.produceBlock();
    await until('block 1 commit to start', () => store.started.at(-1) === 1n);
    // Block 2 executes on top of block 1 while block 1 is still being written.
    await until('block 2 to execute ahead', () => pendingBlocks(engine) === 2 && store.started.at(-1) === 1n);
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.headNumber).toBe(0n);
    expect(events).toEqual([]);
    expect(mintSettled).toBe(false);
    expect(await engine.getReceipt(hashes[0]!)).toBeUndefined();
    expect(await engine.getBalance(recipient)).toBe(0n);
    expect(await engine.getNonce(alice.address)).toBe(0n);

    store.openGate();
    const one = await first;
    expect(one.block.header.number).toBe(1n);
    expect(one.block.transactions).toHaveLength(2);
    expect(one.mints.map((m) => m.depositId)).toEqual(['dep-pipelined']);
    expect(mintSettled).toBe(true);
    expect(engine.headNumber).toBe(1n);
    // Block 2 was executed ahead, not committed: the next call commits it, and it did not credit the mint again.
    const two = await engine.produceBlock();
    expect(two.block.header.number).toBe(2n);
    expect(two.mints).toEqual([]);
    expect(two.block.withdrawals ?? []).toHaveLength(0);
    const three = await engine.produceBlock();
    expect(store.committed).toEqual([0n, 1n, 2n, 3n]);
    expect(events).toEqual([1n, 2n, 3n]);
    expect([...one.block.transactions, ...two.block.transactions, ...three.block.transactions]).toHaveLength(6);
    for (const h of hashes) expect((await engine.getReceipt(h))?.status).toBe(1);
    for (const w of wallets) expect(await engine.getNonce(w.address)).toBe(2n);
    expect(await engine.getBalance(recipient)).toBe(5_000n * SAT_WEI);
    expect(await engine.getBalance(sink)).toBe(6_000n);
    await engine.close();

    // The store alone (a restart) gives the same head and state.
    const reopened = await openTestEngine(fundedConfig(wallets, undefined, { blockGasLimit: 50_000n }), { store });
    expect(reopened.headNumber).toBe(3n);
    expect(reopened.head.header.stateRoot).toEqual(three.block.header.stateRoot);
    expect(await reopened.getBalance(recipient)).toBe(5_000n * SAT_WEI);
    await reopened.close();
  });

  it('drops both blocks when the first commit fails: transactions stay pooled, the mint stays queued and is credited once', async () => {
    const store = new GatedStore();
    const { engine, hashes } = await openLoaded(store);
    const mint = await engine.queueMint({ depositId: 'dep-retried', recipient, amountSats: 7_000n });
    if (mint.status !== 'queued') throw new Error('mint not queued');
    const bobBefore = await engine.getBalance(bob.address);

    store.closeGate();
    store.failNext = true;
    const first = engine.produceBlock();
    await until('block 2 to execute ahead', () => pendingBlocks(engine) === 2 && store.started.at(-1) === 1n);
    store.openGate();
    await expect(first).rejects.toThrow(/disk on fire/);
    expect(engine.headNumber).toBe(0n);
    expect(pendingBlocks(engine)).toBe(0);
    expect(await engine.getBalance(recipient)).toBe(0n);
    expect(await engine.getNonce(carol.address)).toBe(0n);
    expect(await engine.getReceipt(hashes[0]!)).toBeUndefined();
    expect(engine.mempoolSize).toBe(6);

    const blocks = [await engine.produceBlock(), await engine.produceBlock(), await engine.produceBlock()];
    expect(blocks.map((b) => b.block.header.number)).toEqual([1n, 2n, 3n]);
    expect(blocks.flatMap((b) => b.mints.map((m) => m.depositId))).toEqual(['dep-retried']);
    expect((await mint.committed).blockNumber).toBe(1n);
    expect(store.committed).toEqual([0n, 1n, 2n, 3n]);
    for (const h of hashes) expect((await engine.getReceipt(h))?.status).toBe(1);
    expect(await engine.getBalance(recipient)).toBe(7_000n * SAT_WEI);
    expect(await engine.getNonce(bob.address)).toBe(2n);
    expect(await engine.getBalance(bob.address)).toBeLessThan(bobBefore - 2_000n);
    expect(engine.mempoolSize).toBe(0);
    // A replay of the committed blocks from genesis (a fresh engine over the same store) agrees.
    await engine.close();
    const reopened = await openTestEngine(fundedConfig(wallets, undefined, { blockGasLimit: 50_000n }), { store });
    expect(reopened.head.header.stateRoot).toEqual(blocks[2]!.block.header.stateRoot);
    expect(await reopened.getBalance(sink)).toBe(6_000n);
    await reopened.close();
  });

  it('closing with a block executed ahead drops it unacknowledged; a restart resumes at the committed head', async () => {
    const store = new GatedStore();
    const { engine, hashes } = await openLoaded(store);
    const one = await engine.produceBlock();
    expect(one.block.header.number).toBe(1n);
    await until('block 2 to execute ahead', () => pendingBlocks(engine) === 1);
    await engine.close();
    expect(store.committed).toEqual([0n, 1n]);
    const reopened = await openTestEngine(fundedConfig(wallets, undefined, { blockGasLimit: 50_000n }), { store });
    expect(reopened.headNumber).toBe(1n);
    expect(await reopened.getReceipt(hashes[0]!)).toBeDefined();
    expect(await reopened.getReceipt(hashes[5]!)).toBeUndefined();
    await reopened.close();
  });

  it('a reorg of a deposit whose mint a block is committing waits for that commit and records the mint as reorged', async () => {
    const store = new GatedStore();
    const engine = await openTestEngine(fundedConfig(wallets), { store });
    const mint = await engine.queueMint({ depositId: 'dep-racing', recipient, amountSats: 3_000n });
    if (mint.status !== 'queued') throw new Error('mint not queued');
    store.closeGate();
    const block = engine.produceBlock();
    await until('block 1 commit to start', () => store.started.at(-1) === 1n);
    let outcome: string | undefined;
    const reorg = engine.recordMintReorg('dep-racing', 'btc block orphaned').then((o) => (outcome = o));
    await new Promise((r) => setTimeout(r, 50));
    expect(outcome).toBeUndefined();
    store.openGate();
    await block;
    await reorg;
    expect(outcome).toBe('recorded');
    expect((await mint.committed).blockNumber).toBe(1n);
    expect((await engine.getMintReorgs()).map((r) => r.depositId)).toEqual(['dep-racing']);
    await engine.close();
  });
});
