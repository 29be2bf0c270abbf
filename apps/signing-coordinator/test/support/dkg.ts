// A complete ChillDKG run in-process (no transport): what the coordinator stores after a real ceremony.
import { randomBytes } from '@noble/hashes/utils.js';
import { coordinatorFinalize, coordinatorStep1, GroupKey, normalizeToEvenY, participantFinalize, participantStep1, participantStep2 } from '@tapbridge/frost';
import { generateHostKey, hostPublicKey } from '@tapbridge/signing';

export function simulateDkg(n: number, t: number): { hostPubkeys: Uint8Array[]; groupKey: GroupKey; recoveryData: Uint8Array } {
  const seckeys = Array.from({ length: n }, () => generateHostKey());
  const params = { hostpubkeys: seckeys.map((k) => hostPublicKey(k)), t };
  const step1 = seckeys.map((k) => participantStep1(k, params, randomBytes(32)));
  const c1 = coordinatorStep1(step1.map((s) => s.pmsg1), params);
  const step2 = seckeys.map((k, i) => participantStep2(k, step1[i]!.state1, c1.cmsg1, randomBytes(32)));
  const fin = coordinatorFinalize(c1.state, step2.map((s) => s.pmsg2));
  for (const s of step2) participantFinalize(s.state2, fin.cmsg2);
  const even = normalizeToEvenY(fin.output);
  return { hostPubkeys: params.hostpubkeys, groupKey: GroupKey.fromShares({ n, t, threshPk: even.threshPk, pubshares: even.pubshares }), recoveryData: fin.recoveryData };
}
