import { describe, expect, it } from 'vitest';
import {
  ChannelError,
  ChannelPolicyError,
  buildCommitment,
  buildCooperativeClose,
  checkChannelSigning,
  checkChannelSigningRequest,
  openParty,
  ownPoint,
  openingPoints,
  openingSignature,
  propose,
  receiveAcceptance,
  receiveProposal,
  type L2ChannelView,
  type PartyState,
} from '../src/index.js';
import { channelParams, custodyKeys, sheet, userKeys } from './helpers.js';

const CAPACITY = 1_000_000n;
const params = channelParams({ txid: '22'.repeat(32), vout: 1 }, CAPACITY);
const s0 = sheet(0, CAPACITY, 0n);

function open(): { user: PartyState; custody: PartyState } {
  const up = openingPoints(userKeys);
  const cp = openingPoints(custodyKeys);
  return {
    user: openParty(params, 'user', userKeys, s0, cp, openingSignature(params, 'custody', custodyKeys, s0, up[0])),
    custody: openParty(params, 'custody', custodyKeys, s0, up, openingSignature(params, 'user', userKeys, s0, cp[0])),
  };
}

describe('update state machine checks', () => {
  it('refuses a state number that does not increase by one', () => {
    const { user } = open();
    expect(() => propose(params, user, userKeys, sheet(0, 900_000n, 100_000n))).toThrow(/does not follow state 0/);
    expect(() => propose(params, user, userKeys, sheet(2, 900_000n, 100_000n))).toThrow(/does not follow state 0/);
  });

  it('refuses balances that are not conserved or negative', () => {
    const { user } = open();
    expect(() => propose(params, user, userKeys, sheet(1, 900_000n, 200_000n))).toThrow(/balances must be conserved/);
    expect(() => propose(params, user, userKeys, sheet(1, 1_100_000n, -100_000n))).toThrow(/negative balance/);
  });

  it('refuses a proposal whose signature is not over the proposed state', () => {
    const { user, custody } = open();
    const { message } = propose(params, user, userKeys, sheet(1, 900_000n, 100_000n));
    const tampered = { ...message, sheet: sheet(1, 800_000n, 200_000n) };
    expect(() => receiveProposal(params, custody, custodyKeys, tampered)).toThrow(/user signature .* does not verify/);
  });

  it('refuses an acceptance whose revocation secret is wrong', () => {
    const { user, custody } = open();
    const a = propose(params, user, userKeys, sheet(1, 900_000n, 100_000n));
    const b = receiveProposal(params, custody, custodyKeys, a.message);
    const bad = { ...b.message, revocation: { ...b.message.revocation, secret: new Uint8Array(32).fill(7) } };
    expect(() => receiveAcceptance(params, a.state, userKeys, bad)).toThrow(/revocation secret for state 0 does not match/);
  });

  it('refuses a second proposal while one is in flight', () => {
    const { user } = open();
    const a = propose(params, user, userKeys, sheet(1, 900_000n, 100_000n));
    expect(() => propose(params, a.state, userKeys, sheet(1, 800_000n, 200_000n))).toThrow(ChannelError);
  });
});

