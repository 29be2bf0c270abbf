// The devnet as a node under load: a raised mempool min fee (sendrawtransaction refuses less, as Core does), a
// mining floor that leaves cheap transactions unconfirmed across blocks until a better-paying version replaces
// them, and fee estimates (estimatesmartfee, Esplora /fee-estimates) that follow both.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex, witnessScript } from '@tapbridge/bitcoin';
import { RPC_ERROR, startDevnetChain, type DevnetChain, type DevnetChainHandle } from '../src/index.js';
import { keyedCoin, outputOf, rejectReason, rejection, silentLogger, spendWithFee, testNode, type KeyedCoin } from './helpers.js';

const burn = witnessScript(0, new Uint8Array(20).fill(1));
const burn2 = witnessScript(0, new Uint8Array(20).fill(2));
/** Fee of a one-input, one-output P2WPKH spend at `satPerVb` (its vsize is 110 or 109 vB). */
const feeAt = (satPerVb: number): bigint => BigInt(Math.ceil(satPerVb * 110));
const rateOf = (tx: Transaction, fee: bigint): number => Number(fee) / tx.virtualSize();

describe('devnet fee policy in process', () => {
  let node: DevnetChain;
  let miner: string;
  const coin = (value?: bigint): KeyedCoin => keyedCoin(node, miner, value);

  beforeEach(() => {
    ({ node } = testNode());
    miner = node.getNewAddress();
    node.generateToAddress(101, miner);
  });

  it('a raised mempool min fee refuses cheaper transactions with Core\'s reason, after the min relay check', () => {
    expect(node.feePolicy).toEqual({ mempoolMinFeeSatPerKvB: 1_000n, miningFloorSatPerKvB: 0n });
    node.setMempoolMinFee(10);
    expect(node.feePolicy.mempoolMinFeeSatPerKvB).toBe(10_000n);
    const c = coin();
    const cheap = spendWithFee([c], feeAt(5), burn);
    const e = rejection(() => node.sendRawTransaction(cheap.toHex()));
    expect(e.code).toBe(RPC_ERROR.VERIFY_REJECTED);
    expect(e.message).toBe(`mempool min fee not met, ${feeAt(5)} < ${cheap.virtualSize() * 10}`);
    expect(node.testMempoolAccept([cheap.toHex()])[0]).toMatchObject({ allowed: false, rejectReason: 'mempool min fee not met' });
    // Below even the min relay fee: Core reports that first.
    expect(rejectReason(() => node.sendRawTransaction(spendWithFee([c], 50n, burn).toHex()))).toBe('min relay fee not met');
    // feeAt(10) covers the larger of the two vsizes: a fresh signature may make this spend 1 vB bigger than `cheap`.
    const enough = spendWithFee([c], feeAt(10), burn);
    expect(node.sendRawTransaction(enough.toHex())).toBe(enough.getId());
    // The wallet, like Core's, pays at least the mempool min fee when the caller names no rate.
    const walletTxid = node.sendToAddress(node.getNewAddress(), 100_000n);
    const entry = node.mempool.entries.get(walletTxid)!;
    expect(Number(entry.fee) / entry.vsize).toBeGreaterThanOrEqual(10);
    node.setMempoolMinFee(0);
    expect(node.feePolicy.mempoolMinFeeSatPerKvB).toBe(1_000n);
    expect(() => node.setMempoolMinFee(-1)).toThrow(/sat\/vB/);
    expect(() => node.setMiningFloor(Number.NaN)).toThrow(/sat\/vB/);
  });

  it('evicts transactions below a raised min fee, with their descendants, only when asked', () => {
    const [a, b] = [coin(), coin()];
    const parent = spendWithFee([a], feeAt(3), a.script);
    node.sendRawTransaction(parent.toHex());
    const child = spendWithFee([outputOf(parent, 0, a)], feeAt(30), burn);
    node.sendRawTransaction(child.toHex());
    const rich = spendWithFee([b], feeAt(20), burn);
    node.sendRawTransaction(rich.toHex());
    expect(node.setMempoolMinFee(5)).toEqual([]);
    expect(node.mempool.size).toBe(3);
    expect(node.setMempoolMinFee(5, { evict: true }).sort()).toEqual([parent.getId(), child.getId()].sort());
    expect([...node.mempool.entries.keys()]).toEqual([rich.getId()]);
  });

  it('a reorg returns cheap transactions to the mempool despite a raised min fee (Core\'s bypass_limits)', () => {
    const c = coin();
    const cheap = spendWithFee([c], feeAt(2), burn);
    node.sendRawTransaction(cheap.toHex());
    const [blockHash] = node.generateToAddress(1, miner);
    expect(node.tip.txids).toContain(cheap.getId());
    node.setMempoolMinFee(50);
    node.invalidateBlock(blockHash!);
    expect(node.mempool.entries.has(cheap.getId())).toBe(true);
  });

  it('the mining floor keeps a transaction unconfirmed across blocks until a better-paying replacement confirms', () => {
    node.setMiningFloor(5);
    const c = coin();
    const stuck = spendWithFee([c], feeAt(2), burn);
    node.sendRawTransaction(stuck.toHex());
    const other = coin();
    const paying = spendWithFee([other], feeAt(6), burn);
    node.sendRawTransaction(paying.toHex());
    node.generateToAddress(3, miner);
    expect(node.tip.txids).not.toContain(stuck.getId());
    expect(node.lookupTransaction(paying.getId())!.entry).toBeDefined();
    expect(node.mempool.entries.has(stuck.getId())).toBe(true);
    expect(node.lookupTransaction(stuck.getId())!.entry).toBeUndefined();
    // The estimates have risen to the floor.
    for (const target of [1, 2, 6, 144]) expect(node.estimateFeeRate(target)).toBeGreaterThanOrEqual(5);

    // A replacement at the market rate: rule 4 wants old fee + its vsize, comfortably met here.
    const bumped = spendWithFee([c], feeAt(8), burn);
    expect(rateOf(bumped, feeAt(8))).toBeGreaterThanOrEqual(5);
    node.sendRawTransaction(bumped.toHex());
    expect(node.mempool.entries.has(stuck.getId())).toBe(false);
    node.generateToAddress(1, miner);
    expect(node.tip.txids).toContain(bumped.getId());
    expect(node.lookupTransaction(stuck.getId())).toBeUndefined();
  });

  it('a transaction held back by the floor confirms once the floor is lowered', () => {
    node.setMiningFloor(5);
    const c = coin();
    const cheap = spendWithFee([c], feeAt(2), burn);
    node.sendRawTransaction(cheap.toHex());
    node.generateToAddress(2, miner);
    expect(node.mempool.entries.has(cheap.getId())).toBe(true);
    node.setMiningFloor(0);
    node.generateToAddress(1, miner);
    expect(node.tip.txids).toContain(cheap.getId());
  });

  it('bumpfee replaces a wallet transaction from its change, keeping its payment', () => {
    node.setMiningFloor(5);
    const to = node.getNewAddress();
    const stuck = node.sendToAddress(to, 1_000_000n, { feeRateSatPerVb: 2 });
    node.generateToAddress(1, miner);
    expect(node.mempool.entries.has(stuck)).toBe(true);
    const dry = node.createBumpedTransaction(stuck, { feeRateSatPerVb: 6 });
    expect(node.mempool.entries.has(stuck)).toBe(true);
    expect(dry.origFee).toBe(node.mempool.entries.get(stuck)!.fee);
    const bumped = node.bumpFee(stuck, { feeRateSatPerVb: 6 });
    expect(bumped.fee).toBe(dry.fee);
    const entry = node.mempool.entries.get(bumped.txid)!;
    expect(Number(entry.fee) / entry.vsize).toBeGreaterThanOrEqual(6);
    expect(node.mempool.entries.has(stuck)).toBe(false);
    expect(entry.tx.outs.some((o) => o.value === 1_000_000n && bytesToHex(o.script) === bytesToHex(node.decodeAddress(to)))).toBe(true);
    node.generateToAddress(1, miner);
    expect(node.tip.txids).toContain(bumped.txid);
    expect(rejection(() => node.bumpFee(bumped.txid))).toMatchObject({ code: RPC_ERROR.INVALID_ADDRESS_OR_KEY, message: 'Invalid or non-wallet transaction id' });
    const foreign = spendWithFee([coin()], feeAt(2), burn);
    node.sendRawTransaction(foreign.toHex());
    expect(rejection(() => node.bumpFee(foreign.getId())).message).toBe('Transaction does not have a change output');
  });

  it('generateblock mines exactly the named transactions, even a replaced version, checked before it is stored', () => {
    node.setMiningFloor(50);
    const c = coin();
    const first = spendWithFee([c], feeAt(2), burn);
    node.sendRawTransaction(first.toHex());
    const second = spendWithFee([c], feeAt(6), burn2);
    node.sendRawTransaction(second.toHex());
    expect(node.mempool.entries.has(first.getId())).toBe(false);

    const tip = node.tip.hash;
    const dry = node.generateBlock(miner, [first.toHex()], false);
    expect(dry.hex).toMatch(/^[0-9a-f]+$/);
    expect(node.tip.hash).toBe(tip);

    // The replaced version, not in the mempool any more, confirms: the mempool's version is dropped as a conflict.
    const { hash } = node.generateBlock(miner, [first.toHex()]);
    expect(node.tip.hash).toBe(hash);
    expect(node.tip.txids.slice(1)).toEqual([first.getId()]);
    expect(node.mempool.entries.has(second.getId())).toBe(false);
    // The coinbase collects the fee.
    const coinbaseValue = node.tip.block.txs[0]!.outs.reduce((s, o) => s + o.value, 0n);
    expect(coinbaseValue).toBe(5_000_000_000n + feeAt(2));

    const pooled = spendWithFee([coin()], feeAt(3), burn);
    node.sendRawTransaction(pooled.toHex());
    node.generateBlock(miner, [pooled.getId()]);
    expect(node.tip.txids).toContain(pooled.getId());

    const notPooled = rejection(() => node.generateBlock(miner, ['ab'.repeat(32)]));
    expect(notPooled).toMatchObject({ code: RPC_ERROR.INVALID_ADDRESS_OR_KEY, message: `Transaction ${'ab'.repeat(32)} not in mempool.` });
    expect(rejection(() => node.generateBlock(miner, ['00'])).code).toBe(RPC_ERROR.DESERIALIZATION_ERROR);
    const doubleSpend = rejection(() => node.generateBlock(miner, [second.toHex()]));
    expect(doubleSpend.code).toBe(RPC_ERROR.VERIFY_ERROR);
    expect(doubleSpend.message).toMatch(/^TestBlockValidity failed: bad-txns-inputs-missingorspent/);
    expect(node.chain.getEntry(node.tip.hash).failure).toBe('none');
    expect(rejection(() => node.generateBlock('nonsense', [])).code).toBe(RPC_ERROR.INVALID_ADDRESS_OR_KEY);
  });
});

