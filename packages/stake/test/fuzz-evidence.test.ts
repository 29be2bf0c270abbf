// Evidence files come from anyone: whatever the bytes, verification answers with a verdict and never throws, and a
// mutated copy of valid evidence is only accepted if its offence still verifies under the same keys.
import fc from 'fast-check';
import { bytesToHex } from '@noble/hashes/utils.js';
import { hostPublicKey, sealMessage } from '@tapbridge/signing';
import { describe, expect, it } from 'vitest';
import { anyJson, FUZZ_TIMEOUT_MS, fuzzParams, mutatedJson } from '../../testing/src/fuzz.js';
import { signLivenessRecord, verifyEvidence } from '../src/index.js';

const signerKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const coordinatorKey = Uint8Array.from({ length: 32 }, (_, i) => 100 - i);
const signerPub = bytesToHex(hostPublicKey(signerKey));
const coordinatorPub = bytesToHex(hostPublicKey(coordinatorKey));

const record = { signerHostPubkey: signerPub, signerIndex: 2, epoch: 9, windowSize: 4, maxMisses: 1, probes: [0, 1, 2, 3].map((i) => ({ id: `hb-${i}`, at: i, answered: i === 3 })) };
const liveness = { kind: 'liveness', version: 1, coordinatorHostPubkey: coordinatorPub, record, sig: signLivenessRecord(record, coordinatorKey) };
const partial = (psig: string) => sealMessage({ type: 'sign.partial', sessionId: 'req#1', sender: 2, recipient: 0, body: { roastSession: 3, psig, nextPubnonce: '02'.padEnd(132, '1'), sessionDigest: '5e'.repeat(32) } }, signerKey, 1_000);
const equivocation = { kind: 'equivocation', version: 1, signerHostPubkey: signerPub, first: partial('11'.repeat(32)), second: partial('22'.repeat(32)) };

describe('evidence verification on hostile input', () => {
  it('the valid seeds verify', () => {
    expect(verifyEvidence(liveness)).toMatchObject({ valid: true });
    expect(verifyEvidence(equivocation)).toMatchObject({ valid: true });
  });

  it('property: any JSON and any mutation of valid evidence yields a verdict, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson(), mutatedJson([liveness, equivocation])), (input) => {
        const verdict = verifyEvidence(input);
        expect(typeof verdict.valid).toBe('boolean');
        if (!verdict.valid) expect(verdict.reason.length).toBeGreaterThan(0);
        // Accepted mutations still name the keys that signed the seed: nobody else can be blamed by editing a file.
        if (verdict.valid) expect(verdict.signerHostPubkey).toBe(signerPub);
      }),
      fuzzParams(300),
    );
  }, FUZZ_TIMEOUT_MS);
});
