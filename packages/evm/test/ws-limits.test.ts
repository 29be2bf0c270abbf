// WebSocket consumers are bounded: a cap on subscriptions per connection, and a reader that stops reading is
// disconnected once its unsent notifications pass a bound, instead of growing the process without limit.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EvmEngine, MemoryChainStore, startJsonRpcServer, WS_CLOSE_SLOW_CONSUMER, type JsonRpcServer } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';

interface Reply {
  id?: number;
  result?: unknown;
  error?: { code: number; message: string };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends requests with ids 1..n and collects the replies by id. */
function requestAll(ws: WebSocket, requests: { method: string; params: unknown[] }[]): Promise<Map<number, Reply>> {
  return new Promise((resolve) => {
    const replies = new Map<number, Reply>();
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as Reply;
      if (msg.id === undefined) return;
      replies.set(msg.id, msg);
      if (replies.size === requests.length) {
        ws.off('message', onMessage);
        resolve(replies);
      }
    };
    ws.on('message', onMessage);
    requests.forEach((r, i) => ws.send(JSON.stringify({ jsonrpc: '2.0', id: i + 1, ...r })));
  });
}

describe('WebSocket consumer limits', () => {
  let engine: EvmEngine | undefined;
  let server: JsonRpcServer | undefined;
  afterEach(async () => {
    await server?.close();
    await engine?.close();
  });

  it('refuses subscriptions past the per-connection cap, and frees a slot on eth_unsubscribe', async () => {
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config: fundedConfig(testWallets(1)), autoMine: false });
    server = await startJsonRpcServer({ engine, port: 0, rpc: { limits: { maxSubscriptionsPerConnection: 3 } } });
    const ws = await open(server.wsUrl);
    const replies = await requestAll(ws, Array.from({ length: 5 }, () => ({ method: 'eth_subscribe', params: ['newHeads'] })));
    const ok = [...replies.values()].filter((r) => typeof r.result === 'string');
    const refused = [...replies.values()].filter((r) => r.error !== undefined);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(2);
    expect(refused[0]!.error).toEqual({ code: -32005, message: 'too many subscriptions on this connection: 3 open, at most 3' });
    const [unsub] = [...(await requestAll(ws, [{ method: 'eth_unsubscribe', params: [ok[0]!.result] }])).values()];
    expect(unsub!.result).toBe(true);
    const [again] = [...(await requestAll(ws, [{ method: 'eth_subscribe', params: ['newHeads'] }])).values()];
    expect(again!.result).toMatch(/^0x[0-9a-f]+$/);
    // Another connection has its own allowance.
    const other = await open(server.wsUrl);
    const [fresh] = [...(await requestAll(other, [{ method: 'eth_subscribe', params: ['newHeads'] }])).values()];
    expect(fresh!.result).toMatch(/^0x[0-9a-f]+$/);
    ws.close();
    other.close();
  });

  it('disconnects a reader that stopped reading once its send buffer passes the bound', async () => {
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config: fundedConfig(testWallets(1)), autoMine: false });
    const drops: { bufferedBytes: number; subscriptions: number }[] = [];
    server = await startJsonRpcServer({ engine, port: 0, rpc: { limits: { maxWsBufferedBytes: 256 * 1024 } }, onSlowConsumer: (info) => drops.push(info) });
    const slow = await open(server.wsUrl);
    const subscriptions = 200;
    const replies = await requestAll(slow, Array.from({ length: subscriptions }, () => ({ method: 'eth_subscribe', params: ['newHeads'] })));
    expect([...replies.values()].every((r) => typeof r.result === 'string')).toBe(true);
    const closed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
    // The reader stops: nothing more is taken off its socket, so kernel buffers fill and then the server's.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();

    // A healthy consumer alongside keeps its subscription.
    const healthy = await open(server.wsUrl);
    await requestAll(healthy, [{ method: 'eth_subscribe', params: ['newHeads'] }]);
    let healthyHeads = 0;
    healthy.on('message', () => healthyHeads++);

    for (let i = 0; i < 5_000 && drops.length === 0; i++) await engine.produceBlock();
    expect(drops).toHaveLength(1);
    expect(drops[0]!.subscriptions).toBe(subscriptions);
    expect(drops[0]!.bufferedBytes).toBeGreaterThan(256 * 1024);

    // Once dropped, blocks no longer queue anything for it; the reader sees the connection end.
    const produced = engine.headNumber;
    for (let i = 0; i < 5; i++) await engine.produceBlock();
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    expect([WS_CLOSE_SLOW_CONSUMER, 1006]).toContain(await closed);
    expect(drops).toHaveLength(1);
    await expect.poll(() => healthyHeads, { timeout: 30_000 }).toBeGreaterThanOrEqual(Number(produced) + 5);
    healthy.close();
  });
});
