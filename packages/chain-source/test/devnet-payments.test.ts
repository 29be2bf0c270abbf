// What a payout pipeline asks of its Bitcoin sources, against the devnet chain's real RPC and Esplora servers:
// broadcast (idempotent), fee estimates under load, where a transaction is, whether an output is spent, a
// stuck payment replaced by RBF and confirmed once, a reorg taking a confirmation away and back, and a merkle
// proof the caller checks against its own header.
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex, decodeTransaction, hashToHex, headerHashHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { BitcoinCoreRpcSource, BroadcastError, EsploraSource, MultiSource, type ChainSource } from '../src/index.js';

let chain: TestDevnetChain;
let core: BitcoinCoreRpcSource;

beforeAll(async () => {
  // Ten mature coinbases: each payment below spends a confirmed coin of its own, never another's change.
  chain = await startTestDevnetChain(110, { rpcUser: 'tap', rpcPassword: 'bridge' });
  core = new BitcoinCoreRpcSource({ url: chain.rpcUrl, auth: { user: 'tap', password: 'bridge' } });
});

afterAll(async () => {
  const dataDir = chain.node.dataDir!;
  await chain.close();
  expect(fs.existsSync(dataDir)).toBe(false);
});

beforeEach(async () => {
  await core.call('devnet_setminingfloor', [0]);
  await core.call('devnet_setmempoolminfee', [0]);
});

const txidOf = (raw: Uint8Array): string => hashToHex(decodeTransaction(raw).txid);
const mine = async (n: number): Promise<string[]> => (await core.call('generatetoaddress', [n, chain.address])) as string[];

const variants = (): Array<[string, () => ChainSource]> => [
  ['BitcoinCoreRpcSource', () => core],
  ['EsploraSource', () => new EsploraSource({ url: chain.esploraUrl })],
  ['MultiSource(core, esplora)', () => new MultiSource([core, new EsploraSource({ url: chain.esploraUrl })])],
];

