// eth_call and eth_estimateGas run on worker threads under a gas cap and a time limit: an endless loop answers with
// geth's timeout error while the node keeps producing blocks and answering other requests.
import { Interface, type InterfaceAbi, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ABI, BRIDGE_ADDRESS, EvmEngine, MemoryChainStore, startJsonRpcServer, WEI_PER_SAT, type JsonRpcServer } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';

const [alice] = testWallets(1) as [Wallet];
/** JUMPDEST PUSH1 0 JUMP: jumps back to itself for ever (the probe's freezing call). */
const LOOP = '0x5b600056';
const bridge = new Interface(BRIDGE_ABI as unknown as InterfaceAbi);

interface Reply {
  result?: string;
  error?: { code: number; message: string };
}

async function rpc(url: string, method: string, params: unknown[]): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as Reply;
}

describe('eth_call limits', () => {
  let engine: EvmEngine;
  let server: JsonRpcServer;
  let capped: EvmEngine;
  let cappedServer: JsonRpcServer;

  beforeAll(async () => {
    // Blocks every 100 ms while idle, so "blocks keep coming" is visible during one call.
    // The endless loop must outlast the timeout on any machine: with the default 50M gas cap and 30M block gas
    // limit it runs out of gas in under 2 s on a quiet one (out of gas instead of the timeout under test).
    engine = await EvmEngine.open({
      store: new MemoryChainStore(),
      config: fundedConfig([alice], undefined, { blockTimeMs: 100, blockGasLimit: 100_000_000_000n }),
      callLimits: { timeoutMs: 2_000, workers: 1, rpcGasCap: 100_000_000_000n },
    });
    server = await startJsonRpcServer({ engine, port: 0 });
    // A small gas cap and a time limit no test reaches: the cap alone ends the loop.
    capped = await EvmEngine.open({ store: new MemoryChainStore(), config: fundedConfig([alice]), autoMine: false, callLimits: { rpcGasCap: 1_000_000n, timeoutMs: 120_000, workers: 1 } });
    cappedServer = await startJsonRpcServer({ engine: capped, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await engine?.close();
    await cappedServer?.close();
    await capped?.close();
  });

  it('aborts an endless eth_call with geth\u2019s timeout error while blocks are produced and other requests answered', async () => {
    // Warm the worker so the measured call is the loop itself.
    expect((await rpc(server.url, 'eth_call', [{ to: BRIDGE_ADDRESS, data: bridge.encodeFunctionData('nextWithdrawalId') }])).result).toBeDefined();
    const before = engine.headNumber;
    let answeredDuring = 0;
    let done = false;
    const loop = rpc(server.url, 'eth_call', [{ data: LOOP, gas: '0xffffffffffffffff' }]).finally(() => (done = true));
    const seenHeights = new Set<bigint>();
    while (!done) {
      const head = await rpc(server.url, 'eth_blockNumber', []);
      if (!done && head.result !== undefined) {
        answeredDuring++;
        seenHeights.add(BigInt(head.result));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const reply = await loop;
    expect(reply.error).toEqual({ code: -32000, message: 'execution aborted (timeout = 2s)' });
    expect(answeredDuring).toBeGreaterThan(0);
    // Blocks were committed while the call ran: the node's loop was never blocked by it.
    expect(Math.max(...[...seenHeights].map(Number))).toBeGreaterThan(Number(before));
    // The replaced worker serves the next call.
    expect((await rpc(server.url, 'eth_call', [{ to: BRIDGE_ADDRESS, data: bridge.encodeFunctionData('nextWithdrawalId') }])).result).toBe(`0x${'0'.repeat(64)}`);
  });

  it('answers calls that waited behind an endless one in the same worker', async () => {
    const read = { to: BRIDGE_ADDRESS, data: bridge.encodeFunctionData('nextWithdrawalId') };
    // One worker: the reads are handed to it behind the loop, and go back to the queue when it is terminated.
    const [loop, ...reads] = await Promise.all([
      rpc(server.url, 'eth_call', [{ data: LOOP }]),
      ...Array.from({ length: 4 }, () => rpc(server.url, 'eth_call', [read])),
    ]);
    expect(loop!.error?.message).toBe('execution aborted (timeout = 2s)');
    for (const r of reads) expect(r.result).toBe(`0x${'0'.repeat(64)}`);
  });

  it('aborts an endless eth_estimateGas the same way', async () => {
    const reply = await rpc(server.url, 'eth_estimateGas', [{ from: alice.address, data: LOOP }]);
    expect(reply.error).toEqual({ code: -32000, message: 'execution aborted (timeout = 2s)' });
    expect((await rpc(server.url, 'eth_blockNumber', [])).result).toMatch(/^0x/);
  });

  it('caps the caller\u2019s gas at the RPC gas cap', async () => {
    const reply = await rpc(cappedServer.url, 'eth_call', [{ data: LOOP, gas: '0xffffffffffffffff' }]);
    expect(reply.error).toEqual({ code: -32000, message: 'out of gas' });
    const estimate = await rpc(cappedServer.url, 'eth_estimateGas', [{ from: alice.address, data: LOOP }]);
    expect(estimate.error?.message).toBe('gas required exceeds allowance (1000000)');
  });

  it('never lets a call\u2019s writes leak into later calls', async () => {
    const withdraw = bridge.encodeFunctionData('withdraw', [`0x0014${'ab'.repeat(20)}`, 100n]);
    const value = `0x${(10_000n * WEI_PER_SAT).toString(16)}`;
    for (let i = 0; i < 3; i++) {
      const burn = await rpc(cappedServer.url, 'eth_call', [{ from: alice.address, to: BRIDGE_ADDRESS, data: withdraw, value }]);
      expect(burn.error).toBeUndefined();
      // withdraw returns the id it assigned: always 0, because no call's increment survives it.
      expect(BigInt(burn.result!)).toBe(0n);
      const next = await rpc(cappedServer.url, 'eth_call', [{ to: BRIDGE_ADDRESS, data: bridge.encodeFunctionData('nextWithdrawalId') }]);
      expect(BigInt(next.result!)).toBe(0n);
    }
    // Many at once: the worker holds several, each still runs alone on a clean slate.
    const burns = await Promise.all(Array.from({ length: 24 }, () => rpc(cappedServer.url, 'eth_call', [{ from: alice.address, to: BRIDGE_ADDRESS, data: withdraw, value }])));
    for (const burn of burns) {
      expect(burn.error).toBeUndefined();
      expect(BigInt(burn.result!)).toBe(0n);
    }
  });
});
