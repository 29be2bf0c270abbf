import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeTransaction, hashToHex, headerHashHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { startDevnetChain, type DevnetChainHandle } from '@tapbridge/devnet-chain';
import { BitcoinCoreRpcSource, BroadcastError, ChainSourceError, EsploraSource, type ChainSource } from '../src/index.js';

const noopLogger = (() => {
  const noop = (): void => undefined;
  const l = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => l, level: 'silent' };
  return l as unknown as NonNullable<Parameters<typeof startDevnetChain>[0]['logger']>;
})();

let handle: DevnetChainHandle;
let dataDir: string;
let confirmedTxid: string;
let confirmedBlock: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-source-devnet-'));
  handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, rpcUser: 'tap', rpcPassword: 'bridge', logger: noopLogger });
  const node = handle.node;
  const miner = node.getNewAddress();
  node.generateToAddress(101, miner);
  confirmedTxid = node.sendToAddress(node.getNewAddress('bech32m'), 25_000_000n, { feeRateSatPerVb: 5 });
  node.sendToAddress(node.getNewAddress(), 1_000_000n, { feeRateSatPerVb: 3 });
  confirmedBlock = node.generateToAddress(1, miner)[0]!;
  node.generateToAddress(2, miner);
});

afterAll(async () => {
  await handle.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const clients = (): Array<[string, () => ChainSource]> => [
  ['BitcoinCoreRpcSource', () => new BitcoinCoreRpcSource({ url: handle.rpcUrl, auth: { user: 'tap', password: 'bridge' } })],
  ['EsploraSource', () => new EsploraSource({ url: handle.esploraUrl })],
];

describe.each(clients())('%s against a running devnet-chain', (_name, make) => {
  it('reads the tip, hashes and headers consistent with the node', async () => {
    const source = make();
    const tip = await source.getTip();
    expect(tip).toEqual({ height: 104, hash: handle.node.tip.hash });
    expect(await source.getBlockHash(102)).toBe(confirmedBlock);
    const byHeight = await source.getHeader(102);
    const byHash = await source.getHeader(confirmedBlock);
    expect(byHeight).toEqual(byHash);
    expect(headerHashHex(byHash)).toBe(confirmedBlock);
    expect(hashToHex(byHash.subarray(4, 36))).toBe(await source.getBlockHash(101));
  });

  it('fetches raw blocks and transactions that hash to what was asked', async () => {
    const source = make();
    const block = await source.getRawBlock(confirmedBlock);
    expect(headerHashHex(block.subarray(0, 80))).toBe(confirmedBlock);
    expect(bytesToHex(block)).toBe(bytesToHex(handle.node.getEntry(confirmedBlock).block.raw));
    const tx = await source.getRawTransaction(confirmedTxid);
    expect(bytesToHex(tx)).toBe(handle.node.lookupTransaction(confirmedTxid)!.tx.toHex());
  });

  it('returns a merkle proof that rebuilds the block\'s root and names the transaction', async () => {
    const source = make();
    for (const proof of [await source.getTxMerkleProof(confirmedTxid), await source.getTxMerkleProof(confirmedTxid, confirmedBlock)]) {
      const parsed = verifyMerkleBlockProof(proof);
      expect(hashToHex(parsed.blockHash)).toBe(confirmedBlock);
      expect(parsed.txCount).toBe(3);
      expect(parsed.matches.map((m) => hashToHex(m.txid))).toEqual([confirmedTxid]);
    }
  });

  it('reports fee estimates in sat/vB from what the node mined', async () => {
    const estimates = await make().getFeeEstimates();
    expect(Object.keys(estimates).length).toBeGreaterThan(0);
    // The node mined transactions at 3 and 5 sat/vB (the wallet rounds fees up, so a bit above).
    for (const rate of Object.values(estimates)) expect(rate).toBeGreaterThanOrEqual(3);
    for (const rate of Object.values(estimates)) expect(rate).toBeLessThan(6);
  });

  it('broadcasts a transaction and returns its txid; a rejection is an rpc error', async () => {
    const source = make();
    const raw = handle.node.createSignedTransaction(handle.node.getNewAddress(), 700_000n);
    const txid = await source.broadcast(raw);
    expect(txid).toBe(hashToHex(decodeTransaction(raw).txid));
    expect(handle.node.mempool.entries.has(txid)).toBe(true);
    // Core answers a transaction it already has with its txid.
    expect(await source.broadcast(raw)).toBe(txid);
    const confirmed = await source.getRawTransaction(confirmedTxid);
    const e = await source.broadcast(confirmed).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ChainSourceError);
    expect((e as ChainSourceError).failure).toEqual({ kind: 'rpc', code: -27, rpcMessage: 'Transaction outputs already in utxo set' });
  });

  it('broadcastTransaction takes hex or bytes and treats "already have it" as success, mempool or chain', async () => {
    const source = make();
    const raw = handle.node.createSignedTransaction(handle.node.getNewAddress(), 650_000n);
    const txid = hashToHex(decodeTransaction(raw).txid);
    expect(await source.broadcastTransaction(bytesToHex(raw))).toEqual({ txid, status: 'accepted', sources: [{ source: source.name, ok: true, status: 'accepted' }] });
    const again = await source.broadcastTransaction(raw);
    // Core answers a transaction already in its mempool with its txid: that is an acceptance as far as the wire says.
    expect(again.txid).toBe(txid);
    expect(again.sources[0]!.ok).toBe(true);
    const confirmed = await source.broadcastTransaction(await source.getRawTransaction(confirmedTxid));
    expect(confirmed).toMatchObject({ txid: confirmedTxid, status: 'already-known', sources: [{ ok: true, status: 'already-known', detail: 'Transaction outputs already in utxo set' }] });
    // A transaction spending a coin that never existed is refused: a BroadcastError with Core's -25.
    const ghost = bytesToHex(raw).replace(bytesToHex(raw.subarray(7, 39)), '55'.repeat(32));
    const e = await source.broadcastTransaction(ghost).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BroadcastError);
    expect((e as BroadcastError).failure).toMatchObject({ kind: 'rpc', code: -25 });
    expect((e as BroadcastError).reports).toMatchObject([{ source: source.name, ok: false, error: { failure: { kind: 'rpc', code: -25 } } }]);
  });

  it('reports where a transaction is: mempool, confirmed (block and height), unknown', async () => {
    const source = make();
    expect(await source.txStatus(confirmedTxid)).toEqual({ txid: confirmedTxid, inMempool: false, confirmed: true, blockHash: confirmedBlock, blockHeight: 102 });
    expect(await source.txStatus(confirmedTxid, { blockHash: confirmedBlock })).toMatchObject({ confirmed: true, blockHeight: 102 });
    const pending = handle.node.sendToAddress(handle.node.getNewAddress(), 300_000n);
    expect(await source.txStatus(pending)).toEqual({ txid: pending, inMempool: true, confirmed: false });
    expect(await source.txStatus('33'.repeat(32))).toEqual({ txid: '33'.repeat(32), inMempool: false, confirmed: false });
    await expect(source.txStatus('nothex')).rejects.toBeInstanceOf(TypeError);
  });

  it('reports whether an output is spent, in the mempool or the chain, and refuses outputs that do not exist', async () => {
    const source = make();
    const tx = handle.node.lookupTransaction(confirmedTxid)!.tx;
    const spentInput = tx.ins[0]!;
    const spent = await source.outspend(hashToHex(spentInput.hash), spentInput.index);
    // Esplora names the spender; Core keeps no spend index.
    expect(spent).toEqual(
      source instanceof EsploraSource
        ? { spent: true, confirmed: true, txid: confirmedTxid, vin: 0, blockHash: confirmedBlock, blockHeight: 102 }
        : { spent: true, confirmed: true },
    );
    const unspentVout = tx.outs.findIndex((_, vout) => handle.node.chain.utxo.get(`${confirmedTxid}:${vout}`) !== undefined && !handle.node.mempool.spentBy.has(`${confirmedTxid}:${vout}`));
    expect(await source.outspend(confirmedTxid, unspentVout)).toEqual({ spent: false });
    await expect(source.outspend(confirmedTxid, 77)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(source.outspend('44'.repeat(32), 0)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(source.outspend(confirmedTxid, -1)).rejects.toBeInstanceOf(TypeError);
  });

  it('estimates a fee rate in sat/vB for a target', async () => {
    const source = make();
    const rate = await source.estimateFeeRate(6);
    expect(rate).toBeGreaterThanOrEqual(1);
    await expect(source.estimateFeeRate(0)).rejects.toBeInstanceOf(TypeError);
    await expect(source.estimateFeeRate(1009)).rejects.toBeInstanceOf(TypeError);
  });

  it('maps unknown blocks, heights and transactions to not-found', async () => {
    const source = make();
    await expect(source.getBlockHash(10_000)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(source.getHeader('11'.repeat(32))).rejects.toMatchObject({ kind: 'not-found' });
    await expect(source.getRawTransaction('22'.repeat(32))).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('rejects bad arguments before asking', async () => {
    const source = make();
    await expect(source.getBlockHash(-1)).rejects.toBeInstanceOf(TypeError);
    await expect(source.getRawBlock('xyz')).rejects.toBeInstanceOf(TypeError);
    await expect(source.broadcast(Uint8Array.of(1, 2, 3))).rejects.toBeInstanceOf(TypeError);
  });
});

describe('BitcoinCoreRpcSource authentication', () => {
  it('authenticates with the cookie file and re-reads it after the node rewrites it', async () => {
    const source = new BitcoinCoreRpcSource({ url: handle.rpcUrl, auth: { cookieFile: handle.cookieFile } });
    expect((await source.getTip()).height).toBe(handle.node.tip.height);
    // A restarted node writes a new cookie; a stale copy must be replaced, not fail forever.
    const copy = path.join(dataDir, 'cookie-copy');
    fs.writeFileSync(copy, '__cookie__:' + '00'.repeat(32));
    const stale = new BitcoinCoreRpcSource({ url: handle.rpcUrl, auth: { cookieFile: copy } });
    await expect(stale.getTip()).rejects.toMatchObject({ kind: 'http', failure: { status: 401 } });
    fs.copyFileSync(handle.cookieFile, copy);
    expect((await stale.getTip()).hash).toBe(handle.node.tip.hash);
  });

  it('turns a wrong password into a typed 401 error without retrying', async () => {
    let sleeps = 0;
    const source = new BitcoinCoreRpcSource({
      url: handle.rpcUrl,
      auth: { user: 'tap', password: 'wrong' },
      retryEnvironment: { sleep: async () => void sleeps++, random: () => 0.5 },
    });
    const e = await source.getTip().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ChainSourceError);
    expect((e as ChainSourceError).failure).toMatchObject({ kind: 'http', status: 401 });
    expect(sleeps).toBe(0);
  });
});
