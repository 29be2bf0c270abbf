// The coordinator's signing loop (packages/signing SigningDriver) over an in-process 3-of-5 group with signer 3 sending
// bad partial signatures (SIGNER_FAULT=bad-partial): the misbehaviour event it queues carries evidence built from the
// messages it really exchanged, and that evidence verifies offline. A partial paired with a session it did not answer
// (what a lying coordinator would publish) does not.
import { bytesToHex } from '@noble/hashes/utils.js';
import { hostPublicKey, InMemorySigningStore, SigningDriver, type PartialExchange } from '@tapbridge/signing';
import { Group, GroupTransport, ManualClock } from '@tapbridge/signing/testing';
import { describe, expect, it } from 'vitest';
import { invalidPartialEvidence, verifyEvidence } from '../src/index.js';

describe('evidence from the signing loop', () => {
  it('a bad partial is reported with evidence that verifies; the honest partials of the same run make no evidence', { timeout: 120_000 }, async () => {
    const group = new Group(5, 3, { faults: { 3: 'bad-partial' } });
    await group.runDkg();
    const transport = new GroupTransport(group);
    [4, 5].forEach((s) => transport.down.add(s)); // the only possible first session includes the liar
    const groupKey = transport.groupKey();
    const coordinatorHostPubkey = bytesToHex(hostPublicKey(group.coordinatorKey));
    const build = (x: PartialExchange) =>
      invalidPartialEvidence({
        signerHostPubkey: bytesToHex(group.signers[x.signer - 1]!.hostPubkey),
        coordinatorHostPubkey,
        group: { n: 5, t: 3, threshPk: bytesToHex(groupKey.threshPk), pubshares: groupKey.pubshares.map((p) => bytesToHex(p)) },
        dkgDone: group.dkgDone.get(x.signer)!,
        session: x.session,
        partial: x.partial,
      });
    const exchanges: PartialExchange[] = [];
    const store = new InMemorySigningStore();
    const driver = new SigningDriver({
      store, transport, clock: new ManualClock(), defaultTweak: () => ({ kind: 'key-path-only' }), signingTimeoutMs: 3_600_000, stallMs: 8_000, retryMs: 1_500, pollMs: 50,
      evidence: async (x) => {
        exchanges.push(x);
        transport.down.clear();
        return build(x);
      },
    });
    driver.setGroupKey(groupKey);
    const row = await driver.submit({ purpose: 'message', payload: { kind: 'message', message: 'ab'.repeat(32) } });
    await driver.settled(row.id);
    await driver.stop();
    expect((await store.request(row.id))?.status).toBe('signed');
    expect(store.outbox).toHaveLength(1);
    const event = store.outbox[0]!.payload;
    expect([event.signerId, event.reason]).toEqual([3, 'invalid_partial_signature']);
    const verdict = verifyEvidence(JSON.parse(JSON.stringify(event.evidence)), { coordinatorHostPubkey });
    expect(verdict).toMatchObject({ valid: true, offence: 'invalid_partial_signature', signerHostPubkey: bytesToHex(group.signers[2]!.hostPubkey) });

    // The liar's partial paired with signer 1's session (same ROAST session, another message): refused, whatever the
    // coordinator claims. And an honest signer's partial proves nothing.
    expect(exchanges).toHaveLength(1);
    const liar = exchanges[0]!;
    const other = await group.exchange(1, 'sign.session', liar.session.sessionId, liar.session.body);
    expect(verifyEvidence({ ...build(liar), session: other.request })).toMatchObject({ valid: false });
  });
});
