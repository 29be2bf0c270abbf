// The `channel` policy inside five real signers (SignerProtocol, 3-of-5 key from ChillDKG, ROAST attempts): the
// group co-signs custody's half of a channel update only as the L2's executed record allows. A coordinator asking
// for a state the L2 never executed is refused by every signer, each with its reason; the approved signatures
// verify under the untweaked group key for the funding leaf's sighash.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { taprootOutput } from '@tapbridge/bitcoin';
import { buildCommitment, buildCooperativeClose, buildDelayedSweep, channelIdOf, custodyDelayedSweep, ownPoint, pointOf, type BalanceSheet, type ChannelParams } from '@tapbridge/channels';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_PURPOSE,
  ChannelPolicy,
  channelSigningRequestWire,
  hostPublicKey,
  MemoryChannelSignedStore,
  MemoryChannelView,
  PolicyRegistry,
  SignerProtocol,
} from '../src/index.js';
import { groupKeyOf, runAttempt } from './attempt.js';
import { Group } from './helpers.js';

const secret = (label: string): Uint8Array => sha256(new TextEncoder().encode(`signing channel test ${label}`));
const userSecret = secret('user');
const userSeed = secret('user seed');
const custodySeed = secret('custody seed');
const BTC = 100_000_000n;

async function channelGroup() {
  const group = new Group(5, 3);
  await group.runDkg();
  const groupKey = groupKeyOf(group).xonly;
  const view = new MemoryChannelView();
  const stores: MemoryChannelSignedStore[] = [];
  for (let i = 1; i <= group.n; i++) {
    const signed = new MemoryChannelSignedStore();
    stores.push(signed);
    group.signers[i - 1] = new SignerProtocol({
      index: i,
      n: group.n,
      t: group.t,
      hostSeckey: group.hostKeys[i - 1]!,
      coordinatorKey: hostPublicKey(group.coordinatorKey),
      trust: group.trustOf(i),
      policies: new PolicyRegistry().register(CHANNEL_PURPOSE, new ChannelPolicy({ groupKey: () => groupKey, view, signed, maxCustodyCloseFee: 5_000n })),
      saveShare: async () => undefined,
      share: group.saved.get(i)!,
    });
  }
  const params: ChannelParams = {
    funding: { txid: Buffer.from(randomBytes(32)).toString('hex'), vout: 1 },
    capacity: BTC,
    userKey: schnorr.getPublicKey(userSecret),
    groupKey,
    userRevocationBasepoint: pointOf(secret('user revocation base')),
    custodyRevocationBasepoint: pointOf(secret('custody revocation base')),
    userPayoutScript: taprootOutput(schnorr.getPublicKey(secret('user payout'))).scriptPubKey,
    custodyPayoutScript: taprootOutput(schnorr.getPublicKey(secret('custody payout'))).scriptPubKey,
    challengePeriod: 6,
    commitmentFee: 1_000n,
  };
  const channelId = view.open(params);
  return { group, groupKey, view, stores, params, channelId };
}

const sheet = (stateNumber: number, user: bigint, custody: bigint): BalanceSheet => ({ stateNumber, user, custody });

function userCommitment(params: ChannelParams, s: BalanceSheet, requestId: string) {
  const point = ownPoint({ perCommitmentSeed: userSeed }, s.stateNumber);
  const c = buildCommitment(params, 'user', s, point);
  return { c, wire: channelSigningRequestWire({ requestId, params, kind: 'user-commitment', sheet: s, tx: c.tx, holderPerCommitmentPoint: point }) };
}
function custodyCommitment(params: ChannelParams, s: BalanceSheet, requestId: string) {
  const point = ownPoint({ perCommitmentSeed: custodySeed }, s.stateNumber);
  const c = buildCommitment(params, 'custody', s, point);
  return { c, wire: channelSigningRequestWire({ requestId, params, kind: 'custody-commitment', sheet: s, tx: c.tx, holderPerCommitmentPoint: point }) };
}
function close(params: ChannelParams, s: BalanceSheet, requestId: string) {
  const c = buildCooperativeClose(params, { sheet: s, fee: 2_000n, feePaidBy: 'user' });
  return { c, wire: channelSigningRequestWire({ requestId, params, kind: 'cooperative-close', sheet: s, tx: c.tx, close: { fee: 2_000n, feePaidBy: 'user' } }) };
}

