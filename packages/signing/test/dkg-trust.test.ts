// The DKG under attack and under failure: a coordinator that substitutes participants is refused by every honest
// signer; a DKG whose last message is lost (or whose coordinator crashes after the certificate) always completes.
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { deriveInterpolatingValue, G, N, normalizeToEvenY, paramsHash, participantFinalize, participantStep1, participantStep2, pointToCompressed, scalarFromBytesChecked } from '@tapbridge/frost';
import { describe, expect, it } from 'vitest';
import {
  DkgCeremony,
  finishDkg,
  generateHostKey,
  hostPublicKey,
  PolicyRegistry,
  runDkg,
  SignerProtocol,
  StaticExpectedParticipants,
  type DkgRequestType,
  type DkgTransport,
  type MessageBody,
  type ProtocolMessage,
} from '../src/index.js';
import { Group } from './helpers.js';

const body = (m: ProtocolMessage) => m.body as { code?: string; message?: string };

/** The group's transport, with some messages dropped (a lost request: the signer never sees it). */
function transport(group: Group, drop: (index: number, type: DkgRequestType) => boolean = () => false, log: string[] = []): DkgTransport {
  return {
    async ask<T extends DkgRequestType>(index: number, type: T, sessionId: string, b: MessageBody<T>) {
      log.push(`${type}→${index}`);
      if (drop(index, type)) throw new Error(`${type} to signer ${index} was lost`);
      return group.ask(index, type, sessionId, b);
    },
  };
}

const startBody = (group: Group, hostPubkeys: Uint8Array[]) => ({ t: group.t, hostPubkeys: hostPubkeys.map(bytesToHex), coordinatorPubkey: bytesToHex(hostPublicKey(group.coordinatorKey)) });

