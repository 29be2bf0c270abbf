// Issue 11 (rotation), package level: the epoch DKG trigger (planEpochCustody), the new custody's recovery leaf,
// the published epoch custody checked against every member's signed dkg.done, the sweep policy's migration rule
// (output 0 pays the new epoch's custody; every other sweep rule still applies) and "migration final" for unbonding.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { encodeTransaction } from '@tapbridge/bitcoin';
import { describe, expect, it } from 'vitest';
import {
  custodyFor,
  custodySettledFor,
  epochCustodySettings,
  generateHostKey,
  migrationState,
  planEpochCustody,
  RECOVERY_LOCK_DEFAULTS,
  sealMessage,
  VerifiedCustodyMigrationView,
  verifyEpochCustody,
  type CustodyMigrationView,
  type EpochCustodyRecord,
  type EpochSetFacts,
  type MigrationTarget,
  type PublishedEpochCustody,
} from '../src/index.js';
import { Group } from './helpers.js';
import { buildSweep, CUSTODY_SETTINGS, seeded, SweepWorld } from './sweep-fixtures.js';

const key = (label: string) => `02${bytesToHex(schnorr.getPublicKey(seeded(label)))}`;
const set = (epoch: number, labels: string[], threshold: number): EpochSetFacts => ({ epoch, threshold, members: labels.map((l, i) => ({ address: `0x${(i + 1).toString(16).padStart(40, '0')}`, hostPubkey: key(l) })) });
const record = (s: EpochSetFacts, groupKey: string | null, carriedFrom: number | null = null): EpochCustodyRecord => ({ epoch: s.epoch, t: s.threshold, hostPubkeys: s.members.map((m) => m.hostPubkey), groupKey, carriedFrom });
const reasonOf = (d: { allow: boolean; reason?: string }) => (d.allow ? 'allowed' : d.reason);

describe('planEpochCustody: the coordinator\'s DKG trigger on stake.epoch.started', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];
  it('runs a DKG for the first epoch and for a changed set or threshold; keeps custody for the same set', () => {
    const e0 = set(0, five, 3);
    expect(planEpochCustody([], e0)).toMatchObject({ action: 'dkg', epoch: 0, t: 3, previous: null });
    const recorded = [record(e0, 'aa'.repeat(32))];
    expect(planEpochCustody(recorded, set(1, five, 3))).toEqual({ action: 'carry', epoch: 1, from: 0, groupKey: 'aa'.repeat(32), t: 3, hostPubkeys: e0.members.map((m) => m.hostPubkey) });
    expect(planEpochCustody(recorded, set(1, [...five, 'f', 'g'], 5))).toMatchObject({ action: 'dkg', epoch: 1, t: 5, previous: 0 });
    expect(planEpochCustody(recorded, set(1, five, 4))).toMatchObject({ action: 'dkg', t: 4 });
    // Rank order is the signer index: a reordered set is a new ceremony.
    expect(planEpochCustody(recorded, set(1, ['b', 'a', 'c', 'd', 'e'], 3))).toMatchObject({ action: 'dkg' });
    // A carried epoch points at the epoch whose DKG made the key.
    expect(planEpochCustody([...recorded, record(set(1, five, 3), 'aa'.repeat(32), 0)], set(2, five, 3))).toMatchObject({ action: 'carry', from: 0 });
  });

  it('is idempotent: a redelivered or older epoch, or an unusable set, changes nothing', () => {
    const recorded = [record(set(0, ['a', 'b', 'c'], 2), 'aa'.repeat(32)), record(set(3, ['a', 'b', 'c', 'd'], 3), null)];
    expect(planEpochCustody(recorded, set(3, ['x', 'y', 'z'], 2))).toEqual({ action: 'ignore', reason: 'epoch 3 is already recorded' });
    expect(planEpochCustody(recorded, set(2, ['x', 'y', 'z'], 2))).toMatchObject({ action: 'ignore', reason: /older than the newest recorded, 3/ });
    expect(planEpochCustody(recorded, set(4, [], 0))).toMatchObject({ action: 'ignore', reason: /no active signers: custody stays with epoch 3/ });
    expect(planEpochCustody(recorded, set(4, ['a', 'b'], 3))).toMatchObject({ action: 'ignore', reason: /threshold 3 is not in 1\.\.2/ });
  });
});

