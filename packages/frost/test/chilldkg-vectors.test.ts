import { describe, expect, it } from 'vitest';
import {
  type SessionParams,
  UnknownFaultyParticipantOrCoordinatorError,
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorRecover,
  coordinatorStep1,
  hostpubkeyGen,
  paramsHash,
  participantFinalize,
  participantInvestigate,
  participantRecover,
  participantStep1,
  participantStep2,
} from '../src/index.js';
import { hex, readVectors, toHex, vectorsPresent } from './shared-data.js';

const DIR = 'chilldkg';
const present = vectorsPresent(DIR);

interface ExpectedError { type: string; message?: string; participantId?: number; participantId1?: number; participantId2?: number }
interface Params { hostpubkeys: string[]; t: number }
interface Output { secshare: string | null; threshPk: string; pubshares: string[] }

const params = (p: Params): SessionParams => ({ hostpubkeys: p.hostpubkeys.map(hex), t: p.t });
const load = <T,>(file: string): T => (present ? readVectors<T>(DIR, file) : ({ testGroups: [], validTestCases: [], errorTestCases: [] } as T));

/** Spec exception names map 1:1 to our error `name`s; ValueError is our FrostInputError. */
function expectDkgError(fn: () => unknown, err: ExpectedError): unknown {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${err.type}`).toBeInstanceOf(Error);
  const e = thrown as Error & { participant?: number; participantId?: number; participantId1?: number; participantId2?: number; reason?: string };
  expect(e.name).toBe(err.type === 'ValueError' ? 'FrostInputError' : err.type);
  if (err.participantId !== undefined) expect(e.participant ?? e.participantId).toBe(err.participantId);
  if (err.participantId1 !== undefined) expect([e.participantId1, e.participantId2]).toEqual([err.participantId1, err.participantId2]);
  if (err.message !== undefined && err.type !== 'ValueError') expect(e.reason ?? e.message).toBe(err.message);
  return thrown;
}

function expectOutput(actual: { secshare: Uint8Array | null; threshPk: Uint8Array; pubshares: readonly Uint8Array[] }, expected: Output): void {
  expect(actual.secshare === null ? null : toHex(actual.secshare)).toBe(expected.secshare);
  expect(toHex(actual.threshPk)).toBe(expected.threshPk);
  expect(actual.pubshares.map(toHex)).toEqual(expected.pubshares);
}

describe.skipIf(!present)('ChillDKG vectors', () => {
  describe('hostpubkey_gen', () => {
    const d = load<{ validTestCases: { tcId: number; hostseckey: string; expectedHostpubkey: string }[]; errorTestCases: { tcId: number; hostseckey: string; expectedError: ExpectedError }[] }>('hostpubkey_gen_vectors.json');
    it.each(d.validTestCases.map((c) => [c.tcId, c] as const))('valid tc %i', (_i, c) => expect(toHex(hostpubkeyGen(hex(c.hostseckey)))).toBe(c.expectedHostpubkey));
    it.each(d.errorTestCases.map((c) => [c.tcId, c] as const))('error tc %i', (_i, c) => {
      expectDkgError(() => hostpubkeyGen(hex(c.hostseckey)), c.expectedError);
    });
  });

  describe('params_hash', () => {
    const d = load<{ validTestCases: { tcId: number; params: Params; expectedParamsHash: string }[]; errorTestCases: { tcId: number; params: Params; expectedError: ExpectedError }[] }>('params_hash_vectors.json');
    it.each(d.validTestCases.map((c) => [c.tcId, c] as const))('valid tc %i', (_i, c) => expect(toHex(paramsHash(params(c.params)))).toBe(c.expectedParamsHash));
    it.each(d.errorTestCases.map((c) => [c.tcId, c] as const))('error tc %i', (_i, c) => {
      expectDkgError(() => paramsHash(params(c.params)), c.expectedError);
    });
  });

  describe('participant_step1', () => {
    interface C { tcId: number; hostseckey: string; params: Params; random: string; expectedPmsg1?: string; expectedError?: ExpectedError }
    const d = load<{ testGroups: { validTestCases: C[]; errorTestCases: C[] }[] }>('participant_step1_vectors.json');
    const cases = d.testGroups.flatMap((g) => [...g.validTestCases, ...g.errorTestCases]);
    it.each(cases.map((c) => [c.tcId, c] as const))('tc %i', (_i, c) => {
      const run = () => participantStep1(hex(c.hostseckey), params(c.params), hex(c.random));
      if (c.expectedError) expectDkgError(run, c.expectedError);
      else expect(toHex(run().pmsg1)).toBe(c.expectedPmsg1);
    });
  });

  describe('coordinator_step1', () => {
    interface C { tcId: number; pmsg1Indices: number[]; params: Params; expectedCmsg1?: string; expectedError?: ExpectedError }
    const d = load<{ testGroups: { pmsg1Pool: string[]; validTestCases: C[]; errorTestCases: C[] }[] }>('coordinator_step1_vectors.json');
    const cases = d.testGroups.flatMap((g) => [...g.validTestCases, ...g.errorTestCases].map((c) => ({ c, pool: g.pmsg1Pool })));
    it.each(cases.map(({ c, pool }) => [c.tcId, c, pool] as const))('tc %i', (_i, c, pool) => {
      const run = () => coordinatorStep1(c.pmsg1Indices.map((i) => hex(pool[i] as string)), params(c.params));
      if (c.expectedError) expectDkgError(run, c.expectedError);
      else expect(toHex(run().cmsg1)).toBe(c.expectedCmsg1);
    });
  });

  interface PGroup { params: Params; hostseckey: string; random: string; auxRand: string; pmsg1: string }
  const step1 = (g: PGroup) => {
    const r = participantStep1(hex(g.hostseckey), params(g.params), hex(g.random));
    expect(toHex(r.pmsg1)).toBe(g.pmsg1);
    return r.state1;
  };

  describe('participant_step2', () => {
    interface C { tcId: number; cmsg1: string; hostseckey?: string; auxRand?: string; expectedPmsg2?: string; expectedError?: ExpectedError }
    const d = load<{ testGroups: (PGroup & { validTestCases: C[]; errorTestCases: C[] })[] }>('participant_step2_vectors.json');
    const cases = d.testGroups.flatMap((g) => [...g.validTestCases, ...g.errorTestCases].map((c) => ({ c, g })));
    it.each(cases.map(({ c, g }) => [c.tcId, c, g] as const))('tc %i', (_i, c, g) => {
      const state1 = step1(g);
      const run = () => participantStep2(hex(c.hostseckey ?? g.hostseckey), state1, hex(c.cmsg1), hex(c.auxRand ?? g.auxRand));
      if (c.expectedError) expectDkgError(run, c.expectedError);
      else expect(toHex(run().pmsg2)).toBe(c.expectedPmsg2);
    });
  });

  describe('participant_finalize', () => {
    interface C { tcId: number; cmsg2: string; expectedOutput?: { dkgOutput: Output; recoveryData: string }; expectedError?: ExpectedError }
    const d = load<{ testGroups: (PGroup & { cmsg1: string; pmsg2: string; validTestCases: C[]; errorTestCases: C[] })[] }>('participant_finalize_vectors.json');
    const cases = d.testGroups.flatMap((g) => [...g.validTestCases, ...g.errorTestCases].map((c) => ({ c, g })));
    it.each(cases.map(({ c, g }) => [c.tcId, c, g] as const))('tc %i', (_i, c, g) => {
      const { state2, pmsg2 } = participantStep2(hex(g.hostseckey), step1(g), hex(g.cmsg1), hex(g.auxRand));
      expect(toHex(pmsg2)).toBe(g.pmsg2);
      const run = () => participantFinalize(state2, hex(c.cmsg2));
      if (c.expectedError) expectDkgError(run, c.expectedError);
      else {
        const { output, recoveryData } = run();
        expectOutput(output, c.expectedOutput?.dkgOutput as Output);
        expect(toHex(recoveryData)).toBe(c.expectedOutput?.recoveryData);
      }
    });
  });

  describe('coordinator_finalize', () => {
    interface C { tcId: number; pmsg2Indices: number[]; expectedOutput?: { cmsg2: string; dkgOutput: Output; recoveryData: string }; expectedError?: ExpectedError }
    const d = load<{ testGroups: { params: Params; pmsgs1: string[]; cmsg1: string; pmsg2Pool: string[]; validTestCases: C[]; errorTestCases: C[] }[] }>('coordinator_finalize_vectors.json');
    const cases = d.testGroups.flatMap((g) => [...g.validTestCases, ...g.errorTestCases].map((c) => ({ c, g })));
    it.each(cases.map(({ c, g }) => [c.tcId, c, g] as const))('tc %i', (_i, c, g) => {
      const { state, cmsg1 } = coordinatorStep1(g.pmsgs1.map(hex), params(g.params));
      expect(toHex(cmsg1)).toBe(g.cmsg1);
      const run = () => coordinatorFinalize(state, c.pmsg2Indices.map((i) => hex(g.pmsg2Pool[i] as string)));
      if (c.expectedError) expectDkgError(run, c.expectedError);
      else {
        const { cmsg2, output, recoveryData } = run();
        expect(toHex(cmsg2)).toBe(c.expectedOutput?.cmsg2);
        expectOutput(output, c.expectedOutput?.dkgOutput as Output);
        expect(toHex(recoveryData)).toBe(c.expectedOutput?.recoveryData);
      }
    });
  });

  describe('coordinator_investigate', () => {
    interface C { tcId: number; expectedCinvMsgs: string[] }
    const d = load<{ testGroups: { params: Params; pmsgs1: string[]; validTestCases: C[] }[] }>('coordinator_investigate_vectors.json');
    const cases = d.testGroups.flatMap((g) => g.validTestCases.map((c) => ({ c, g })));
    it.each(cases.map(({ c, g }) => [c.tcId, c, g] as const))('tc %i', (_i, c, g) => {
      expect(coordinatorInvestigate(g.pmsgs1.map(hex), params(g.params)).map(toHex)).toEqual(c.expectedCinvMsgs);
    });
  });

  describe('participant_investigate', () => {
    interface C { tcId: number; cmsg1Index: number; cinvMsg: string; expectedError: ExpectedError }
    const d = load<{ testGroups: (PGroup & { cmsg1Pool: string[]; errorTestCases: C[] })[] }>('participant_investigate_vectors.json');
    const cases = d.testGroups.flatMap((g) => g.errorTestCases.map((c) => ({ c, g })));
    it.each(cases.map(({ c, g }) => [c.tcId, c, g] as const))('tc %i', (_i, c, g) => {
      const state1 = step1(g);
      const unknown = expectDkgError(() => participantStep2(hex(g.hostseckey), state1, hex(g.cmsg1Pool[c.cmsg1Index] as string), hex(g.auxRand)), {
        type: 'UnknownFaultyParticipantOrCoordinatorError',
      }) as UnknownFaultyParticipantOrCoordinatorError;
      expectDkgError(() => participantInvestigate(unknown, hex(c.cinvMsg)), c.expectedError);
    });
  });

  describe('recover', () => {
    interface C { tcId: number; hostseckey: string | null; recoveryData: string; expectedOutput?: { dkgOutput: Output; params: Params }; expectedError?: ExpectedError }
    const d = load<{ validTestCases: C[]; errorTestCases: C[] }>('recover_vectors.json');
    it.each([...d.validTestCases, ...d.errorTestCases].map((c) => [c.tcId, c] as const))('tc %i', (_i, c) => {
      const run = () => (c.hostseckey === null ? coordinatorRecover(hex(c.recoveryData)) : participantRecover(hex(c.hostseckey), hex(c.recoveryData)));
      if (c.expectedError) expectDkgError(run, c.expectedError);
      else {
        const { output, params: p } = run();
        expectOutput(output, c.expectedOutput?.dkgOutput as Output);
        expect({ hostpubkeys: p.hostpubkeys.map(toHex), t: p.t }).toEqual(c.expectedOutput?.params);
      }
    });
  });
});
