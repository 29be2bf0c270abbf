import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  FrostInputError,
  InvalidContributionError,
  SecNonce,
  type SignersContext,
  deterministicSign,
  nonceAgg,
  nonceGenInternal,
  partialSigAgg,
  partialSigVerify,
  partialSigVerifyInternal,
  pointToXonly,
  sign,
  threshPubkeyAndTweak,
} from '../src/index.js';
import { hex, readVectors, toHex, vectorsPresent } from './shared-data.js';

const DIR = 'frost-bip445';
const present = vectorsPresent(DIR);

type ExpectedError =
  | { type: 'ValueError'; message: string }
  | { type: 'InvalidContributionError'; signer_index: number | null; contrib: string };

/** Asserts that `fn` fails the way the vector says: ValueError ↔ FrostInputError with the same message. */
function expectVectorError(fn: () => unknown, error: ExpectedError): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected an error').toBeDefined();
  if (error.type === 'ValueError') {
    expect(thrown).toBeInstanceOf(FrostInputError);
    expect((thrown as Error).message).toBe(error.message);
  } else {
    expect(thrown).toBeInstanceOf(InvalidContributionError);
    expect((thrown as InvalidContributionError).signerIndex).toBe(error.signer_index);
    expect((thrown as InvalidContributionError).contrib).toBe(error.contrib);
  }
}

interface Group {
  tg_id: string;
  t: number;
  n: number;
  thresh_pk: string;
  pubshares: string[];
  pubnonces?: string[];
  secshares?: string[];
  secnonces?: string[];
  tweaks?: string[];
}

function signersCtx(g: Group, ids: number[], pubshareIndices: number[]): SignersContext {
  return { n: g.n, t: g.t, ids, pubshares: pubshareIndices.map((i) => hex(g.pubshares[i] as string)), threshPk: hex(g.thresh_pk) };
}

describe.skipIf(!present)('BIP445 vectors: NonceGen', () => {
  interface Case { tc_id: number; rand_: string; secshare: string | null; pubshare: string | null; thresh_pk: string | null; msg: string | null; extra_in: string | null; expected: [string, string] }
  const data = present ? readVectors<{ valid_tests: Case[] }>(DIR, 'nonce_gen_vectors.json') : { valid_tests: [] };
  const opt = (s: string | null): Uint8Array | undefined => (s === null ? undefined : hex(s));
  it.each(data.valid_tests.map((c) => [c.tc_id, c] as const))('tc %i', (_id, c) => {
    const { secnonce, pubnonce } = nonceGenInternal(hex(c.rand_), {
      secshare: opt(c.secshare),
      pubshare: opt(c.pubshare),
      threshPk: opt(c.thresh_pk),
      msg: opt(c.msg),
      extraIn: opt(c.extra_in),
    });
    expect(toHex(secnonce)).toBe(c.expected[0]);
    expect(toHex(pubnonce)).toBe(c.expected[1]);
  });
});

describe.skipIf(!present)('BIP445 vectors: NonceAgg', () => {
  interface Data { pubnonces: string[]; valid_tests: { tc_id: number; pubnonce_indices: number[]; expected: string }[]; error_tests: { tc_id: number; pubnonce_indices: number[]; error: ExpectedError }[] }
  const data = present ? readVectors<Data>(DIR, 'nonce_agg_vectors.json') : { pubnonces: [], valid_tests: [], error_tests: [] };
  const pick = (idx: number[]): Uint8Array[] => idx.map((i) => hex(data.pubnonces[i] as string));
  it.each(data.valid_tests.map((c) => [c.tc_id, c] as const))('valid tc %i', (_id, c) => {
    expect(toHex(nonceAgg(pick(c.pubnonce_indices)))).toBe(c.expected);
  });
  it.each(data.error_tests.map((c) => [c.tc_id, c] as const))('error tc %i', (_id, c) => {
    expectVectorError(() => nonceAgg(pick(c.pubnonce_indices)), c.error);
  });
});