describe('devnet fee policy over JSON-RPC and Esplora', () => {
  let handle: DevnetChainHandle;
  let dataDir: string;
  const auth = 'Basic ' + Buffer.from('u:p').toString('base64');

  async function call(method: string, params: unknown = []): Promise<unknown> {
    const res = await fetch(handle.rpcUrl, { method: 'POST', headers: { Authorization: auth }, body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }) });
    const reply = (await res.json()) as { result: unknown; error: { code: number; message: string } | null };
    if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.result;
  }
  const esplora = async (p: string, init?: RequestInit): Promise<Response> => fetch(handle.esploraUrl + p, init);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-fee-policy-'));
    handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, rpcUser: 'u', rpcPassword: 'p', logger: silentLogger(), mempoolMinFeeSatPerVb: 3 });
    handle.node.generateToAddress(101, handle.node.getNewAddress());
  });

  afterAll(async () => {
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with the configured min fee and reports it in getmempoolinfo and devnet_getfeepolicy', async () => {
    expect(await call('getmempoolinfo')).toMatchObject({ mempoolminfee: 0.00003, minrelaytxfee: 0.00001, incrementalrelayfee: 0.00001, fullrbf: true });
    expect(await call('devnet_getfeepolicy')).toEqual({ mempoolminfee: 0.00003, miningfloor: 0, mempoolminfee_sat_vb: 3, miningfloor_sat_vb: 0 });
  });

  it('devnet_setmempoolminfee and devnet_setminingfloor move getmempoolinfo, estimatesmartfee and /fee-estimates', async () => {
    expect(await call('devnet_setmempoolminfee', [12.5])).toEqual({ mempoolminfee: 0.000125, miningfloor: 0, mempoolminfee_sat_vb: 12.5, miningfloor_sat_vb: 0, evicted: [] });
    expect(await call('getmempoolinfo')).toMatchObject({ mempoolminfee: 0.000125 });
    expect(await call('estimatesmartfee', [6])).toEqual({ feerate: 0.000125, blocks: 6 });
    expect(await call('devnet_setminingfloor', { feerate_sat_vb: 20 })).toMatchObject({ miningfloor: 0.0002, miningfloor_sat_vb: 20 });
    expect(await call('estimatesmartfee', [2, 'economical'])).toEqual({ feerate: 0.0002, blocks: 2 });
    const estimates = (await (await esplora('/fee-estimates')).json()) as Record<string, number>;
    expect(Object.keys(estimates)).toEqual(expect.arrayContaining(['1', '2', '6', '25', '144', '1008']));
    for (const rate of Object.values(estimates)) expect(rate).toBe(20);
    await expect(call('devnet_setminingfloor', [-2])).rejects.toMatchObject({ code: RPC_ERROR.INVALID_PARAMETER });
    await expect(call('devnet_setmempoolminfee', [])).rejects.toMatchObject({ code: RPC_ERROR.MISC_ERROR });
    await expect(call('devnet_setmempoolminfee', ['x'])).rejects.toMatchObject({ code: RPC_ERROR.TYPE_ERROR });
    await call('devnet_setminingfloor', [0]);
    await call('devnet_setmempoolminfee', [0]);
    expect(await call('getmempoolinfo')).toMatchObject({ mempoolminfee: 0.00001 });
  });

  it('sendrawtransaction and Esplora POST /tx refuse a transaction under the min fee with Core\'s error', async () => {
    const node = handle.node;
    const raw = bytesToHex(node.createSignedTransaction(node.getNewAddress(), 500_000n, { feeRateSatPerVb: 2 }));
    await call('devnet_setmempoolminfee', [10]);
    await expect(call('sendrawtransaction', [raw])).rejects.toMatchObject({ code: -26, message: expect.stringMatching(/^mempool min fee not met, \d+ < \d+$/) });
    const posted = await esplora('/tx', { method: 'POST', body: raw });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toMatch(/^sendrawtransaction RPC error: \{"code":-26,"message":"mempool min fee not met, \d+ < \d+"\}$/);
    const [result] = (await call('testmempoolaccept', [[raw]])) as Array<Record<string, unknown>>;
    expect(result).toMatchObject({ allowed: false, 'reject-reason': 'mempool min fee not met' });
    await call('devnet_setmempoolminfee', [0]);
    expect(await call('sendrawtransaction', [raw])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('getmempoolentry describes a mempool transaction like Core, and -5 for anything else', async () => {
    const node = handle.node;
    const miner = node.getNewAddress();
    const c = keyedCoin(node, miner);
    const parentTx = spendWithFee([c], 1_000n, c.script);
    const parentId = (await call('sendrawtransaction', [parentTx.toHex()])) as string;
    const parent = node.mempool.entries.get(parentId)!;
    const child = spendWithFee([outputOf(parentTx, 0, c)], 1_000n, burn);
    const childId = await call('sendrawtransaction', [child.toHex()]);
    const address = node.getNewAddress();
    const entry = (await call('getmempoolentry', [parentId])) as Record<string, unknown>;
    expect(entry).toMatchObject({
      vsize: parent.vsize,
      weight: parent.weight,
      height: node.tip.height,
      descendantcount: 2,
      descendantsize: parent.vsize + child.virtualSize(),
      ancestorcount: 1,
      ancestorsize: parent.vsize,
      wtxid: parent.wtxid,
      fees: { base: Number(parent.fee) / 1e8, modified: Number(parent.fee) / 1e8, ancestor: Number(parent.fee) / 1e8, descendant: Number(parent.fee + 1_000n) / 1e8 },
      depends: [],
      spentby: [childId],
      'bip125-replaceable': true,
      unbroadcast: false,
    });
    expect(await call('getmempoolentry', [childId])).toMatchObject({ depends: [parentId], spentby: [], ancestorcount: 2, descendantcount: 1 });
    const verbose = (await call('getrawmempool', [true])) as Record<string, unknown>;
    expect(verbose[parentId]).toEqual(entry);
    await expect(call('getmempoolentry', ['77'.repeat(32)])).rejects.toMatchObject({ code: -5, message: 'Transaction not in mempool' });
    await expect(call('getmempoolentry', ['xyz'])).rejects.toMatchObject({ code: -8 });
    // Esplora sees both in its mempool; confirmed, the RPC says the block and its depth.
    expect(await (await esplora(`/tx/${childId as string}/status`)).json()).toEqual({ confirmed: false });
    const [blockHash] = (await call('generatetoaddress', [2, address])) as string[];
    await expect(call('getmempoolentry', [parentId])).rejects.toMatchObject({ code: -5 });
    expect(await call('getrawtransaction', [childId, true])).toMatchObject({ blockhash: blockHash, confirmations: 2 });
    expect(await call('getrawtransaction', [childId, true, blockHash])).toMatchObject({ in_active_chain: true, blockhash: blockHash, confirmations: 2 });
  });

  it('bumpfee over RPC returns Core\'s shape', async () => {
    const node = handle.node;
    const txid = node.sendToAddress(node.getNewAddress(), 400_000n, { feeRateSatPerVb: 2 });
    const r = (await call('bumpfee', [txid, { fee_rate: 7 }])) as { txid: string; origfee: number; fee: number; errors: unknown[] };
    expect(r).toMatchObject({ txid: expect.stringMatching(/^[0-9a-f]{64}$/), errors: [] });
    expect(r.fee).toBeGreaterThan(r.origfee);
    expect(await call('getrawmempool')).toContain(r.txid);
    await expect(call('bumpfee', [r.txid, { conf_target: 3 }])).rejects.toMatchObject({ code: RPC_ERROR.INVALID_PARAMETER });
  });

  it('generateblock over RPC: a block of the named transactions, or its hex without submitting', async () => {
    const node = handle.node;
    const address = node.getNewAddress();
    const txid = node.sendToAddress(address, 300_000n);
    const tip = node.tip.hash;
    const dry = (await call('generateblock', [address, [txid], false])) as { hash: string; hex: string };
    expect(dry.hex.length).toBeGreaterThan(160);
    expect(node.tip.hash).toBe(tip);
    const mined = (await call('generateblock', { output: address, transactions: [txid] })) as { hash: string; hex?: string };
    expect(mined.hex).toBeUndefined();
    expect(await call('getbestblockhash')).toBe(mined.hash);
    expect(((await call('getblock', [mined.hash])) as { tx: string[] }).tx.slice(1)).toEqual([txid]);
    await expect(call('generateblock', [address, [txid]])).rejects.toMatchObject({ code: -5, message: `Transaction ${txid} not in mempool.` });
  });
});
