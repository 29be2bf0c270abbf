import { Interface, Transaction, type InterfaceAbi, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BRIDGE_ABI, BRIDGE_ADDRESS, EvmEngine, MemoryChainStore, startJsonRpcServer, WEI_PER_SAT, WITHDRAWAL_REQUESTED_TOPIC, type JsonRpcServer } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';

const [alice, bob] = testWallets(2) as [Wallet, Wallet];

interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: string };
}

describe('JSON-RPC protocol handling', () => {
  let engine: EvmEngine;
  let server: JsonRpcServer;

  const post = async (body: string): Promise<{ status: number; json: RpcReply & RpcReply[] }> => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? undefined : JSON.parse(text)) as RpcReply & RpcReply[] };
  };
  const call = (method: string, params: unknown[] = []) => post(JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }));
  const stillServing = async () => {
    const { status, json } = await call('eth_blockNumber');
    expect(status).toBe(200);
    expect(json.result).toMatch(/^0x[0-9a-f]+$/);
  };

  beforeAll(async () => {
    const config = fundedConfig([alice], undefined, { blockTimeMs: 60_000 });
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config });
    server = await startJsonRpcServer({ engine, port: 0, rpc: { limits: { maxBatchLength: 20, maxRequestBytes: 64 * 1024 } } });
  });
  afterAll(async () => {
    await server?.close();
    await engine?.close();
  });

  it('answers -32700 to a body that is not JSON', async () => {
    const { status, json } = await post('{"jsonrpc":"2.0","id":1,"method":');
    expect(status).toBe(200);
    expect(json).toMatchObject({ id: null, error: { code: -32700 } });
    await stillServing();
  });

  it('answers -32600 to requests that are not JSON-RPC 2.0 objects, and to an empty batch', async () => {
    expect((await post('42')).json.error?.code).toBe(-32600);
    expect((await post('{"id":1,"method":"eth_chainId"}')).json.error?.code).toBe(-32600);
    expect((await post('[]')).json.error?.code).toBe(-32600);
    await stillServing();
  });

  it('answers -32601 to an unknown method and -32602 to wrong params', async () => {
    const unknown = await call('eth_mineGold');
    expect(unknown.json).toMatchObject({ id: 7, error: { code: -32601 } });
    expect(unknown.json.error?.message).toContain('eth_mineGold');
    expect((await call('eth_getBalance', ['0x1234'])).json.error?.code).toBe(-32602);
    expect((await call('eth_getBalance', [alice.address, 'newest'])).json.error?.code).toBe(-32602);
    expect((await call('eth_getBlockByNumber', ['0x01', false])).json.error?.code).toBe(-32602); // leading zero
    expect((await call('eth_chainId', ['extra'])).json.error?.code).toBe(-32602);
    await stillServing();
  });

  it('answers a batch in order, and refuses a batch over the length limit', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 'a', method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 'b', method: 'nope', params: [] },
      { jsonrpc: '2.0', method: 'eth_chainId', params: [] }, // notification: no answer
      { jsonrpc: '2.0', id: 'c', method: 'eth_getBalance', params: [alice.address, 'latest'] },
    ];
    const { json } = await post(JSON.stringify(batch));
    expect(json.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(json[0]?.result).toBe(`0x${engine.chainId.toString(16)}`);
    expect(json[1]?.error?.code).toBe(-32601);
    expect(BigInt(json[2]?.result as string)).toBe(await engine.getBalance(alice.address));

    const huge = Array.from({ length: 21 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] }));
    const refused = await post(JSON.stringify(huge));
    expect(refused.json).toMatchObject({ id: null, error: { code: -32600 } });
    expect(refused.json.error?.message).toMatch(/batch too large/);
    await stillServing();
  });

  it('refuses an oversized body with HTTP 413 and keeps serving', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: alice.address, data: `0x${'00'.repeat(70 * 1024)}` }] });
    const { status, json } = await post(big);
    expect(status).toBe(413);
    expect(json.error?.code).toBe(-32600);
    await stillServing();
  });

  it('reads state at historical blocks by number, tag and EIP-1898 block hash', async () => {
    const before = engine.headNumber;
    const balanceBefore = await engine.getBalance(alice.address);
    const tx = Transaction.from({ type: 2, chainId: engine.chainId, nonce: Number(await engine.getPendingNonce(alice.address)), to: bob.address, value: 1_000n, gasLimit: 21_000n, maxFeePerGas: engine.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n });
    const hash = (await call('eth_sendRawTransaction', [await alice.signTransaction(tx)])).json.result as string;
    while ((await call('eth_getTransactionReceipt', [hash])).json.result === null) await new Promise((r) => setTimeout(r, 10));
    const blockBefore = (await call('eth_getBlockByNumber', [`0x${before.toString(16)}`, false])).json.result as { hash: string };
    const atHash = await call('eth_getBalance', [alice.address, { blockHash: blockBefore.hash }]);
    const atNumber = await call('eth_getBalance', [alice.address, { blockNumber: `0x${before.toString(16)}` }]);
    expect(BigInt(atHash.json.result as string)).toBe(balanceBefore);
    expect(BigInt(atNumber.json.result as string)).toBe(balanceBefore);
    expect(BigInt((await call('eth_getBalance', [bob.address, 'latest'])).json.result as string)).toBeGreaterThanOrEqual(1_000n);
    expect(BigInt((await call('eth_getBalance', [bob.address, 'earliest'])).json.result as string)).toBe(0n);
    expect((await call('eth_getBalance', [alice.address, '0xffffff'])).json.error).toMatchObject({ code: -32000, message: 'header not found' });
    expect((await call('eth_getBalance', [alice.address, { blockHash: `0x${'00'.repeat(32)}` }])).json.error?.code).toBe(-32000);
    expect((await call('eth_getBlockByNumber', ['0xffffff', false])).json.result).toBeNull();
  });

  it('limits eth_getLogs ranges with -32005', async () => {
    expect(engine.headNumber).toBeGreaterThan(0n); // earlier tests made blocks, so 0..latest spans 2+ blocks
    const small = await startJsonRpcServer({ engine, port: 0, rpc: { limits: { maxLogBlockRange: 1n } } });
    try {
      const res = await fetch(small.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest' }] }) });
      expect(((await res.json()) as RpcReply).error?.code).toBe(-32005);
    } finally {
      await small.close();
    }
  });

  it('reports transaction errors as -32000 with geth wording', async () => {
    const nonce = Number(await engine.getPendingNonce(alice.address));
    const tx = Transaction.from({ type: 2, chainId: engine.chainId, nonce, to: bob.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    const { json } = await call('eth_sendRawTransaction', [await alice.signTransaction(tx)]);
    expect(json.error?.code).toBe(-32000);
    expect(json.error?.message).toMatch(/max fee per gas less than block base fee/);
    const garbage = await call('eth_sendRawTransaction', ['0x02c0ffee']);
    expect(garbage.json.error?.code).toBe(-32000);
    await stillServing();
  });

  it('delivers newHeads and filtered logs over WebSocket, and stops after eth_unsubscribe', async () => {
    const socket = new WebSocket(server.wsUrl);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const messages: RpcReply[] = [];
    const waiters: (() => void)[] = [];
    socket.on('message', (data) => {
      messages.push(JSON.parse(data.toString()) as RpcReply);
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (predicate: (m: RpcReply & { params?: { subscription: string; result: { number: string; hash: string } } }) => boolean) => {
      for (;;) {
        const found = messages.find(predicate);
        if (found !== undefined) return found as RpcReply & { params: { subscription: string; result: { number: string; hash: string } } };
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    const subscriptionId = (await next((m) => m.id === 1)).result as string;
    expect(subscriptionId).toMatch(/^0x[0-9a-f]+$/);

    const nonce = Number(await engine.getPendingNonce(alice.address));
    const tx = Transaction.from({ type: 2, chainId: engine.chainId, nonce, to: bob.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: engine.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n });
    await engine.sendRawTransaction(Buffer.from((await alice.signTransaction(tx)).slice(2), 'hex'));
    const head = await next((m) => (m as { method?: string }).method === 'eth_subscription');
    expect(head.params.subscription).toBe(subscriptionId);
    const block = await engine.getBlockByNumber(BigInt(head.params.result.number));
    expect(head.params.result.hash).toBe(`0x${Buffer.from(block!.hash()).toString('hex')}`);

    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_unsubscribe', params: [subscriptionId] }));
    expect((await next((m) => m.id === 2)).result).toBe(true);

    // A logs subscription filtered on the bridge sees a withdrawal's event.
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_subscribe', params: ['logs', { address: BRIDGE_ADDRESS, topics: [WITHDRAWAL_REQUESTED_TOPIC] }] }));
    const logSubscription = (await next((m) => m.id === 3)).result as string;
    const data = new Interface(BRIDGE_ABI as unknown as InterfaceAbi).encodeFunctionData('withdraw', [`0x5120${'66'.repeat(32)}`, 100n]);
    const withdrawTx = Transaction.from({
      type: 2, chainId: engine.chainId, nonce: Number(await engine.getPendingNonce(alice.address)), to: BRIDGE_ADDRESS, data,
      value: 1_000n * WEI_PER_SAT, gasLimit: 200_000n, maxFeePerGas: engine.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n,
    });
    const withdrawHash = await engine.sendRawTransaction(Buffer.from((await alice.signTransaction(withdrawTx)).slice(2), 'hex'));
    const logNote = (await next((m) => (m as { params?: { subscription: string } }).params?.subscription === logSubscription)) as unknown as {
      params: { result: { transactionHash: string; address: string; topics: string[] } };
    };
    expect(logNote.params.result.transactionHash).toBe(withdrawHash);
    expect(logNote.params.result.topics[0]).toBe(WITHDRAWAL_REQUESTED_TOPIC);
    socket.close();
    // eth_subscribe over plain HTTP is refused: there is nowhere to send notifications.
    expect((await call('eth_subscribe', ['newHeads'])).json.error?.code).toBe(-32601);
  });
});
