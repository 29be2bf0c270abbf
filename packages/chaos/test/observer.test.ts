// The observer's L2 scan under the harness's real concurrency: the continuous checker and the drain snapshot at the
// same time; two overlapping scans counted the same blocks twice (the likely cause of seed 20261887's custody "off by
// 117014"). The L2 here is a stand-in JSON-RPC answering slowly, so the scans overlap for sure.
import { describe, expect, it } from 'vitest';
import { Observer } from '../src/observer.js';
import type { ChaosStack } from '../src/stack.js';

const sender = '0x' + 'ab'.repeat(20);
const word = (n: bigint) => n.toString(16).padStart(64, '0');
/** WithdrawalRequested's data: offset(bytes), amountSats, maxFeeSats, then the script. */
const burn = (amount: bigint) => ({ topics: ['0x' + '00'.repeat(32), '0x' + word(1n), '0x' + '00'.repeat(12) + sender.slice(2)], data: '0x' + word(96n) + word(amount) + word(15_000n) });

function l2(head: number, logs: Record<number, ReturnType<typeof burn>[]>, mints: Record<number, Array<{ address: string; amount: string }>>) {
  const slow = <T>(v: T) => new Promise<T>((r) => setTimeout(() => r(v), 20));
  return {
    evm: {
      call: async (method: string, params: unknown[] = []): Promise<unknown> => {
        if (method === 'eth_blockNumber') return slow(`0x${head.toString(16)}`);
        if (method === 'eth_getLogs') {
          const { fromBlock, toBlock } = params[0] as { fromBlock: string; toBlock: string };
          const out = [];
          for (let n = Number(fromBlock); n <= Number(toBlock); n++) out.push(...(logs[n] ?? []));
          return slow(out);
        }
        if (method === 'eth_getBlockByNumber') {
          const n = Number(params[0] as string);
          return slow({ number: params[0], withdrawals: mints[n] ?? [] });
        }
        throw new Error(`unexpected ${method}`);
      },
    },
  } as unknown as ChaosStack;
}

describe('observer L2 scan', () => {
  it('counts each burn and mint once when snapshots overlap', async () => {
    const stack = l2(3, { 2: [burn(31_001n)], 3: [burn(42_002n), burn(27_003n)] }, { 1: [{ address: sender, amount: String(5_000_000n * 10n) }] });
    const ob = new Observer(stack, 0, new Set([sender]));
    await Promise.all([ob.scanL2(), ob.scanL2(), ob.scanL2()]);
    expect(ob.totalBurnsSats).toBe(31_001n + 42_002n + 27_003n);
    expect(ob.mintSeenAt.size).toBe(1);
    // Scanning again reads nothing new.
    await ob.scanL2();
    expect(ob.totalBurnsSats).toBe(100_006n);
  });
});
