// REST input of the gateway at the edge: any txid, vout or withdrawal id text is a 400 or a lookup with values the
// queries can take (vout 0..2^32-1, a uint256 id). Input goes through the global zod pipe, as Nest runs it, into the
// controller; the queries are recording stand-ins that find nothing (404).
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { DomainError, ZodValidationPipe } from '@tapbridge/runtime/nest';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../../packages/testing/src/fuzz.js';
import { MintParams, WithdrawalParams } from '../src/api/dto.js';
import { GatewayController } from '../src/api/gateway.controller.js';
import type { GatewayQueries } from '../src/api/gateway-queries.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const pipe = new ZodValidationPipe();
const validated = async <T>(metatype: ArgumentMetadata['metatype'], raw: unknown) => (await pipe.transform(raw, { type: 'param', metatype })) as T;

function controller() {
  const mints: Array<[string, number]> = [];
  const withdrawals: bigint[] = [];
  const queries = {
    mint: async (txid: string, vout: number) => (mints.push([txid, vout]), undefined),
    withdrawal: async (id: bigint) => (withdrawals.push(id), undefined),
  } as unknown as GatewayQueries;
  const c = new GatewayController(queries);
  return {
    mint: async (txid: string, vout: string) => c.mint(await validated<MintParams>(MintParams, { txid, vout })),
    withdrawal: async (id: string) => c.withdrawal(await validated<WithdrawalParams>(WithdrawalParams, { id })),
    mints,
    withdrawals,
  };
}

const text = fc.oneof(fc.string({ maxLength: 90 }), fc.bigInt({ min: -5n, max: 2n ** 260n }).map(String), fc.stringMatching(/^[0-9a-fA-F]{62,66}$/), fc.constantFrom('\u0000', '4294967296', '01', ' 1'));

/** Bad input is a 400 (the pipe's RequestValidationError); input that passed is looked up and not found (404). */
async function only400or404(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof BadRequestException || (e instanceof DomainError && e.status === 404)) return;
    throw e;
  }
  throw new Error('the stand-in queries find nothing: every call must end in 400 or 404');
}

describe('fuzz: gateway REST input', () => {
  it('GET /mints/:txid/:vout', async () => {
    const c = controller();
    await fc.assert(fc.asyncProperty(fc.oneof(text, fc.constant('ab'.repeat(32))), text, async (txid, vout) => only400or404(() => c.mint(txid, vout))), fuzzParams(3_000));
    expect(c.mints.every(([t, v]) => /^[0-9a-f]{64}$/.test(t) && Number.isInteger(v) && v >= 0 && v <= 0xffffffff)).toBe(true);
    // Valid input reached the queries (the property is not vacuous).
    await only400or404(() => c.mint('AB'.repeat(32), '4294967295'));
    expect(c.mints.at(-1)).toEqual(['ab'.repeat(32), 0xffffffff]);
  });

  it('GET /withdrawals/:id', async () => {
    const c = controller();
    await fc.assert(fc.asyncProperty(text, async (id) => only400or404(() => c.withdrawal(id))), fuzzParams(3_000));
    expect(c.withdrawals.every((id) => id >= 0n && id < 2n ** 256n)).toBe(true);
    await only400or404(() => c.withdrawal((2n ** 256n - 1n).toString()));
    expect(c.withdrawals.at(-1)).toBe(2n ** 256n - 1n);
  });

  it('refuses the edges: vout 2^32, id 2^256, a leading zero, a txid of 63 digits', async () => {
    const c = controller();
    const status = async (f: () => Promise<unknown>) => f().then(() => 200, (e: unknown) => (e instanceof BadRequestException ? 400 : e instanceof DomainError ? e.status : 500));
    expect(await status(() => c.mint('ab'.repeat(32), '4294967296'))).toBe(400);
    expect(await status(() => c.mint('a'.repeat(63), '0'))).toBe(400);
    expect(await status(() => c.mint('ab'.repeat(32), '01'))).toBe(400);
    expect(await status(() => c.withdrawal((2n ** 256n).toString()))).toBe(400);
    expect(await status(() => c.withdrawal('-1'))).toBe(400);
    expect(await status(() => c.withdrawal('0'))).toBe(404);
  });
});