function expectRefusedByAll(out: Awaited<ReturnType<typeof runAttempt>>, reason: RegExp): void {
  expect(out.signature).toBeNull();
  expect([...out.refusals.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
  for (const r of out.refusals.values()) expect(r).toMatch(reason);
}

describe('the channel policy in the signer protocol (3-of-5, ROAST, in process)', () => {
  it('co-signs the user commitment of a payment, custody commitment and close only once the L2 executed the state; refuses every un-executed state', async () => {
    const { group, groupKey, view, stores, params, channelId } = await channelGroup();
    const s1 = sheet(1, BTC - 10_000_000n, 10_000_000n);

    // The user's commitment for the next state, moving value to custody: signed before the L2 credit (the user
    // needs it before revoking state 0, and only the user can publish it).
    const u1 = userCommitment(params, s1, 'ch-u1');
    const signed = await runAttempt(group, u1.wire);
    expect(signed.refusals.size).toBe(0);
    expect(schnorr.verify(signed.signature!, u1.c.sighash, groupKey)).toBe(true);
    for (const s of stores) expect(await s.highestUserCommitment(channelId)).toBe(1);

    // Custody's own commitment and a close for state 1 credit custody: refused until the L2 executed state 1.
    expectRefusedByAll(await runAttempt(group, custodyCommitment(params, s1, 'ch-c1').wire), /^channel: not-executed: state 1 credits custody 10000000 sat but the L2 has not executed it/);
    expectRefusedByAll(await runAttempt(group, close(params, s1, 'ch-x1').wire), /^channel: not-executed: /);

    view.execute(channelId, 1, s1.user, s1.custody);
    const c1 = custodyCommitment(params, s1, 'ch-c1b');
    const c1out = await runAttempt(group, c1.wire);
    expect(c1out.refusals.size).toBe(0);
    expect(schnorr.verify(c1out.signature!, c1.c.sighash, groupKey)).toBe(true);
    const x1 = close(params, s1, 'ch-x1b');
    const x1out = await runAttempt(group, x1.wire);
    expect(x1out.refusals.size).toBe(0);
    expect(schnorr.verify(x1out.signature!, x1.c.sighash, groupKey)).toBe(true);
  }, 300_000);

  it('refuses states the L2 never executed, going back, a return nobody burned, a sheet the L2 executed differently and a transaction that is not the one described', async () => {
    const { group, view, stores, params, channelId } = await channelGroup();
    // A state two ahead of the L2 (skipping the credit of state 1).
    expectRefusedByAll(await runAttempt(group, userCommitment(params, sheet(2, BTC - 20_000_000n, 20_000_000n), 'r-skip').wire), /^channel: not-executed: state 2 is not executed on the L2 and is not the next state after 0/);

    view.execute(channelId, 1, BTC - 30_000_000n, 30_000_000n);
    // State 1 as the coordinator claims it, but the L2 executed other balances.
    expectRefusedByAll(await runAttempt(group, custodyCommitment(params, sheet(1, BTC - 50_000_000n, 50_000_000n), 'r-mismatch').wire), /^channel: l2-mismatch: state 1 gives user 50000000/);
    // A return (custody → user) the L2 never burned.
    expectRefusedByAll(await runAttempt(group, userCommitment(params, sheet(2, BTC - 20_000_000n, 20_000_000n), 'r-return').wire), /^channel: not-executed: state 2 moves 10000000 sat from custody to the user/);
    // The state-number rule: sign state 2 (a payment), then a user commitment of state 1 is refused.
    expect((await runAttempt(group, userCommitment(params, sheet(2, BTC - 40_000_000n, 40_000_000n), 'r-u2').wire)).refusals.size).toBe(0);
    expectRefusedByAll(await runAttempt(group, userCommitment(params, sheet(1, BTC - 30_000_000n, 30_000_000n), 'r-back').wire), /^channel: state-not-increasing: state 1 is below state 2 already signed/);
    // An older custody commitment once the L2 moved on.
    view.execute(channelId, 2, BTC - 40_000_000n, 40_000_000n);
    expectRefusedByAll(await runAttempt(group, custodyCommitment(params, sheet(1, BTC - 30_000_000n, 30_000_000n), 'r-stale').wire), /^channel: stale-state: state 1 is not the L2's latest executed state 2/);
    // The context describes the executed state 2, but the transaction pays custody's side to another script.
    const honest = custodyCommitment(params, sheet(2, BTC - 40_000_000n, 40_000_000n), 'r-swap');
    const evil = custodyCommitment({ ...params, userPayoutScript: taprootOutput(schnorr.getPublicKey(secret('thief'))).scriptPubKey }, sheet(2, BTC - 40_000_000n, 40_000_000n), 'r-swap');
    expectRefusedByAll(await runAttempt(group, { ...honest.wire, payload: evil.wire.payload }), /^channel: sighash-mismatch: /);
    // A channel the L2 does not know, and a request without channel context.
    expectRefusedByAll(await runAttempt(group, userCommitment({ ...params, funding: { txid: 'ab'.repeat(32), vout: 0 } }, sheet(1, BTC - 1n, 1n), 'r-unknown').wire), /^channel: not-open: channel abab/);
    const { context: _dropped, ...bare } = honest.wire;
    expectRefusedByAll(await runAttempt(group, { ...bare, requestId: 'r-bare' }), /context\.channel/);
    for (const s of stores) expect(await s.highestUserCommitment(channelIdOf(params))).toBe(2);
  }, 300_000);

  it('signs custody\'s delayed sweep of its own commitment back to the custody payout script, and nothing else', async () => {
    const { group, groupKey, view, params, channelId } = await channelGroup();
    const s1 = sheet(1, BTC - 30_000_000n, 30_000_000n);
    const point = ownPoint({ perCommitmentSeed: custodySeed }, 1);
    const sweepWire = (p: ChannelParams, s: BalanceSheet, fee: bigint, requestId: string) => {
      const sw = custodyDelayedSweep(p, s, point, fee);
      return { sw, wire: channelSigningRequestWire({ requestId, params, kind: 'custody-delayed-sweep', sheet: s, tx: sw.tx, holderPerCommitmentPoint: point, sweep: { fee } }) };
    };
    // Before the L2 executed state 1, custody holds no commitment of it: refused.
    expectRefusedByAll(await runAttempt(group, sweepWire(params, s1, 600n, 'sw-early').wire), /^channel: not-executed: state 1 credits custody/);
    view.execute(channelId, 1, s1.user, s1.custody);
    view.execute(channelId, 2, BTC - 40_000_000n, 40_000_000n);
    // Executed (an older state than the latest is fine: it is the commitment custody published): signed, and the
    // signature spends the delayed leaf under the untweaked group key.
    const honest = sweepWire(params, s1, 600n, 'sw-1');
    const out = await runAttempt(group, honest.wire);
    expect(out.refusals.size).toBe(0);
    expect(schnorr.verify(out.signature!, honest.sw.sighash, groupKey)).toBe(true);
    expect(honest.sw.tx.outputs).toEqual([{ value: 30_000_000n - 1_000n - 600n, scriptPubKey: params.custodyPayoutScript }]);
    expect(honest.sw.tx.inputs[0]!.sequence).toBe(params.challengePeriod);
    // The same output swept anywhere but the custody payout script: the rebuilt sighash differs.
    const thief = taprootOutput(schnorr.getPublicKey(secret('thief'))).scriptPubKey;
    const stolen = buildDelayedSweep(params, { commitment: honest.sw.commitment, destinationScript: thief, fee: 600n, holderPerCommitmentPoint: point });
    const stolenWire = channelSigningRequestWire({ requestId: 'sw-thief', params, kind: 'custody-delayed-sweep', sheet: s1, tx: stolen.tx, holderPerCommitmentPoint: point, sweep: { fee: 600n } });
    expectRefusedByAll(await runAttempt(group, stolenWire), /^channel: sighash-mismatch: /);
    // A fee above the cap (5,000 sat here), and balances the L2 did not execute.
    expectRefusedByAll(await runAttempt(group, sweepWire(params, s1, 6_000n, 'sw-fee').wire), /^channel: fee-too-high: sweep fee 6000 sat/);
    expectRefusedByAll(await runAttempt(group, sweepWire(params, sheet(1, BTC - 50_000_000n, 50_000_000n), 600n, 'sw-mismatch').wire), /^channel: l2-mismatch: /);
  }, 300_000);
});
