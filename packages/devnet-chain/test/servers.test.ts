import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeHeader, hashToHex, hexToBytes, sha256d, verifyEsploraMerkleProof, type EsploraMerkleProof } from '@tapbridge/bitcoin';
import { startDevnetChain, type DevnetChainHandle } from '../src/index.js';
import { silentLogger } from './helpers.js';

let handle: DevnetChainHandle;
let dataDir: string;
const auth = 'Basic ' + Buffer.from('alice:secret').toString('base64');

async function rpc(body: unknown, authorization = auth): Promise<{ status: number; json: unknown }> {
  const res = await fetch(handle.rpcUrl, { method: 'POST', headers: { Authorization: authorization, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const call = async (method: string, params: unknown[] = []): Promise<unknown> => {
  const { json } = await rpc({ jsonrpc: '1.0', id: 'x', method, params });
  const reply = json as { result: unknown; error: { code: number; message: string } | null };
  if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.result;
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-servers-'));
  handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, rpcUser: 'alice', rpcPassword: 'secret', logger: silentLogger() });
});

afterAll(async () => {
  await handle.close();
  expect(fs.existsSync(path.join(dataDir, '.cookie'))).toBe(false);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('JSON-RPC server', () => {
  it('serves chain state with Core\'s shapes', async () => {
    const address = (await call('getnewaddress', ['', 'bech32'])) as string;
    const hashes = (await call('generatetoaddress', [3, address])) as string[];
    expect(await call('getblockcount')).toBe(3);
    expect(await call('getbestblockhash')).toBe(hashes[2]);
    expect(await call('getblockhash', [1])).toBe(hashes[0]);
    const headerHex = (await call('getblockheader', [hashes[1], false])) as string;
    expect(hashToHex(sha256d(hexToBytes(headerHex)))).toBe(hashes[1]);
    const verbose = (await call('getblockheader', [hashes[1]])) as Record<string, unknown>;
    expect(verbose).toMatchObject({ hash: hashes[1], height: 2, confirmations: 2, previousblockhash: hashes[0], nextblockhash: hashes[2], bits: '207fffff', nTx: 1 });
    expect(verbose.time).toBe(decodeHeader(hexToBytes(headerHex)).time);
    const info = (await call('getblockchaininfo')) as Record<string, unknown>;
    expect(info).toMatchObject({ chain: 'regtest', blocks: 3, headers: 3, bestblockhash: hashes[2], initialblockdownload: false });
    const block = (await call('getblock', [hashes[2], 2])) as { tx: Array<{ vin: Array<{ coinbase?: string }> }> };
    expect(block.tx[0]!.vin[0]!.coinbase).toBe('5300');
  });

  it('answers Core\'s error codes', async () => {
    await expect(call('getblockhash', [99])).rejects.toMatchObject({ code: -8, message: 'Block height out of range' });
    await expect(call('getblockheader', ['00'.repeat(32)])).rejects.toMatchObject({ code: -5, message: 'Block not found' });
    await expect(call('getrawtransaction', ['11'.repeat(32)])).rejects.toMatchObject({ code: -5 });
    await expect(call('sendrawtransaction', ['zz'])).rejects.toMatchObject({ code: -22 });
    const missing = await rpc({ jsonrpc: '1.0', id: 1, method: 'nosuchmethod', params: [] });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ result: null, error: { code: -32601, message: 'Method not found' }, id: 1 });
  });

  it('speaks JSON-RPC 2.0 and batches', async () => {
    const v2 = await rpc({ jsonrpc: '2.0', id: 7, method: 'getblockcount' });
    expect(v2).toEqual({ status: 200, json: { jsonrpc: '2.0', result: 3, id: 7 } });
    const batch = await rpc([
      { jsonrpc: '2.0', id: 1, method: 'getblockcount' },
      { jsonrpc: '2.0', id: 2, method: 'getblockhash', params: { height: 0 } },
      { jsonrpc: '2.0', id: 3, method: 'getblockhash', params: [1000] },
    ]);
    expect(batch.status).toBe(200);
    expect(batch.json).toEqual([
      { jsonrpc: '2.0', result: 3, id: 1 },
      { jsonrpc: '2.0', result: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206', id: 2 },
      { jsonrpc: '2.0', error: { code: -8, message: 'Block height out of range' }, id: 3 },
    ]);
  });

  it('answers batches as Core does: legacy 1.0 envelopes with per-call errors, bad items in place, notifications left out', async () => {
    const batch = await rpc([
      { jsonrpc: '1.0', id: 'a', method: 'getblockhash', params: [1] },
      { id: 'b', method: 'getblockheader', params: ['00'.repeat(32), false] },
      'not an object',
      { jsonrpc: '2.0', method: 'getblockcount' },
      { id: 'c', method: 'nosuchmethod' },
    ]);
    expect(batch.status).toBe(200);
    const hash = (await call('getblockhash', [1])) as string;
    expect(batch.json).toEqual([
      { result: hash, error: null, id: 'a' },
      { result: null, error: { code: -5, message: 'Block not found' }, id: 'b' },
      { result: null, error: { code: -32600, message: 'Method must be a string' }, id: null },
      { result: null, error: { code: -32601, message: 'Method not found' }, id: 'c' },
    ]);
    // Only notifications: no content. An empty batch: an empty array (Core keeps that for old clients).
    const notifications = await rpc([{ jsonrpc: '2.0', method: 'getblockcount' }]);
    expect(notifications).toEqual({ status: 204, json: undefined });
    expect(await rpc([])).toEqual({ status: 200, json: [] });
  });

  it('requires basic auth: password or the cookie file', async () => {
    const denied = await rpc({ method: 'getblockcount' }, 'Basic ' + Buffer.from('alice:wrong').toString('base64'));
    expect(denied.status).toBe(401);
    const cookie = fs.readFileSync(handle.cookieFile, 'utf8');
    expect(cookie).toMatch(/^__cookie__:[0-9a-f]{64}$/);
    const viaCookie = await rpc({ id: 1, method: 'getblockcount' }, 'Basic ' + Buffer.from(cookie).toString('base64'));
    expect(viaCookie.json).toMatchObject({ result: 3 });
  });
});

describe('Esplora server', () => {
  const get = async (p: string): Promise<Response> => fetch(handle.esploraUrl + p);

  it('lists blocks by height as electrs: /blocks/:start_height, newest first, 10 at most, 404 above the tip', async () => {
    const tip = Number(await (await get('/blocks/tip/height')).text());
    const page = (await (await get(`/blocks/${tip}`)).json()) as Array<Record<string, unknown>>;
    expect(page.map((b) => b.height)).toEqual([...Array(Math.min(10, tip + 1)).keys()].map((i) => tip - i));
    for (const b of page) {
      const header = await (await get(`/block/${b.id as string}/header`)).text();
      const d = decodeHeader(hexToBytes(header));
      expect(b).toMatchObject({ version: d.version, timestamp: d.time, bits: d.bits, nonce: d.nonce, merkle_root: hashToHex(d.merkleRoot) });
      expect(b.previousblockhash).toBe(b.height === 0 ? null : hashToHex(d.prevHash));
    }
    expect(await (await get('/blocks')).json()).toEqual(page);
    expect((await get(`/blocks/${tip + 1}`)).status).toBe(404);
    expect(((await (await get('/blocks/0')).json()) as unknown[]).length).toBe(1);
  });

  it('serves tip, blocks and transactions', async () => {
    expect(await (await get('/blocks/tip/height')).text()).toBe('3');
    const tipHash = await (await get('/blocks/tip/hash')).text();
    expect(await (await get('/block-height/3')).text()).toBe(tipHash);
    const header = await (await get(`/block/${tipHash}/header`)).text();
    expect(hashToHex(sha256d(hexToBytes(header)))).toBe(tipHash);
    const raw = new Uint8Array(await (await get(`/block/${tipHash}/raw`)).arrayBuffer());
    expect(hashToHex(sha256d(raw.subarray(0, 80)))).toBe(tipHash);
    expect(await (await get(`/block/${tipHash}/status`)).json()).toEqual({ in_best_chain: true, height: 3, next_best: null });
    const [coinbaseTxid] = (await (await get(`/block/${tipHash}/txids`)).json()) as string[];
    const tx = (await (await get(`/tx/${coinbaseTxid}`)).json()) as { txid: string; status: { block_hash: string }; vin: Array<{ is_coinbase: boolean }> };
    expect(tx).toMatchObject({ txid: coinbaseTxid, status: { confirmed: true, block_height: 3, block_hash: tipHash } });
    expect(tx.vin[0]!.is_coinbase).toBe(true);
    expect((await get('/block-height/99')).status).toBe(404);
    expect((await get(`/tx/${'00'.repeat(32)}`)).status).toBe(404);
    const posted = await fetch(handle.esploraUrl + '/tx', { method: 'POST', body: '0200' });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toMatch(/^sendrawtransaction RPC error: \{"code":-22/);
  });

  it('serves merkle proofs, outspends and address UTXOs for wallet payments', async () => {
    const node = handle.node;
    node.generateToAddress(101, node.getNewAddress());
    const to = node.getNewAddress('bech32m');
    const txid = node.sendToAddress(to, 12_345_678n);
    const pending = (await (await get(`/address/${to}/utxo`)).json()) as Array<{ txid: string; status: { confirmed: boolean }; value: number }>;
    expect(pending).toEqual([{ txid, vout: expect.any(Number), status: { confirmed: false }, value: 12_345_678 }]);
    const [blockHash] = node.generateToAddress(1, node.getNewAddress());
    const entry = node.getEntry(blockHash!);

    const proof = (await (await get(`/tx/${txid}/merkle-proof`)).json()) as EsploraMerkleProof;
    expect(proof.block_height).toBe(entry.height);
    expect(() => verifyEsploraMerkleProof(proof, txid, entry.block.header.merkleRoot, entry.txids.length)).not.toThrow();

    const tx = node.lookupTransaction(txid)!.tx;
    const spent = tx.ins[0]!;
    const outspend = await (await get(`/tx/${hashToHex(spent.hash)}/outspend/${spent.index}`)).json();
    expect(outspend).toEqual({ spent: true, txid, vin: 0, status: { confirmed: true, block_height: entry.height, block_hash: blockHash, block_time: entry.block.header.time } });
    expect(await (await get(`/tx/${txid}/outspend/0`)).json()).toEqual({ spent: false });

    const confirmed = (await (await get(`/address/${to}/utxo`)).json()) as Array<{ status: { confirmed: boolean; block_hash?: string } }>;
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.status).toMatchObject({ confirmed: true, block_hash: blockHash });
    const esploraTx = (await (await get(`/tx/${txid}`)).json()) as { fee: number; vin: Array<{ prevout: { value: number } }> ; vout: Array<{ value: number; scriptpubkey_address?: string }> };
    const inValue = esploraTx.vin.reduce((sum, i) => sum + i.prevout.value, 0);
    const outValue = esploraTx.vout.reduce((sum, o) => sum + o.value, 0);
    expect(esploraTx.fee).toBe(inValue - outValue);
    expect(esploraTx.fee).toBeGreaterThan(0);
    expect(esploraTx.vout.some((o) => o.scriptpubkey_address === to && o.value === 12_345_678)).toBe(true);
  });
});

describe('JSON-RPC transactions', () => {
  it('takes, rejects and describes transactions like Core', async () => {
    const node = handle.node;
    const miner = node.getNewAddress();
    node.generateToAddress(101, miner);
    const raw = bytesToHex(node.createSignedTransaction(node.getNewAddress('bech32m'), 40_000_000n));
    const [accepted] = (await call('testmempoolaccept', [[raw]])) as Array<Record<string, unknown>>;
    expect(accepted).toMatchObject({ allowed: true, vsize: expect.any(Number) });
    expect((await call('getrawmempool')) as string[]).toEqual([]);
    const txid = (await call('sendrawtransaction', [raw])) as string;
    expect(accepted!.txid).toBe(txid);
    expect(await call('getrawmempool')).toEqual([txid]);
    const pooled = (await call('gettxout', [txid, 0])) as Record<string, unknown>;
    expect(pooled).toMatchObject({ confirmations: 0, coinbase: false });
    // The same coins paid more cheaply: a replacement that does not pay its way.
    const tx = node.lookupTransaction(txid)!.tx;
    const rival = tx.clone();
    rival.outs[0]!.value -= 1n;
    const e = await call('sendrawtransaction', [rival.toHex()]).catch((err: { code: number; message: string }) => err);
    expect(e).toMatchObject({ code: -26 });
    const [blockHash] = (await call('generatetoaddress', [1, miner])) as string[];
    const verbose = (await call('getrawtransaction', [txid, true])) as Record<string, unknown>;
    expect(verbose).toMatchObject({ txid, blockhash: blockHash, confirmations: 1, hex: raw });
    const proofHex = (await call('gettxoutproof', [[txid]])) as string;
    expect(proofHex.slice(0, 160)).toBe(await call('getblockheader', [blockHash, false]));
    const again = await call('sendrawtransaction', [raw]).catch((err: { code: number; message: string }) => err);
    expect(again).toMatchObject({ code: -27, message: 'Transaction outputs already in utxo set' });
  });
});

describe('startDevnetChain options', () => {
  it('mines on its own with blockTimeMs and validates its options', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-automine-'));
    const auto = await startDevnetChain({ dataDir: dir, rpcPort: 0, esploraPort: 0, blockTimeMs: 100, logger: silentLogger() });
    try {
      const deadline = Date.now() + 5_000;
      while (auto.node.tip.height < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(auto.node.tip.height).toBeGreaterThanOrEqual(3);
      // Auto-mined coinbases pay the node's own wallet.
      expect(auto.node.listUnspent(1).length).toBeGreaterThanOrEqual(3);
    } finally {
      await auto.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await expect(startDevnetChain({ dataDir: '', rpcPort: 0, esploraPort: 0 })).rejects.toThrow(TypeError);
    await expect(startDevnetChain({ dataDir: dir, rpcPort: 0, esploraPort: 0, rpcUser: 'only-user' })).rejects.toThrow(/both rpcUser and rpcPassword/);
  });
});