describe('the new epoch custody has the recovery leaf by default', () => {
  it('refuses key-path-only custody, fills the network\'s default lock, and checks the threshold', () => {
    expect(() => epochCustodySettings({ network: 'mainnet', recoveryKeys: [], recoveryThreshold: 1 })).toThrow(/needs its recovery leaf/);
    expect(() => epochCustodySettings({ network: 'regtest', recoveryKeys: [], recoveryThreshold: 1 })).toThrow(/needs its recovery leaf/);
    const keys = CUSTODY_SETTINGS.recoveryKeys;
    expect(epochCustodySettings({ network: 'mainnet', recoveryKeys: keys, recoveryThreshold: 2 }).recoveryLock).toBe(52_560);
    expect(epochCustodySettings({ network: 'regtest', recoveryKeys: keys, recoveryThreshold: 2 }).recoveryLock).toBe(RECOVERY_LOCK_DEFAULTS.regtest);
    expect(epochCustodySettings({ network: 'regtest', recoveryKeys: keys, recoveryThreshold: 2, recoveryLock: 3 }).recoveryLock).toBe(3);
    expect(() => epochCustodySettings({ network: 'regtest', recoveryKeys: keys, recoveryThreshold: 4 })).toThrow(/not in 1\.\.3/);
    expect(() => epochCustodySettings({ network: 'regtest', recoveryKeys: keys, recoveryThreshold: 2, recoveryLock: 70_000 })).toThrow(/not 1\.\.65535/);
    const settings = epochCustodySettings({ network: 'regtest', recoveryKeys: keys, recoveryThreshold: 2 });
    const custody = custodyFor(schnorr.getPublicKey(seeded('new group')), settings);
    expect(custody.recoveryLeaf).not.toBeNull();
    expect(custody.tweak.kind).toBe('merkle-root');
  });
});

/** A real 5-of-7 epoch DKG: the set as the registry states it, and the custody as published with every dkg.done. */
async function newEpoch(): Promise<{ group: Group; epoch: EpochSetFacts; published: PublishedEpochCustody }> {
  const group = new Group(7, 5);
  await group.runDkg();
  const epoch: EpochSetFacts = { epoch: 1, threshold: 5, members: group.signers.map((s, i) => ({ address: `0x${(i + 1).toString(16).padStart(40, '0')}`, hostPubkey: bytesToHex(s.hostPubkey) })) };
  const groupKey = bytesToHex(group.saved.get(1)!.groupKey.xonly);
  return { group, epoch, published: { epoch: 1, groupKey, attestations: [...group.dkgDone.values()] } };
}

