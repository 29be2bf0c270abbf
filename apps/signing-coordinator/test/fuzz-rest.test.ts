// REST input of the coordinator at the edge: POST /signatures refuses unknown fields (as POST /deposits does),
// GET /signatures/:id refuses ids that are not request ids (a NUL byte was a Postgres 500), and fuzzed bodies and
// ids get a 400 before the engine or the store see them. The API runs over recording stand-ins.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, anyJson, fuzzParams, mutatedJson } from '../../../packages/testing/src/fuzz.js';
import { ApiError, CoordinatorApi } from '../src/api.js';
import { createSignatureSchema } from '../src/dto.js';
import type { SignerNetwork } from '../src/signer-network.js';
import type { SigningDriver, SigningStore } from '@tapbridge/signing';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

function api() {
  const submitted: unknown[] = [];
  const looked: string[] = [];
  const engine = { submit: async (input: unknown) => (submitted.push(input), { id: 'r1', status: 'pending' }) } as unknown as SigningDriver;
  const store = { request: async (id: string) => (looked.push(id), undefined) } as unknown as SigningStore;
  return { api: new CoordinatorApi(engine, store, {} as SignerNetwork, () => undefined), submitted, looked };
}

const message = { message: 'ab'.repeat(32), purpose: 'message', tweak: { kind: 'key-path-only' } };
const sighash = {
  sighash: { transaction: '02000000000100000000', inputIndex: 0, prevouts: [{ value: '1000', scriptPubKey: '5120' + '11'.repeat(32) }], hashType: 0 },
  purpose: 'sweep',
  tweak: { kind: 'merkle-root', merkleRoot: '22'.repeat(32) },
};

async function outcome(f: () => Promise<unknown>): Promise<number> {
  try {
    await f();
    return 200;
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
}

describe('POST /signatures and GET /signatures/:id at the edge', () => {
  it('unknown fields are refused, top level and inside sighash', async () => {
    const { api: a, submitted } = api();
    expect(await outcome(() => a.createSignature({ ...message, extra: 1 }))).toBe(400);
    expect(await outcome(() => a.createSignature({ ...sighash, sighash: { ...sighash.sighash, kind: 'taproot-sighash' } }))).toBe(400);
    expect(submitted).toEqual([]);
    expect(await outcome(() => a.createSignature(message))).toBe(200);
    expect(await outcome(() => a.createSignature(sighash))).toBe(200);
  });

  it('ids that are not request ids are 400s and never reach the store', async () => {
    const { api: a, looked } = api();
    for (const id of ['\u0000', 'a\u0000b', '', ' ', 'x'.repeat(129), '../x', 'id with space', '\u00e9'])
      await expect(a.signature(id)).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    expect(looked).toEqual([]);
    await expect(a.signature('6f1c9a8e-3b57-4c41-9d1e-0a4c2b7f1e55')).rejects.toMatchObject({ status: 404 });
  });
});

describe('fuzz: coordinator REST input', () => {
  it('POST /signatures: fuzzed bodies are 400s unless the schema takes them', async () => {
    const { api: a, submitted } = api();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedJson([message, sighash]), anyJson()), async (body) => {
        const before = submitted.length;
        const status = await outcome(() => a.createSignature(body));
        expect(status === 200 ? submitted.length === before + 1 && createSignatureSchema.safeParse(body).success : status === 400).toBe(true);
      }),
      fuzzParams(3_000),
    );
  });

  it('GET /signatures/:id: any string is a 400 or a lookup of a well-formed id', async () => {
    const { api: a, looked } = api();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 140 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.uuid()), async (id) => {
        const status = await outcome(() => a.signature(id));
        expect([400, 404]).toContain(status);
        if (status === 404) expect(looked.at(-1)).toBe(id);
      }),
      fuzzParams(3_000),
    );
    expect(looked.every((id) => /^[A-Za-z0-9][A-Za-z0-9:._/#-]{0,127}$/.test(id))).toBe(true);
  });
});