describe('DKG participant substitution (n = 3, t = 2)', () => {
  /** The coordinator keeps each honest signer in its own slot and fills the other two with keys it controls. */
  function substituted(group: Group, victim: number): { hostPubkeys: Uint8Array[]; fakeSeckeys: Uint8Array[] } {
    const fakeSeckeys = [generateHostKey(), generateHostKey()];
    const fakes = [...fakeSeckeys];
    const hostPubkeys = group.signers.map((s, i) => (i + 1 === victim ? s.hostPubkey : hostPublicKey(fakes.shift() as Uint8Array)));
    return { hostPubkeys, fakeSeckeys };
  }

  it('every honest signer refuses a dkg.start whose other slots hold the coordinator\'s keys', async () => {
    const group = new Group(3, 2);
    for (let victim = 1; victim <= 3; victim++) {
      const { hostPubkeys, fakeSeckeys } = substituted(group, victim);
      // The coordinator plays the fake participants itself: their round-1 messages are ready.
      const fakeRound1 = fakeSeckeys.map((k) => participantStep1(k, { hostpubkeys: hostPubkeys, t: 2 }, randomBytes(32)).pmsg1);
      expect(fakeRound1).toHaveLength(2);
      const reply = await group.ask(victim, 'dkg.start', `evil-${victim}`, startBody(group, hostPubkeys));
      expect(reply.type).toBe('protocol.error');
      expect(body(reply).code).toBe('wrong_params');
      expect(body(reply).message).toMatch(/host keys for signer\(s\) .* are not the expected participants'/);
    }
    expect(group.saved.size).toBe(0);
    // The genuine set still runs.
    await group.runDkg();
    expect(group.saved.size).toBe(3);
  });

  it('a signer pinned by params_hash alone refuses the substitution and accepts the genuine set', async () => {
    const group = new Group(3, 2, {
      trust: (_i, hostPubkeys) => ({ expectedParticipants: StaticExpectedParticipants.fromConfig({ paramsHash: bytesToHex(paramsHash({ hostpubkeys: hostPubkeys, t: 2 })) }) }),
    });
    const { hostPubkeys } = substituted(group, 2);
    const refused = await group.ask(2, 'dkg.start', 'evil', startBody(group, hostPubkeys));
    expect(body(refused).message).toMatch(/params_hash [0-9a-f]{64} is not the expected/);
    // Another threshold over the right keys is a different params_hash too.
    const otherT = await group.ask(2, 'dkg.start', 'evil-t', { ...startBody(group, group.signers.map((s) => s.hostPubkey)), t: 3 });
    expect(otherT.type).toBe('protocol.error');
    await group.runDkg();
    expect(group.saved.size).toBe(3);
  });

  it('without pins the attack works: the coordinator plays two slots and ends up with the whole custody key', async () => {
    // What the pins prevent, run to the end: signer 1 unpinned (regtest trust on first use), slots 2 and 3 played by
    // the coordinator. The coordinator's two shares reach t = 2, so it alone knows the key signer 1 then guards.
    const group = new Group(3, 2, { trust: () => ({ allowTrustOnFirstUse: true }) });
    const { hostPubkeys, fakeSeckeys } = substituted(group, 1);
    const params = { hostpubkeys: hostPubkeys, t: 2 };
    const ceremony = new DkgCeremony('evil', hostPubkeys, 2);
    const victim1 = await group.ask(1, 'dkg.start', 'evil', startBody(group, hostPubkeys));
    const fake1 = fakeSeckeys.map((k) => participantStep1(k, params, randomBytes(32)));
    const cmsg1 = ceremony.aggregateRound1(new Map([[1, Buffer.from((victim1.body as { pmsg1: string }).pmsg1, 'hex')], [2, fake1[0]!.pmsg1], [3, fake1[1]!.pmsg1]]));
    const victim2 = await group.ask(1, 'dkg.cmsg1', 'evil', { cmsg1: bytesToHex(cmsg1) });
    const fake2 = fakeSeckeys.map((k, i) => participantStep2(k, fake1[i]!.state1, cmsg1, randomBytes(32)));
    const { cmsg2, result } = ceremony.finalize(new Map([[1, Buffer.from((victim2.body as { pmsg2: string }).pmsg2, 'hex')], [2, fake2[0]!.pmsg2], [3, fake2[1]!.pmsg2]]));
    expect((await group.ask(1, 'dkg.cmsg2', 'evil', { cmsg2: bytesToHex(cmsg2) })).type).toBe('dkg.done');
    const stolen = fake2.map((f) => scalarFromBytesChecked(normalizeToEvenY(participantFinalize(f.state2, cmsg2).output).secshare as Uint8Array));
    const secret = (stolen[0]! * deriveInterpolatingValue([1, 2], 1) + stolen[1]! * deriveInterpolatingValue([1, 2], 2)) % N;
    expect(bytesToHex(pointToCompressed(G.multiply(secret)))).toBe(bytesToHex(result.groupKey.threshPk));
    expect(bytesToHex(group.saved.get(1)?.groupKey.threshPk as Uint8Array)).toBe(bytesToHex(result.groupKey.threshPk));
  });

  it('without a pinned set only regtest trust-on-first-use takes part; otherwise every DKG is refused', async () => {
    const tofu = new Group(3, 2, { trust: () => ({ allowTrustOnFirstUse: true }) });
    const { hostPubkeys } = substituted(tofu, 1);
    // This is the attack the pins prevent: an unpinned signer joins the substituted ceremony.
    expect((await tofu.ask(1, 'dkg.start', 'evil', startBody(tofu, hostPubkeys))).type).toBe('dkg.round1');
    const strict = new Group(3, 2, { trust: () => ({}) });
    const reply = await strict.ask(1, 'dkg.start', 'dkg-1', startBody(strict, strict.signers.map((s) => s.hostPubkey)));
    expect(body(reply).message).toMatch(/no expected participant set is configured/);
  });

  it('a signer without a coordinator key refuses everything unless trust on first use is allowed', async () => {
    const group = new Group(3, 2);
    // Signer 1 without a configured coordinator key.
    const unpinned = (allowTrustOnFirstUse: boolean) =>
      new SignerProtocol({ index: 1, n: 3, t: 2, hostSeckey: group.hostKeys[0] as Uint8Array, trust: { ...group.trustOf(1), allowTrustOnFirstUse }, policies: new PolicyRegistry(), saveShare: async () => undefined });
    const start = group.send(1, 'dkg.start', 'dkg-1', startBody(group, group.signers.map((s) => s.hostPubkey)));
    expect(body(await unpinned(false).handle(start)).code).toBe('unknown_sender');
    expect((await unpinned(true).handle(start)).type).toBe('dkg.round1');
  });
});

describe('DKG completion is atomic and recoverable (5 signers, t = 3)', () => {
  const hostKeysOf = (group: Group) => group.signers.map((s) => s.hostPubkey);

  it('the certificate lost on its way to signers 2 and 3: they recover from the persisted recovery data', async () => {
    const group = new Group(5, 3);
    const log: string[] = [];
    const persisted: Uint8Array[] = [];
    const unconfirmed: number[][] = [];
    const done = await runDkg({
      transport: transport(group, (i, type) => type === 'dkg.cmsg2' && (i === 2 || i === 3), log),
      persistCertified: async ({ recoveryData: rd }) => {
        log.push('persisted');
        persisted.push(rd);
      },
      onUnconfirmed: (missing) => unconfirmed.push([...missing.keys()]),
      retryDelayMs: 1,
      ceremonyId: 'dkg-drop',
      hostPubkeys: hostKeysOf(group),
      t: 3,
      coordinatorPubkey: hostPublicKey(group.coordinatorKey),
    });
    expect(done).toBeDefined();
    // Persisted before the first certificate went out; the lost ones got the recovery data instead.
    expect(log.indexOf('persisted')).toBeLessThan(log.indexOf('dkg.cmsg2→1'));
    expect(unconfirmed).toEqual([[2, 3]]);
    expect(log.filter((l) => l.startsWith('dkg.recover'))).toEqual(['dkg.recover→2', 'dkg.recover→3']);
    expect(group.saved.size).toBe(5);
    const keys = new Set([...group.saved.values()].map((s) => bytesToHex(s.groupKey.threshPk)));
    expect(keys).toEqual(new Set([bytesToHex(done?.result.groupKey.threshPk as Uint8Array)]));
    expect(bytesToHex(persisted[0] as Uint8Array)).toBe(bytesToHex(group.saved.get(2)?.recoveryData as Uint8Array));
  });

  it('a coordinator that crashed after persisting finishes the same DKG on restart; a restarted signer recovers too', async () => {
    const group = new Group(5, 3);
    let persisted: { id: string; rd: Uint8Array } | undefined;
    let stop = false;
    // Every certificate is lost and the coordinator "crashes" after the first round of the final step.
    const first = await runDkg({
      transport: transport(group, (_i, type) => type === 'dkg.cmsg2'),
      persistCertified: async ({ ceremonyId: id, recoveryData: rd }) => void (persisted = { id, rd }),
      onUnconfirmed: () => void (stop = true),
      stopped: () => stop,
      retryDelayMs: 1,
      ceremonyId: 'dkg-crash',
      hostPubkeys: hostKeysOf(group),
      t: 3,
      coordinatorPubkey: hostPublicKey(group.coordinatorKey),
    });
    expect(first).toBeUndefined();
    expect(group.saved.size).toBe(0);
    // Signer 4 restarts as well (its round-2 state is gone).
    group.restart(4);
    const saved = persisted as { id: string; rd: Uint8Array };
    const finished = await finishDkg({ transport: transport(group), persistCertified: async () => undefined, retryDelayMs: 1, ceremonyId: saved.id, recoveryData: saved.rd, hostPubkeys: hostKeysOf(group), t: 3 });
    expect(group.saved.size).toBe(5);
    for (const s of group.signers) expect(bytesToHex(s.share?.groupKey.threshPk as Uint8Array)).toBe(bytesToHex(finished?.result.groupKey.threshPk as Uint8Array));
  });

  it('a retried ceremony for the same participants is answered from the saved share, not refused', async () => {
    const group = new Group(5, 3);
    const first = await group.runDkg();
    // Signers 4 and 5 lose their shares (say, the coordinator's database was lost and they were reset): a new
    // ceremony id with the same participants finishes the existing DKG instead of starting another.
    group.saved.delete(4);
    group.saved.delete(5);
    group.restart(4);
    group.restart(5);
    const again = await runDkg({
      transport: transport(group),
      persistCertified: async () => undefined,
      retryDelayMs: 1,
      ceremonyId: 'dkg-retry',
      hostPubkeys: hostKeysOf(group),
      t: 3,
      coordinatorPubkey: hostPublicKey(group.coordinatorKey),
    });
    expect(bytesToHex(again?.result.groupKey.threshPk as Uint8Array)).toBe(bytesToHex(first.result?.groupKey.threshPk as Uint8Array));
    expect(group.saved.size).toBe(5);
    expect(bytesToHex(group.signers[4]?.share?.groupKey.threshPk as Uint8Array)).toBe(bytesToHex(first.result?.groupKey.threshPk as Uint8Array));
    // The old behaviour refused with has_share: a signer holding its share now answers dkg.done with the recovery data.
    const reply = await group.ask(1, 'dkg.start', 'dkg-again', startBody(group, hostKeysOf(group)));
    expect(reply.type).toBe('dkg.done');
    expect((reply.body as { recoveryData?: string }).recoveryData).toBe(bytesToHex(group.saved.get(1)?.recoveryData as Uint8Array));
  });

  it('recovery data is checked like a dkg.start: garbage and another group are refused', async () => {
    const group = new Group(3, 2);
    await group.runDkg();
    const garbage = await group.ask(1, 'dkg.recover', 'dkg-x', { recoveryData: bytesToHex(randomBytes(300)) });
    expect(body(garbage).code).toBe('bad_recovery_data');
    // Recovery data of an unrelated group (other host keys) is not a DKG this signer is part of.
    const other = new Group(3, 2);
    await other.runDkg();
    const foreign = await group.ask(1, 'dkg.recover', 'dkg-y', { recoveryData: bytesToHex(other.saved.get(1)?.recoveryData as Uint8Array) });
    expect(foreign.type).toBe('protocol.error');
    expect(body(foreign).code).toBe('bad_recovery_data');
  });
});

