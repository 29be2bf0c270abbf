// Issue 11 (rotation): signers take the DKG's participant set from the stake registry (the epoch's active set). A
// coordinator that sends a dkg.start with one substituted host key is refused by every honest signer; the genuine
// epoch set runs; an unreadable or empty registry refuses rather than trusting on first use.
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { generateHostKey, hostPublicKey, RegistryExpectedParticipants, type EpochSetFacts, type ProtocolMessage, type StakeRegistryView } from '../src/index.js';
import { Group } from './helpers.js';

const body = (m: ProtocolMessage) => m.body as { code?: string; message?: string };

/** A registry view whose answer the test sets (the signer's RPC view of stake-accounting, in memory). */
class RegistryStub implements StakeRegistryView {
  answer: EpochSetFacts | null | Error = null;
  reads = 0;
  async currentEpoch(): Promise<EpochSetFacts | null> {
    this.reads++;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

const epochOf = (epoch: number, hostPubkeys: Uint8Array[], threshold: number): EpochSetFacts => ({
  epoch,
  threshold,
  members: hostPubkeys.map((k, i) => ({ address: `0x${(i + 1).toString(16).padStart(40, '0')}`, hostPubkey: bytesToHex(k) })),
});

function registryGroup(n: number, t: number, trustOnFirstUse = false): { group: Group; registry: RegistryStub } {
  const registry = new RegistryStub();
  const group = new Group(n, t, { trust: () => ({ expectedParticipants: new RegistryExpectedParticipants(registry), allowTrustOnFirstUse: trustOnFirstUse }) });
  registry.answer = epochOf(1, group.signers.map((s) => s.hostPubkey), t);
  return { group, registry };
}

const start = (group: Group, hostPubkeys: Uint8Array[], t = group.t) => ({ t, hostPubkeys: hostPubkeys.map(bytesToHex), coordinatorPubkey: bytesToHex(hostPublicKey(group.coordinatorKey)) });

describe('DKG participants from the stake registry (5 signers, t = 3)', () => {
  it('a dkg.start with one substituted host key is refused by every honest signer, whichever slot is substituted', async () => {
    const { group, registry } = registryGroup(5, 3);
    const genuine = group.signers.map((s) => s.hostPubkey);
    for (let slot = 1; slot <= 5; slot++) {
      const hostPubkeys = genuine.map((k, i) => (i + 1 === slot ? hostPublicKey(generateHostKey()) : k));
      for (let signer = 1; signer <= 5; signer++) {
        const reply = await group.ask(signer, 'dkg.start', `evil-${slot}-${signer}`, start(group, hostPubkeys));
        expect(reply.type, `signer ${signer}, slot ${slot} substituted`).toBe('protocol.error');
        expect(body(reply).code).toBe('wrong_params');
        // The substituted slot's own signer sees its key missing; every other sees a key not in the epoch's set.
        expect(body(reply).message).toMatch(signer === slot ? /does not hold this signer's host key/ : new RegExp(`host keys for signer\\(s\\) ${slot} are not the expected participants'`));
      }
    }
    expect(group.saved.size).toBe(0);
    expect(registry.reads).toBeGreaterThanOrEqual(20);
    // The epoch's genuine set runs to completion.
    await group.runDkg();
    expect(group.saved.size).toBe(5);
    expect(new Set([...group.saved.values()].map((s) => bytesToHex(s.groupKey.threshPk))).size).toBe(1);
  });

  it('the registry\'s rank order and threshold are part of the set: a reordering or another threshold is refused', async () => {
    const { group } = registryGroup(5, 3);
    const genuine = group.signers.map((s) => s.hostPubkey);
    const swapped = [genuine[0]!, genuine[1]!, genuine[2]!, genuine[4]!, genuine[3]!];
    const reordered = await group.ask(1, 'dkg.start', 'reordered', start(group, swapped));
    expect(body(reordered).message).toMatch(/host keys for signer\(s\) 4, 5 are not the expected/);
    const lowered = await group.ask(2, 'dkg.start', 'lowered', start(group, genuine, 2));
    expect(body(lowered).message).toMatch(/threshold is 2, expected 3/);
    expect(group.saved.size).toBe(0);
  });

  it('the epoch set decides the size: a 5-of-7 epoch is joined although the signer was configured for its first 3-of-5', async () => {
    const registry = new RegistryStub();
    // Signers configured as 3-of-5 (SIGNER_THRESHOLD/SIGNER_COUNT); the registry's epoch is 7 members, t = 5.
    const group = new Group(7, 5, { configured: { n: 5, t: 3 }, trust: () => ({ expectedParticipants: new RegistryExpectedParticipants(registry) }) });
    registry.answer = epochOf(2, group.signers.map((s) => s.hostPubkey), 5);
    await group.runDkg();
    for (const share of group.saved.values()) {
      expect(share.groupKey.n).toBe(7);
      expect(share.groupKey.t).toBe(5);
    }
    expect(group.saved.size).toBe(7);
  });

  it('an unreadable registry, no epoch yet, or an impossible set refuses — even where trust on first use is allowed', async () => {
    const { group, registry } = registryGroup(5, 3, true);
    const genuine = group.signers.map((s) => s.hostPubkey);
    registry.answer = new Error('no service answers stake.epochs.current');
    expect(body(await group.ask(1, 'dkg.start', 'down', start(group, genuine))).message).toMatch(/could not be read: .*no service answers/);
    registry.answer = null;
    expect(body(await group.ask(1, 'dkg.start', 'none', start(group, genuine))).message).toMatch(/no started epoch yet/);
    registry.answer = { ...epochOf(3, genuine, 3), members: [...epochOf(3, genuine, 3).members.slice(0, 4), epochOf(3, genuine, 3).members[0]!] };
    expect(body(await group.ask(1, 'dkg.start', 'dup', start(group, genuine))).message).toMatch(/names a host key twice/);
    registry.answer = epochOf(3, genuine, 6);
    expect(body(await group.ask(1, 'dkg.start', 'bad-t', start(group, genuine))).message).toMatch(/threshold 6 is not in 1\.\.5/);
    expect(group.saved.size).toBe(0);
  });
});