describe.each(variants())('%s for a payout pipeline', (_name, make) => {
  it('a payment stuck under a mining floor is replaced by a better-paying version and confirms once', async () => {
    const source = make();
    const node = chain.node;
    const first = node.createSignedTransaction(node.getNewAddress(), 500_000n, { feeRateSatPerVb: 2 });
    const firstId = txidOf(first);
    expect(await source.broadcastTransaction(first)).toMatchObject({ txid: firstId, status: 'accepted' });

    // The node comes under load: nothing below 10 sat/vB is mined any more, and the estimates say so.
    await core.call('devnet_setminingfloor', [10]);
    await mine(2);
    expect(await source.txStatus(firstId)).toEqual({ txid: firstId, inMempool: true, confirmed: false });
    const market = await source.estimateFeeRate(2);
    expect(market).toBeGreaterThanOrEqual(10);

    const input = decodeTransaction(first).inputs[0]!.prevout;
    // Core keeps no spend index: only Esplora (and so the MultiSource) names the spender.
    const namesSpender = !(source instanceof BitcoinCoreRpcSource);
    const spentBy = await source.outspend(hashToHex(input.txid), input.vout);
    expect(spentBy).toEqual(namesSpender ? { spent: true, confirmed: false, txid: firstId, vin: 0 } : { spent: true, confirmed: false });

    // The replacement: same input, the market rate (and more than old fee + its vsize, BIP125 rule 4).
    const second = chain.node.createBumpedTransaction(firstId, { feeRateSatPerVb: market }).tx;
    const secondId = txidOf(second);
    expect(await source.broadcastTransaction(bytesToHex(second))).toMatchObject({ txid: secondId, status: 'accepted' });
    expect(await source.txStatus(firstId)).toEqual({ txid: firstId, inMempool: false, confirmed: false });
    // The old version is refused now: its fee rate does not beat the replacement's.
    const refused = await source.broadcastTransaction(first).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BroadcastError);
    expect((refused as BroadcastError).failure).toMatchObject({ kind: 'rpc', code: -26, rpcMessage: expect.stringMatching(/^insufficient fee, rejecting replacement/) });

    const [blockHash] = await mine(1);
    const status = await source.txStatus(secondId);
    expect(status).toEqual({ txid: secondId, inMempool: false, confirmed: true, blockHash, blockHeight: chain.node.tip.height });
    expect(await source.outspend(hashToHex(input.txid), input.vout)).toEqual(
      namesSpender ? { spent: true, confirmed: true, txid: secondId, vin: 0, blockHash, blockHeight: status.blockHeight } : { spent: true, confirmed: true },
    );

    // Rebroadcasting the confirmed version is harmless; the proof checks against the header the caller holds.
    expect(await source.broadcastTransaction(second)).toMatchObject({ txid: secondId, status: 'already-known' });
    const proof = verifyMerkleBlockProof(await source.getTxMerkleProof(secondId, blockHash));
    const ownHeader = chain.node.getEntry(blockHash!).block.headerBytes;
    expect(headerHashHex(ownHeader)).toBe(hashToHex(proof.blockHash));
    expect(bytesToHex(proof.header.merkleRoot)).toBe(bytesToHex(chain.node.getEntry(blockHash!).block.header.merkleRoot));
    expect(proof.matches.map((m) => hashToHex(m.txid))).toEqual([secondId]);
  });

  it('a reorg takes a confirmation away (back to the mempool) and reconsidering brings it back', async () => {
    const source = make();
    const raw = chain.node.createSignedTransaction(chain.node.getNewAddress(), 250_000n, { feeRateSatPerVb: 3 });
    const txid = (await source.broadcastTransaction(raw)).txid;
    const [blockHash] = await mine(1);
    expect(await source.txStatus(txid)).toMatchObject({ confirmed: true, blockHash });
    await core.call('invalidateblock', [blockHash]);
    expect(await source.txStatus(txid)).toEqual({ txid, inMempool: true, confirmed: false });
    await core.call('reconsiderblock', [blockHash]);
    expect(await source.txStatus(txid)).toMatchObject({ confirmed: true, blockHash });
  });

  it('a raised mempool min fee refuses a cheap broadcast with Core\'s reason, and the estimates follow it', async () => {
    const source = make();
    await core.call('devnet_setmempoolminfee', [15]);
    expect(await source.estimateFeeRate(6)).toBeGreaterThanOrEqual(15);
    const cheap = chain.node.createSignedTransaction(chain.node.getNewAddress(), 100_000n, { feeRateSatPerVb: 4 });
    const e = await source.broadcastTransaction(cheap).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BroadcastError);
    expect((e as BroadcastError).failure).toMatchObject({ kind: 'rpc', code: -26, rpcMessage: expect.stringMatching(/^mempool min fee not met, \d+ < \d+$/) });
    expect((e as BroadcastError).reports.every((r) => !r.ok)).toBe(true);
  });
});

describe('MultiSource broadcast across live and dead sources', () => {
  it('reports each source, succeeds through the live ones', async () => {
    const dead = new EsploraSource({ url: 'http://127.0.0.1:9', name: 'dead', retry: { retries: 0 } });
    const multi = new MultiSource([dead, core, new EsploraSource({ url: chain.esploraUrl, name: 'esplora' })]);
    const raw = chain.node.createSignedTransaction(chain.node.getNewAddress(), 120_000n, { feeRateSatPerVb: 3 });
    const result = await multi.broadcastTransaction(raw);
    expect(result.txid).toBe(txidOf(raw));
    expect(result.sources.map((r) => [r.source, r.ok])).toEqual([
      ['dead', false],
      [core.name, true],
      ['esplora', true],
    ]);
    const deadReport = result.sources[0]!;
    expect(!deadReport.ok && deadReport.error.kind).toBe('network');
    expect(chain.node.mempool.entries.has(result.txid)).toBe(true);
    // The txid the pipeline records is the bytes' own, whatever the sources say.
    expect(await multi.broadcast(raw)).toBe(result.txid);
  });
});
