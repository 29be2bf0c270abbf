// REST input of the gateway at the edge: any txid, vout or withdrawal id text is a 400 or a lookup with values the
// queries can take (vout 0..2^32-1, a uint256 id). Queries are recording stand-ins.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import { BadRequestException, NotFoundException } from '@nestjs/common';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../../packages/testing/src/fuzz.js';
import { GatewayController } from '../src/gateway.controller.js';
import type { GatewayQueries } from '../src/gateway-queries.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

function controller() {
  const mints: Array<[string, number]> = [];
  const withdrawals: bigint[] = [];
  const queries = {
    mint: async (txid: string, vout: number) => (mints.push([txid, vout]), undefined),
    withdrawal: async (id: bigint) => (withdrawals.push(id), undefined),
  } as unknown as GatewayQueries;
  return { c: new GatewayController(queries), mints, withdrawals };
}

const text = fc.oneof(fc.string({ maxLength: 90 }), fc.bigInt({ min: -5n, max: 2n ** 260n }).map(String), fc.stringMatching(/^[0-9a-fA-F]{62,66}$/), fc.constantFrom('\u0000', '4294967296', '01', ' 1'));

async function only400or404(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof BadRequestException || e instanceof NotFoundException)) throw e;
  }
}

describe('fuzz: gateway REST input', () => {
  it('GET /mints/:txid/:vout', async () => {
    const { c, mints } = controller();
    await fc.assert(fc.asyncProperty(fc.oneof(text, fc.constant('ab'.repeat(32))), text, async (txid, vout) => only400or404(() => c.mint(txid, vout))), fuzzParams(3_000));
    expect(mints.every(([t, v]) => /^[0-9a-f]{64}$/.test(t) && Number.isInteger(v) && v >= 0 && v <= 0xffffffff)).toBe(true);
  });

  it('GET /withdrawals/:id', async () => {
    const { c, withdrawals } = controller();
    await fc.assert(fc.asyncProperty(text, async (id) => only400or404(() => c.withdrawal(id))), fuzzParams(3_000));
    expect(withdrawals.every((id) => id >= 0n && id < 2n ** 256n)).toBe(true);
  });
});
