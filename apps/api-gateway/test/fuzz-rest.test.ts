// REST input of the public API at the edge (issue 13, "every REST body"): every request body, path parameter and
// query the api-gateway takes goes through the global zod pipe as Nest runs it. Random JSON, mutated valid bodies
// and odd strings are either accepted (and then meet the schema's own promises) or refused with a 400, never
// another exception (which Nest would answer with a 500). FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH
// replay a failure.
import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { ZodValidationPipe } from '@tapbridge/runtime/nest';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { anyJson, FUZZ_TIMEOUT_MS, fuzzParams, mutatedJson } from '../../../packages/testing/src/fuzz.js';
import {
  CreateWebhookDto, DepositAddressRequestDto, DepositParams, DepositsQuery, RegisterDepositDto, SigningSessionsQuery, WebhookParams, WithdrawalParams, WithdrawalsQuery,
} from '../src/dto.js';

vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const pipe = new ZodValidationPipe();
const RECIPIENT = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';
const TXID = 'ab'.repeat(32);

/** The pipe's answer: the validated value, or '400'. Anything else thrown fails the test (it would be a 500). */
async function through(type: ArgumentMetadata['type'], metatype: ArgumentMetadata['metatype'], raw: unknown): Promise<unknown> {
  try {
    return await pipe.transform(raw, { type, metatype });
  } catch (e) {
    if (e instanceof BadRequestException) return '400';
    throw new Error(`not a 400 for ${JSON.stringify(raw)}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}

/** Strings that break parsers: digits around the bounds, mixed-case addresses, hex of every length, controls. */
const oddString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.bigInt({ min: -5n, max: 2n ** 260n }).map(String),
  fc.stringMatching(/^(0x)?[0-9a-fA-F]{0,70}$/),
  fc.stringMatching(/^0x[0-9a-zA-Z]{38,42}$/),
  fc.constantFrom('\u0000', '%00', '4294967296', '01', ' 1', '1e3', '-0', '', RECIPIENT.toLowerCase(), RECIPIENT.toUpperCase().replace('0X', '0x'), 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080'),
);
const jsonish = fc.oneof(anyJson(), oddString);

const bodies = [
  { name: 'POST /v1/deposit-addresses', dto: DepositAddressRequestDto, valid: { recipient: RECIPIENT, maxFeeSats: '20000', reclaimKey: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', lockBlocks: 144 } },
  { name: 'POST /v1/deposits', dto: RegisterDepositDto, valid: { txid: TXID, vout: 1, depositScript: '20' + 'aa'.repeat(32) + 'ac', reclaimScript: '0290' + '00b275' } },
  { name: 'POST /v1/webhooks', dto: CreateWebhookDto, valid: { url: 'https://example.com/hook', events: ['deposit.confirmed', 'withdrawal.paid'], recipient: RECIPIENT, withdrawalId: '7', deposit: `${TXID}:0` } },
] as const;

describe('fuzz: api-gateway REST input', () => {
  for (const b of bodies) {
    it(`${b.name}: random and mutated bodies are accepted or a 400`, async () => {
      expect(await through('body', b.dto, b.valid)).not.toBe('400'); // the corpus is valid: the property is not vacuous
      await fc.assert(
        fc.asyncProperty(fc.oneof(jsonish, mutatedJson([b.valid]), fc.record(Object.fromEntries(Object.keys(b.valid).map((k) => [k, jsonish])), { requiredKeys: [] })), async (raw) => {
          await through('body', b.dto, raw);
        }),
        fuzzParams(2_000),
      );
    });
  }

  it('regression: a recipient its regex refuses, on which the EIP-55 refine threw, is a 400 (it was a 500)', async () => {
    // Found by the body property above (FUZZ_SEED=1239338062, counterexample {"recipient":" Aa"}).
    for (const recipient of [' Aa', 'A a', '  aA ', '0xZZ', '0x' + 'aB'.repeat(21)]) {
      expect(await through('body', DepositAddressRequestDto, { ...bodies[0].valid, recipient }), recipient).toBe('400');
      expect(await through('query', DepositsQuery, { recipient }), recipient).toBe('400');
    }
  });

  it('path parameters: deposits/:txid/:vout, withdrawals/:id, webhooks/:id', async () => {
    await fc.assert(
      fc.asyncProperty(oddString, oddString, async (a, c) => {
        const deposit = await through('param', DepositParams, { txid: a, vout: c });
        if (deposit !== '400') {
          const d = deposit as { txid: string; vout: number };
          expect(d.txid).toMatch(/^[0-9a-f]{64}$/);
          expect(Number.isInteger(d.vout) && d.vout >= 0 && d.vout <= 0xffff_ffff).toBe(true);
        }
        await through('param', WithdrawalParams, { id: a });
        await through('param', WebhookParams, { id: a });
      }),
      fuzzParams(3_000),
    );
    expect(await through('param', DepositParams, { txid: TXID, vout: '4294967296' })).toBe('400');
    expect(await through('param', DepositParams, { txid: TXID.toUpperCase(), vout: '4294967295' })).toEqual({ txid: TXID, vout: 0xffff_ffff });
  });

  it('queries: deposits, withdrawals, signing sessions (any object of strings and arrays)', async () => {
    const query = fc.dictionary(fc.constantFrom('recipient', 'address', 'status', 'limit', 'cursor', 'sender', 'x'), fc.oneof(oddString, fc.array(oddString, { maxLength: 2 })), { maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        await through('query', DepositsQuery, q);
        const w = await through('query', WithdrawalsQuery, q);
        if (w !== '400') {
          const v = w as { limit?: number };
          if (v.limit !== undefined) expect(v.limit >= 1 && v.limit <= 500).toBe(true);
        }
        await through('query', SigningSessionsQuery, q);
      }),
      fuzzParams(3_000),
    );
    expect(await through('query', WithdrawalsQuery, { sender: RECIPIENT.toLowerCase() })).toMatchObject({ sender: RECIPIENT });
  });
});