describe('a published epoch custody is checked against every member\'s signed dkg.done', () => {
  it('accepts the genuine one and refuses a missing, foreign-signed or mismatched attestation', async () => {
    const { epoch, published } = await newEpoch();
    const ok = verifyEpochCustody(epoch, published, CUSTODY_SETTINGS);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(bytesToHex(ok.target.scriptPubKey)).toBe(custodyFor(hexToBytes(published.groupKey), CUSTODY_SETTINGS).scriptPubKey);
    const missing = verifyEpochCustody(epoch, { ...published, attestations: published.attestations.slice(1) }, CUSTODY_SETTINGS);
    expect(missing).toMatchObject({ ok: false, reason: /no dkg.done from member 1/ });
    // The coordinator forges member 4's attestation with a key of its own.
    const real = published.attestations[3] as { body: { threshPk: string; pubshare: string }; sessionId: string };
    const forged = sealMessage({ type: 'dkg.done', sessionId: real.sessionId, sender: 4, recipient: 0, body: real.body }, generateHostKey());
    const foreign = verifyEpochCustody(epoch, { ...published, attestations: published.attestations.map((a, i) => (i === 3 ? forged : a)) }, CUSTODY_SETTINGS);
    expect(foreign).toMatchObject({ ok: false, reason: /member 4 is not signed by its registered host key/ });
    const other = verifyEpochCustody(epoch, { ...published, groupKey: 'ab'.repeat(32) }, CUSTODY_SETTINGS);
    expect(other).toMatchObject({ ok: false, reason: /member 1 attests group key/ });
    expect(verifyEpochCustody({ ...epoch, epoch: 2 }, published, CUSTODY_SETTINGS)).toMatchObject({ ok: false, reason: /for epoch 1, the registry's epoch is 2/ });
  });
});

/** A migration view with a fixed answer (or failure). */
const fixedTarget = (t: MigrationTarget | null | Error): CustodyMigrationView => ({
  async target() {
    if (t instanceof Error) throw t;
    return t;
  },
});

describe('sweep policy: the migration rule (old set signs, output 0 pays the new epoch custody)', () => {
  /** The old world (group key of epoch 0) with a custody UTXO, an old-key deposit and a withdrawal in flight. */
  function migration(target: MigrationTarget | null | Error) {
    const world = new SweepWorld({}, { migration: fixedTarget(target) });
    const custody = world.custodyUtxo(2_000_000n);
    const deposits = [world.deposit(300_000n)];
    const burns = [world.burn(21n, 80_000n)];
    return { world, custody, deposits, burns };
  }
  const newCustody = custodyFor(schnorr.getPublicKey(seeded('epoch 1 group')), CUSTODY_SETTINGS);
  const target: MigrationTarget = { epoch: 1, groupKey: newCustody.groupKey, scriptPubKey: hexToBytes(newCustody.scriptPubKey), address: newCustody.address };

  it('signs the sweep that spends the old custody and the old-key deposit, pays the withdrawal, and moves custody to the new key', async () => {
    const { world, custody, deposits, burns } = migration(target);
    const params = { ...world.params({ custody, deposits, burns }), custodyScriptPubKey: target.scriptPubKey };
    params.custodyInput = { ...custody, scriptPubKey: world.custodySpk };
    const build = buildSweep(params);
    expect(bytesToHex(build.tx.outputs[0]!.scriptPubKey)).toBe(newCustody.scriptPubKey);
    expect(reasonOf(await world.signAll(build, SweepWorld.context(params, deposits)))).toBe('allowed');
    // Same rules as any sweep: a payout above the burn is still refused in a migration.
    const greedy = { ...params, withdrawals: params.withdrawals.map((w) => ({ ...w, amountSats: w.amountSats + 1_000n })) };
    expect(reasonOf(await world.signAll(buildSweep(greedy), SweepWorld.context(greedy, deposits)))).toMatch(/due its burn of 80000 sat/);
  });

  it('sweeps a simple-form deposit made to the old custody address into the new custody', async () => {
    const { world, custody, burns } = migration(target);
    const deposits = [world.deposit(300_000n), world.simpleDeposit(120_000n)];
    const params = { ...world.params({ custody, deposits, burns }), custodyScriptPubKey: target.scriptPubKey };
    params.custodyInput = { ...custody, scriptPubKey: world.custodySpk };
    expect(reasonOf(await world.signAll(buildSweep(params), SweepWorld.context(params, deposits)))).toBe('allowed');
  });

  it('once a new custody is published, refuses a sweep that keeps paying the old custody or pays any other key', async () => {
    const { world, custody, deposits, burns } = migration(target);
    const stay = world.params({ custody, deposits, burns });
    expect(reasonOf(await world.signAll(buildSweep(stay), SweepWorld.context(stay, deposits)))).toMatch(/output 0 does not pay the custody script/);
    const elsewhere = { ...stay, custodyScriptPubKey: hexToBytes(custodyFor(schnorr.getPublicKey(seeded('attacker')), CUSTODY_SETTINGS).scriptPubKey), custodyInput: { ...custody, scriptPubKey: world.custodySpk } };
    expect(reasonOf(await world.signAll(buildSweep(elsewhere), SweepWorld.context(elsewhere, deposits)))).toMatch(/output 0 does not pay the custody script/);
  });

  it('keeps signing to its own custody until a new custody is published, and refuses while the view fails', async () => {
    const idle = migration(null);
    const stay = idle.world.params({ custody: idle.custody, deposits: idle.deposits, burns: idle.burns });
    expect(reasonOf(await idle.world.signAll(buildSweep(stay), SweepWorld.context(stay, idle.deposits)))).toBe('allowed');
    const moveEarly = { ...stay, custodyScriptPubKey: target.scriptPubKey, custodyInput: { ...idle.custody, scriptPubKey: idle.world.custodySpk } };
    expect(reasonOf(await idle.world.signAll(buildSweep(moveEarly), SweepWorld.context(moveEarly, idle.deposits)))).toMatch(/output 0 does not pay the custody script|pays neither the custody script/);
    const down = migration(new Error('stake registry unreachable'));
    const p = down.world.params({ custody: down.custody, deposits: down.deposits, burns: down.burns });
    await expect(down.world.signAll(buildSweep(p), SweepWorld.context(p, down.deposits))).rejects.toThrow(/stake registry unreachable/);
  });

  it('with the verified view: the target is the published 5-of-7 custody, from the registry and every member\'s dkg.done', async () => {
    const { epoch, published } = await newEpoch();
    const view = new VerifiedCustodyMigrationView({ registry: { currentEpoch: async () => epoch }, source: { published: async (e) => (e === 1 ? published : null) }, settings: CUSTODY_SETTINGS });
    const t = await view.target(schnorr.getPublicKey(seeded('group secret')));
    expect(t?.groupKey).toBe(published.groupKey);
    // The new set itself sees no migration (its own key); a tampered record throws (the policy refuses).
    expect(await view.target(hexToBytes(published.groupKey))).toBeNull();
    const tampered = new VerifiedCustodyMigrationView({ registry: { currentEpoch: async () => epoch }, source: { published: async () => ({ ...published, attestations: published.attestations.slice(0, 6) }) }, settings: CUSTODY_SETTINGS });
    await expect(tampered.target(schnorr.getPublicKey(seeded('group secret')))).rejects.toThrow(/no dkg.done from member 7/);
  });
});

describe('migration final, and the unbonding rule built on it', () => {
  it('is final only when the migration pays the new custody at output 0 with enough confirmations', async () => {
    const world = new SweepWorld();
    const newSpk = hexToBytes(custodyFor(schnorr.getPublicKey(seeded('epoch 1 group')), CUSTODY_SETTINGS).scriptPubKey);
    const custody = world.custodyUtxo(1_000_000n);
    const params = { ...world.params({ custody, deposits: [], burns: [] }), custodyScriptPubKey: newSpk, custodyInput: { ...custody, scriptPubKey: world.custodySpk } };
    const build = buildSweep(params);
    expect(await migrationState(world.bitcoin, { txid: build.txid, newScriptPubKey: newSpk, depth: 6 })).toMatchObject({ state: 'pending' });
    world.bitcoin.confirm(encodeTransaction(build.tx), 196);
    expect(await migrationState(world.bitcoin, { txid: build.txid, newScriptPubKey: newSpk, depth: 6 })).toMatchObject({ state: 'pending', reason: '5 of 6 confirmations' });
    expect(await migrationState(world.bitcoin, { txid: build.txid, newScriptPubKey: world.custodySpk, depth: 1 })).toMatchObject({ state: 'pending', reason: /does not pay the new custody/ });
    expect(await migrationState(world.bitcoin, { txid: build.txid, newScriptPubKey: newSpk, depth: 5 })).toEqual({ state: 'final', height: 196 });
  });

  it('an old signer is settled only once every epoch key it holds has migrated, final; a current member never is', () => {
    const epochs = [
      { epoch: 0, members: ['0xa', '0xb', '0xc'], migratedFinal: false },
      { epoch: 1, members: ['0xb', '0xc', '0xd'], migratedFinal: false },
    ];
    expect(custodySettledFor('0xA', epochs)).toBe(false);
    expect(custodySettledFor('0xa', [{ ...epochs[0]!, migratedFinal: true }, epochs[1]!])).toBe(true);
    expect(custodySettledFor('0xb', [{ ...epochs[0]!, migratedFinal: true }, epochs[1]!])).toBe(false);
    expect(custodySettledFor('0xe', epochs)).toBe(true);
  });
});
