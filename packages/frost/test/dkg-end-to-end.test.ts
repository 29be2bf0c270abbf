import { schnorr } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DkgRunResult,
  type ParticipantState1,
  type SecNonce,
  FaultyParticipantError,
  FaultyParticipantOrCoordinatorError,
  G,
  GroupKey,
  UnknownFaultyParticipantOrCoordinatorError,
  certeqParticipantStep,
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorStep1,
  hasEvenY,
  hostpubkeyGen,
  keyPathOnlyCustodyTweak,
  nonceAgg,
  nonceGen,
  normalizeToEvenY,
  participantInvestigate,
  participantRecover,
  participantStep1,
  participantStep2,
  partialSigAgg,
  partialSigVerify,
  pointFromCompressed,
  pointToCompressed,
  runChillDkg,
  scalarFromBytesChecked,
  sign,
} from '../src/index.js';

const n = 5;
const t = 3;

describe('ChillDKG end to end, 3-of-5', () => {
  let run: DkgRunResult;
  beforeAll(() => {
    run = runChillDkg(n, t);
  });

  it('gives every participant the same threshold key and pubshares, each matching its secret share', () => {
    const [first] = run.outputs;
    for (const out of run.outputs) {
      expect(out.threshPk).toEqual(first?.threshPk);
      expect(out.pubshares).toEqual(first?.pubshares);
    }
    run.outputs.forEach((out, i) => {
      const s = scalarFromBytesChecked(out.secshare as Uint8Array);
      expect(pointToCompressed(G.multiply(s))).toEqual(out.pubshares[i]);
    });
  });

  it('recovers each participant output from the recovery data and its host secret key', () => {
    run.hostseckeys.forEach((sk, i) => {
      const { output, params } = participantRecover(sk, run.recoveryData);
      expect(output).toEqual(run.outputs[i]);
      expect(params.t).toBe(t);
      expect(params.hostpubkeys[i]).toEqual(hostpubkeyGen(sk));
    });
  });

  it('normalises to an even-y key whose shares still produce BIP340 signatures under the custody output key', () => {
    const outputs = run.outputs.map(normalizeToEvenY);
    const first = outputs[0];
    if (first === undefined) throw new Error('no output');
    const Q = pointFromCompressed(first.threshPk);
    expect(hasEvenY(Q)).toBe(true);
    // Normalisation keeps the x-only key.
    expect(first.threshPk.subarray(1)).toEqual(run.outputs[0]?.threshPk.subarray(1));
    const groupKey = GroupKey.fromShares({ n, t, threshPk: first.threshPk, pubshares: first.pubshares });
    const { tweak, outputKey } = keyPathOnlyCustodyTweak(groupKey.xonly);
    const msg = randomBytes(32);
    const ids = [4, 0, 2];
    const signersCtx = { n, t, ids, pubshares: ids.map((i) => first.pubshares[i] as Uint8Array), threshPk: first.threshPk };
    const nonces = ids.map(() => nonceGen());
    const aggnonce = nonceAgg(nonces.map((x) => x.pubnonce));
    const session = { aggnonce, signersCtx, tweaks: [tweak], isXonly: [true], msg };
    const psigs = ids.map((id, k) => sign(nonces[k]?.secnonce as SecNonce, outputs[id]?.secshare as Uint8Array, id, session));
    psigs.forEach((psig, k) => {
      expect(partialSigVerify(psig, nonces.map((x) => x.pubnonce), signersCtx, [tweak], [true], msg, k)).toBe(true);
    });
    const sig = partialSigAgg(psigs, session);
    expect(schnorr.verify(sig, msg, outputKey)).toBe(true);
    expect(schnorr.verify(sig, msg, groupKey.xonly)).toBe(false);
  });
});

describe('ChillDKG rejects tampered messages and names the participant', () => {
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const params = { hostpubkeys: hostseckeys.map(hostpubkeyGen), t };
  const popOffset = 33 * t;
  const encShareOffset = (recipient: number) => 33 * t + 64 + 33 + 32 * recipient;

  function round1() {
    return hostseckeys.map((sk) => participantStep1(sk, params, randomBytes(32)));
  }

  it('a bad proof of possession from participant 1 is blamed on participant 1', () => {
    const step1 = round1();
    const pmsgs = step1.map((s) => Uint8Array.from(s.pmsg1));
    const tampered = pmsgs[1] as Uint8Array;
    tampered[popOffset + 5] = (tampered[popOffset + 5] as number) ^ 0x01;
    const { cmsg1 } = coordinatorStep1(pmsgs, params);
    let err: unknown;
    try {
      participantStep2(hostseckeys[0] as Uint8Array, step1[0]?.state1 as ParticipantState1, cmsg1, randomBytes(32));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FaultyParticipantOrCoordinatorError);
    expect((err as FaultyParticipantError).participant).toBe(1);
    expect((err as FaultyParticipantError).reason).toBe('Participant sent invalid proof-of-knowledge');
  });

  it('a share that does not match the dealer commitment is traced to its dealer by the investigation', () => {
    const step1 = round1();
    const pmsgs = step1.map((s) => Uint8Array.from(s.pmsg1));
    // Participant 3 adds 1 to the encrypted share it deals to participant 0.
    const target = pmsgs[3] as Uint8Array;
    const at = encShareOffset(0);
    target[at + 31] = ((target[at + 31] as number) + 1) & 0xff;
    const { cmsg1 } = coordinatorStep1(pmsgs, params);
    let unknown: unknown;
    try {
      participantStep2(hostseckeys[0] as Uint8Array, step1[0]?.state1 as ParticipantState1, cmsg1, randomBytes(32));
    } catch (e) {
      unknown = e;
    }
    expect(unknown).toBeInstanceOf(UnknownFaultyParticipantOrCoordinatorError);
    const cinvs = coordinatorInvestigate(pmsgs, params);
    let blamed: unknown;
    try {
      participantInvestigate(unknown as UnknownFaultyParticipantOrCoordinatorError, cinvs[0] as Uint8Array);
    } catch (e) {
      blamed = e;
    }
    expect(blamed).toBeInstanceOf(FaultyParticipantOrCoordinatorError);
    expect((blamed as FaultyParticipantError).participant).toBe(3);
    // Other recipients are unaffected.
    expect(() => participantStep2(hostseckeys[2] as Uint8Array, step1[2]?.state1 as ParticipantState1, cmsg1, randomBytes(32))).not.toThrow();
  });

  it('a certificate signature over a different transcript is blamed on its signer by the coordinator', () => {
    const step1 = round1();
    const { state, cmsg1 } = coordinatorStep1(
      step1.map((s) => s.pmsg1),
      params,
    );
    const step2 = hostseckeys.map((sk, i) => participantStep2(sk, step1[i]?.state1 as ParticipantState1, cmsg1, randomBytes(32)));
    const pmsgs2 = step2.map((s) => s.pmsg2);
    const forged = Uint8Array.from(step2[2]?.state2.eqInput as Uint8Array);
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0xff;
    pmsgs2[2] = certeqParticipantStep(hostseckeys[2] as Uint8Array, 2, forged, randomBytes(32));
    let err: unknown;
    try {
      coordinatorFinalize(state, pmsgs2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FaultyParticipantError);
    expect(err).not.toBeInstanceOf(FaultyParticipantOrCoordinatorError);
    expect((err as FaultyParticipantError).participant).toBe(2);
  });
});