interface SignCase {
  tc_id: number;
  my_id: number;
  ids: number[];
  pubshare_indices: number[];
  pubnonce_indices?: number[];
  secshare_index: number;
  secnonce_index: number;
  aggnonce: string;
  msg: string;
  tweak_indices?: number[];
  is_xonly?: boolean[];
  expected?: string;
  error?: ExpectedError;
}
interface VerifyCase { tc_id: number; psig: string; ids: number[]; pubshare_indices: number[]; pubnonce_indices: number[]; signer_index: number; msg: string; error?: ExpectedError }

function runSignGroups(file: string): void {
  const data = present ? readVectors<{ test_groups: (Group & Record<string, unknown>)[] }>(DIR, file) : { test_groups: [] };
  for (const g of data.test_groups) {
    describe(`${file} ${g.tg_id}`, () => {
      const tweaksOf = (c: SignCase): Uint8Array[] => (c.tweak_indices ?? []).map((i) => hex((g.tweaks as string[])[i] as string));
      const sessionOf = (c: SignCase) => ({
        aggnonce: hex(c.aggnonce),
        signersCtx: signersCtx(g, c.ids, c.pubshare_indices),
        tweaks: tweaksOf(c),
        isXonly: c.is_xonly ?? [],
        msg: hex(c.msg),
      });
      const valid = (g.valid_tests as SignCase[] | undefined) ?? [];
      it.each(valid.map((c) => [c.tc_id, c] as const))('valid tc %i', (_id, c) => {
        const session = sessionOf(c);
        const pubnonces = (c.pubnonce_indices ?? []).map((i) => hex((g.pubnonces as string[])[i] as string));
        expect(toHex(nonceAgg(pubnonces))).toBe(c.aggnonce);
        const secnonce = SecNonce.import(hex((g.secnonces as string[])[c.secnonce_index] as string));
        const psig = sign(secnonce, hex((g.secshares as string[])[c.secshare_index] as string), c.my_id, session);
        expect(toHex(psig)).toBe(c.expected);
        const i = c.ids.indexOf(c.my_id);
        expect(partialSigVerify(psig, pubnonces, session.signersCtx, session.tweaks, session.isXonly, session.msg, i)).toBe(true);
      });
      const signErrors = ((g.sign_error_tests ?? g.error_tests) as SignCase[] | undefined) ?? [];
      it.each(signErrors.map((c) => [c.tc_id, c] as const))('sign error tc %i', (_id, c) => {
        const secnonce = SecNonce.import(hex((g.secnonces as string[])[c.secnonce_index] as string));
        expectVectorError(() => sign(secnonce, hex((g.secshares as string[])[c.secshare_index] as string), c.my_id, sessionOf(c)), c.error as ExpectedError);
      });
      const verifyFail = (g.verify_fail_tests as VerifyCase[] | undefined) ?? [];
      it.each(verifyFail.map((c) => [c.tc_id, c] as const))('verify fail tc %i', (_id, c) => {
        const pubnonces = c.pubnonce_indices.map((i) => hex((g.pubnonces as string[])[i] as string));
        expect(partialSigVerify(hex(c.psig), pubnonces, signersCtx(g, c.ids, c.pubshare_indices), [], [], hex(c.msg), c.signer_index)).toBe(false);
      });
      const verifyErrors = (g.verify_error_tests as VerifyCase[] | undefined) ?? [];
      it.each(verifyErrors.map((c) => [c.tc_id, c] as const))('verify error tc %i', (_id, c) => {
        const pubnonces = c.pubnonce_indices.map((i) => hex((g.pubnonces as string[])[i] as string));
        expectVectorError(
          () => partialSigVerify(hex(c.psig), pubnonces, signersCtx(g, c.ids, c.pubshare_indices), [], [], hex(c.msg), c.signer_index),
          c.error as ExpectedError,
        );
      });
    });
  }
}

describe.skipIf(!present)('BIP445 vectors: Sign / PartialSigVerify', () => runSignGroups('sign_verify_vectors.json'));
describe.skipIf(!present)('BIP445 vectors: tweaks', () => runSignGroups('tweak_vectors.json'));