describe('channel signing policy (what each custody signer checks)', () => {
  const l2 = (executed: [number, bigint, bigint][]): L2ChannelView => ({ channelId: 'ch1', executed: new Map(executed.map(([n, user, custody]) => [n, { user, custody }])) });
  const opened = l2([[0, CAPACITY, 0n]]);
  const paid = l2([[0, CAPACITY, 0n], [1, 700_000n, 300_000n]]);
  const reason = (f: () => void): string => {
    try {
      f();
    } catch (e) {
      if (e instanceof ChannelPolicyError) return e.reason;
      throw e;
    }
    return 'signed';
  };

  it('signs the user\'s commitment for a user payment the L2 has not credited yet (the user needs it before revoking)', () => {
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'user-commitment', sheet: sheet(1, 700_000n, 300_000n) }, opened, { highestSignedState: 0 }))).toBe('signed');
  });

  it('refuses any state custody could publish itself that credits custody beyond what the L2 executed', () => {
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'custody-commitment', sheet: sheet(1, 700_000n, 300_000n) }, opened, { highestSignedState: 1 }))).toBe('not-executed');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'cooperative-close', sheet: sheet(1, 700_000n, 300_000n) }, opened, { highestSignedState: 1 }))).toBe('not-executed');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'custody-commitment', sheet: sheet(1, 700_000n, 300_000n) }, paid, { highestSignedState: 1 }))).toBe('signed');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'cooperative-close', sheet: sheet(1, 700_000n, 300_000n) }, paid, { highestSignedState: 1 }))).toBe('signed');
  });

  it('refuses a state that differs from what the L2 executed for that state number', () => {
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'cooperative-close', sheet: sheet(1, 600_000n, 400_000n) }, paid, { highestSignedState: 1 }))).toBe('l2-mismatch');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'user-commitment', sheet: sheet(1, 600_000n, 400_000n) }, paid, { highestSignedState: 1 }))).toBe('l2-mismatch');
  });

  it('refuses to return value to the user before the L2 burn, to skip states, or to go back', () => {
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'user-commitment', sheet: sheet(2, 800_000n, 200_000n) }, paid, { highestSignedState: 1 }))).toBe('not-executed');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'user-commitment', sheet: sheet(3, 600_000n, 400_000n) }, paid, { highestSignedState: 1 }))).toBe('not-executed');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'user-commitment', sheet: sheet(0, CAPACITY, 0n) }, paid, { highestSignedState: 1 }))).toBe('state-not-increasing');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'custody-commitment', sheet: sheet(0, CAPACITY, 0n) }, paid, { highestSignedState: 1 }))).toBe('stale-state');
  });

  it('refuses unbalanced sheets and another channel\'s record', () => {
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch1', kind: 'user-commitment', sheet: sheet(2, 700_000n, 400_000n) }, paid, { highestSignedState: 1 }))).toBe('bad-balances');
    expect(reason(() => checkChannelSigning(params, { channelId: 'ch2', kind: 'user-commitment', sheet: sheet(2, 600_000n, 400_000n) }, paid, { highestSignedState: 1 }))).toBe('wrong-channel');
  });

  it('refuses a sighash that is not the transaction of the checked state (a lying coordinator)', () => {
    const memory = { highestSignedState: 1, maxCustodyCloseFee: 2_000n };
    const userPoint1 = ownPoint(userKeys, 1);
    const good = buildCommitment(params, 'user', sheet(1, 700_000n, 300_000n), userPoint1).sighash;
    const request = { channelId: 'ch1', kind: 'user-commitment' as const, sheet: sheet(1, 700_000n, 300_000n), holderPerCommitmentPoint: userPoint1 };
    expect(reason(() => checkChannelSigningRequest(params, { ...request, sighash: good }, paid, memory))).toBe('signed');
    // The sighash of a state that gives custody more, under a sheet the L2 executed.
    const worse = buildCommitment(params, 'user', sheet(1, 600_000n, 400_000n), userPoint1).sighash;
    expect(reason(() => checkChannelSigningRequest(params, { ...request, sighash: worse }, paid, memory))).toBe('sighash-mismatch');
    // A close of the executed state instead of a commitment.
    const close = buildCooperativeClose(params, { sheet: sheet(1, 700_000n, 300_000n), fee: 500n, feePaidBy: 'custody' });
    expect(reason(() => checkChannelSigningRequest(params, { ...request, sighash: close.sighash }, paid, memory))).toBe('sighash-mismatch');
    expect(reason(() => checkChannelSigningRequest(params, { channelId: 'ch1', kind: 'cooperative-close', sheet: sheet(1, 700_000n, 300_000n), close: { fee: 500n, feePaidBy: 'custody' }, sighash: close.sighash }, paid, memory))).toBe('signed');
    const greedy = buildCooperativeClose(params, { sheet: sheet(1, 700_000n, 300_000n), fee: 50_000n, feePaidBy: 'custody' });
    expect(reason(() => checkChannelSigningRequest(params, { channelId: 'ch1', kind: 'cooperative-close', sheet: sheet(1, 700_000n, 300_000n), close: { fee: 50_000n, feePaidBy: 'custody' }, sighash: greedy.sighash }, paid, memory))).toBe('fee-too-high');
    expect(reason(() => checkChannelSigningRequest(params, { channelId: 'ch1', kind: 'custody-commitment', sheet: sheet(1, 700_000n, 300_000n), sighash: good }, paid, memory))).toBe('bad-request');
  });
});
