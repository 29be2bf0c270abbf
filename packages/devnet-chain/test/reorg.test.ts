import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevnetChain, signP2wpkhInput } from '../src/index.js';
import { silentLogger, spendTx, testNode } from './helpers.js';

describe('reorgs', () => {
  it('invalidateblock rolls the chain back, returns transactions to the mempool, and getchaintips shows the fork', () => {
    const { node } = testNode();
    const miner = node.getNewAddress();
    node.generateToAddress(101, miner);
    const txid = node.sendToAddress(node.getNewAddress(), 50_000_000n);
    const [b102] = node.generateToAddress(1, miner);
    const [, b104] = node.generateToAddress(2, miner);
    expect(node.lookupTransaction(txid)?.entry?.hash).toBe(b102);

    node.invalidateBlock(b102!);
    expect(node.tip.height).toBe(101);
    expect(node.mempool.entries.has(txid)).toBe(true);
    expect(node.lookupTransaction(txid)?.entry).toBeUndefined();
    expect(node.getChainTips()).toEqual([
      { height: 104, hash: b104, branchlen: 3, status: 'invalid' },
      { height: 101, hash: node.getBlockHash(101), branchlen: 0, status: 'active' },
    ]);

    // A new branch confirms the transaction again and overtakes the invalid one.
    const fresh = node.generateToAddress(4, miner);
    expect(node.tip.height).toBe(105);
    expect(node.lookupTransaction(txid)?.entry?.hash).toBe(fresh[0]);
    expect(node.getChainTips().map((t) => t.status)).toEqual(['active', 'invalid']);

    // Reconsidered, the old branch is valid but has less work: it stays a fork.
    node.reconsiderBlock(b102!);
    expect(node.tip.hash).toBe(fresh[3]);
    expect(node.getChainTips()).toContainEqual({ height: 104, hash: b104, branchlen: 3, status: 'valid-fork' });
  });

  it('mining on an older block reorganises once the fork has more work', () => {
    const { node } = testNode();
    const miner = node.getNewAddress();
    node.generateToAddress(101, miner);
    const forkPoint = node.tip.hash;
    const txid = node.sendToAddress(node.getNewAddress(), 10_000_000n);
    const original = node.generateToAddress(2, miner);
    expect(node.lookupTransaction(txid)?.entry?.hash).toBe(original[0]);

    // Equal work does not move the tip (first seen wins).
    const fork = node.mineOn(forkPoint, 2);
    expect(node.tip.hash).toBe(original[1]);
    expect(node.getChainTips()).toContainEqual({ height: 103, hash: fork[1], branchlen: 2, status: 'valid-headers' });

    const longer = node.mineOn(fork[1]!, 1);
    expect(node.tip.hash).toBe(longer[0]);
    expect(node.tip.height).toBe(104);
    // The fork carried only coinbases: the transaction is unconfirmed again, not lost.
    expect(node.mempool.entries.has(txid)).toBe(true);
    expect(node.getChainTips()).toContainEqual({ height: 103, hash: original[1], branchlen: 2, status: 'valid-fork' });
    node.generateToAddress(1, miner);
    expect(node.lookupTransaction(txid)?.entry?.height).toBe(105);
  });

  it('drops a mempool spend of a coinbase that a reorg removed, keeps one whose coin survives', () => {
    const { node } = testNode();
    const miner = node.getNewAddress();
    node.generateToAddress(101, miner);
    const secret = node.dumpPrivKey(miner);
    const spendCoinbase = (height: number): string => {
      const entry = node.chain.active[height]!;
      const value = entry.block.txs[0]!.outs[0]!.value;
      const tx = spendTx({ txid: entry.txids[0]!, vout: 0 }, node.decodeAddress(node.getNewAddress()), value - 10_000n);
      tx.setWitness(0, signP2wpkhInput(tx, 0, secret, value));
      return node.sendRawTransaction(tx.toHex());
    };
    const survives = spendCoinbase(1);
    const orphaned = spendCoinbase(2);
    // A longer branch forking after block 1 replaces block 2 and its coinbase.
    node.mineOn(node.getBlockHash(1), 101);
    expect(node.tip.height).toBe(102);
    expect(node.mempool.entries.has(survives)).toBe(true);
    expect(node.mempool.entries.has(orphaned)).toBe(false);
  });
});

describe('persistence', () => {
  it('a restart keeps the chain, the invalid marks and the wallet', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-chain-'));
    try {
      const first = DevnetChain.open({ dataDir, logger: silentLogger() });
      const miner = first.getNewAddress();
      const taproot = first.getNewAddress('bech32m');
      first.generateToAddress(101, miner);
      const txid = first.sendToAddress(taproot, 70_000_000n);
      first.generateToAddress(3, miner);
      const tipBefore = first.tip.hash;
      first.invalidateBlock(first.getBlockHash(104));
      first.generateToAddress(2, miner);
      const state = { tip: first.tip.hash, balance: first.getBalance(), tips: first.getChainTips(), utxos: first.chain.utxo.size };
      first.close();

      const second = DevnetChain.open({ dataDir, logger: silentLogger() });
      expect(second.tip.hash).toBe(state.tip);
      expect(second.getChainTips()).toEqual(state.tips);
      expect(second.getChainTips()).toContainEqual(expect.objectContaining({ hash: tipBefore, status: 'invalid' }));
      expect(second.chain.utxo.size).toBe(state.utxos);
      expect(second.getBalance()).toBe(state.balance);
      expect(second.lookupTransaction(txid)?.entry?.height).toBe(102);
      expect(second.dumpPrivKey(taproot)).toEqual(first.dumpPrivKey(taproot));
      // And it keeps going from where it was; a pending transaction survives the next restart.
      second.generateToAddress(1, miner);
      expect(second.tip.height).toBe(106);
      const pending = second.sendToAddress(taproot, 1_000_000n);
      second.close();
      const withMempool = DevnetChain.open({ dataDir, logger: silentLogger() });
      expect([...withMempool.mempool.entries.keys()]).toEqual([pending]);
      withMempool.generateToAddress(1, miner);
      withMempool.close();

      // A torn write at the end of blocks.dat is dropped, not fatal.
      fs.appendFileSync(path.join(dataDir, 'blocks.dat'), Buffer.from('fabfb5da00100000deadbeef', 'hex'));
      const third = DevnetChain.open({ dataDir, logger: silentLogger() });
      expect(third.tip.height).toBe(107);
      expect(third.mempool.size).toBe(0);
      third.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an in-memory chain starts from genesis', () => {
    const { node } = testNode();
    expect(node.dataDir).toBeUndefined();
    expect(node.tip.height).toBe(0);
  });
});