describe.skipIf(!present)('BIP445 vectors: DeterministicSign', () => {
  interface DetCase { tc_id: number; my_id: number; ids: number[]; pubshare_indices: number[]; secshare_index: number; aggothernonce: string | null; rand: string | null; msg: string; tweaks: string[]; is_xonly: boolean[]; expected?: [string, string]; error?: ExpectedError }
  const data = present ? readVectors<{ test_groups: (Group & { valid_tests: DetCase[]; error_tests: DetCase[] })[] }>(DIR, 'det_sign_vectors.json') : { test_groups: [] };
  for (const g of data.test_groups) {
    const run = (c: DetCase) =>
      deterministicSign(
        hex(g.secshares?.[c.secshare_index] as string),
        c.my_id,
        c.aggothernonce === null ? null : hex(c.aggothernonce),
        signersCtx(g, c.ids, c.pubshare_indices),
        c.tweaks.map(hex),
        c.is_xonly,
        hex(c.msg),
        c.rand === null ? null : hex(c.rand),
      );
    it.each(g.valid_tests.map((c) => [g.tg_id, c.tc_id, c] as const))('%s valid tc %i', (_g, _id, c) => {
      const [pubnonce, psig] = run(c);
      expect([toHex(pubnonce), toHex(psig)]).toEqual(c.expected);
      const session = { aggnonce: nonceAgg(c.aggothernonce === null ? [pubnonce] : [hex(c.aggothernonce), pubnonce]), signersCtx: signersCtx(g, c.ids, c.pubshare_indices), tweaks: c.tweaks.map(hex), isXonly: c.is_xonly, msg: hex(c.msg) };
      const pubshare = hex(g.pubshares[c.pubshare_indices[c.ids.indexOf(c.my_id)] as number] as string);
      expect(partialSigVerifyInternal(psig, c.my_id, pubnonce, pubshare, session)).toBe(true);
    });
    it.each(g.error_tests.map((c) => [g.tg_id, c.tc_id, c] as const))('%s error tc %i', (_g, _id, c) => {
      expectVectorError(() => run(c), c.error as ExpectedError);
    });
  }
});

describe.skipIf(!present)('BIP445 vectors: PartialSigAgg', () => {
  interface AggCase { tc_id: number; ids: number[]; pubshare_indices: number[]; aggnonce: string; tweak_indices: number[]; is_xonly: boolean[]; psigs: string[]; msg: string; expected?: string; error?: ExpectedError }
  const data = present ? readVectors<{ test_groups: (Group & { valid_tests: AggCase[]; error_tests: AggCase[] })[] }>(DIR, 'sig_agg_vectors.json') : { test_groups: [] };
  for (const g of data.test_groups) {
    const sessionOf = (c: AggCase) => ({
      aggnonce: hex(c.aggnonce),
      signersCtx: signersCtx(g, c.ids, c.pubshare_indices),
      tweaks: c.tweak_indices.map((i) => hex(g.tweaks?.[i] as string)),
      isXonly: c.is_xonly,
      msg: hex(c.msg),
    });
    it.each(g.valid_tests.map((c) => [g.tg_id, c.tc_id, c] as const))('%s valid tc %i', (_g, _id, c) => {
      const session = sessionOf(c);
      const sig = partialSigAgg(c.psigs.map(hex), session);
      expect(toHex(sig)).toBe(c.expected);
      // The aggregate is an ordinary BIP340 signature under the tweaked threshold key.
      const Q = threshPubkeyAndTweak(hex(g.thresh_pk), session.tweaks, session.isXonly).Q;
      expect(schnorr.verify(sig, session.msg, pointToXonly(Q))).toBe(true);
    });
    it.each(g.error_tests.map((c) => [g.tg_id, c.tc_id, c] as const))('%s error tc %i', (_g, _id, c) => {
      expectVectorError(() => partialSigAgg(c.psigs.map(hex), sessionOf(c)), c.error as ExpectedError);
    });
  }
});
