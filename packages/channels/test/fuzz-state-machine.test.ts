// Property test of the update state machine: random updates from either side (valid, refused and tampered),
// lost messages, crashes and resends, then every close either side could make with any commitment it ever held.
// A crash is modelled as losing every message in flight: a party persists its state before sending, so a crash
// before persisting equals the message never being sent and a crash after equals the message being lost.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChannelError,
  buildCommitment,
  counterpartyRevocationSecret,
  openParty,
  openingPoints,
  openingSignature,
  ownPoint,
  propose,
  receiveAcceptance,
  receiveProposal,
  receiveRevocation,
  resend,
  type BalanceSheet,
  type ChannelMessage,
  type PartyKeys,
  type PartyState,
  type Side,
} from '../src/index.js';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../testing/src/fuzz.js';
import { channelParams, custodyKeys, sheet, userKeys } from './helpers.js';

const CAPACITY = 1_000_000n;
const params = channelParams({ txid: '11'.repeat(32), vout: 0 }, CAPACITY);
const balanceOf = (side: Side, s: BalanceSheet): bigint => (side === 'user' ? s.user : s.custody);
const other = (side: Side): Side => (side === 'user' ? 'custody' : 'user');

// Each side accepts only proposals that move value toward itself: a user pays by proposing, custody returns by proposing.
const keysOf: Record<Side, PartyKeys> = {
  user: { ...userKeys, checkProposal: (from, to) => { if (to.user < from.user) throw new ChannelError('custody may not move the user\'s value'); } },
  custody: { ...custodyKeys, checkProposal: (from, to) => { if (to.custody < from.custody) throw new ChannelError('the user may not move custody\'s value'); } },
};

type Op =
  | { kind: 'propose'; side: Side; userBalance: bigint }
  | { kind: 'tampered'; side: Side; userBalance: bigint; skew: bigint }
  | { kind: 'deliver' }
  | { kind: 'lose-all' }
  | { kind: 'resend'; side: Side };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('propose' as const), side: fc.constantFrom<Side>('user', 'custody'), userBalance: fc.bigInt({ min: 0n, max: CAPACITY }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tampered' as const), side: fc.constantFrom<Side>('user', 'custody'), userBalance: fc.bigInt({ min: 0n, max: CAPACITY }), skew: fc.bigInt({ min: -1000n, max: 1000n }) }) },
  { weight: 8, arbitrary: fc.constant({ kind: 'deliver' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'lose-all' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resend' as const), side: fc.constantFrom<Side>('user', 'custody') }) },
);

/** Every own commitment a side holds a valid counterparty signature for: a cheater keeps them all. */
type Held = Record<Side, BalanceSheet[]>;
/** Every state a side has signed (the other side's commitment), by state number. */
type Signed = Record<Side, BalanceSheet[]>;

const sameSheet = (a: BalanceSheet, b: BalanceSheet): boolean => a.stateNumber === b.stateNumber && a.user === b.user && a.custody === b.custody;
const addSheet = (list: BalanceSheet[], s: BalanceSheet): void => {
  if (!list.some((x) => sameSheet(x, s))) list.push(s);
};

function runScenario(ops: Op[], startUser: bigint): Record<Side, PartyState> {
  const s0 = sheet(0, startUser, CAPACITY - startUser);
  const points = { user: openingPoints(keysOf.user), custody: openingPoints(keysOf.custody) };
  const parties: Record<Side, PartyState> = {
    user: openParty(params, 'user', keysOf.user, s0, points.custody, openingSignature(params, 'custody', keysOf.custody, s0, points.user[0])),
    custody: openParty(params, 'custody', keysOf.custody, s0, points.user, openingSignature(params, 'user', keysOf.user, s0, points.custody[0])),
  };
  const held: Held = { user: [s0], custody: [s0] };
  const signed: Signed = { user: [s0], custody: [s0] };
  const queue: { to: Side; message: ChannelMessage }[] = [];

  for (const op of ops) {
    if (op.kind === 'propose' || op.kind === 'tampered') {
      const p = parties[op.side];
      const next = sheet(p.latest.sheet.stateNumber + 1, op.userBalance, CAPACITY - op.userBalance);
      try {
        const r = propose(params, p, keysOf[op.side], next);
        parties[op.side] = r.state;
        addSheet(signed[op.side], next);
        const tampered = op.kind === 'tampered' && op.skew !== 0n;
        const message = tampered ? { ...r.message, sheet: { ...r.message.sheet, user: r.message.sheet.user + op.skew, custody: r.message.sheet.custody - op.skew } } : r.message;
        queue.push({ to: other(op.side), message });
      } catch (e) {
        if (!(e instanceof ChannelError)) throw e;
        expect(e.message).toMatch(/in flight/);
      }
    } else if (op.kind === 'deliver') {
      const item = queue.shift();
      if (!item) continue;
      const { to, message } = item;
      // A cheater keeps any valid signature it receives, whether or not the honest logic accepts the message.
      if (message.type === 'proposal' && signed[other(to)].some((x) => sameSheet(x, message.sheet))) addSheet(held[to], message.sheet);
      try {
        if (message.type === 'proposal') {
          const r = receiveProposal(params, parties[to], keysOf[to], message);
          parties[to] = r.state;
          addSheet(signed[to], message.sheet);
          queue.push({ to: other(to), message: r.message });
        } else if (message.type === 'acceptance') {
          const r = receiveAcceptance(params, parties[to], keysOf[to], message);
          parties[to] = r.state;
          addSheet(held[to], r.state.latest.sheet);
          queue.push({ to: other(to), message: r.message });
        } else {
          parties[to] = receiveRevocation(parties[to], message);
        }
      } catch (e) {
        // Refused messages (a tampered sheet, a state that does not follow, a crossing proposal) change nothing.
        if (!(e instanceof ChannelError)) throw e;
      }
    } else if (op.kind === 'lose-all') {
      queue.length = 0;
    } else {
      const m = resend(parties[op.side]);
      if (m) queue.push({ to: other(op.side), message: m });
    }
    checkInvariants(parties, held, signed);
  }
  return parties;
}

/** The lowest state of the other side that `state`'s owner cannot yet penalise. */
function lowestUnrevoked(state: PartyState): number {
  let s = 0;
  while (counterpartyRevocationSecret(state, s) !== undefined) s++;
  return s;
}

/**
 * For every commitment X could publish (honest or not), with Y the counterparty:
 * - revoked (Y has the secret): Y's penalty takes everything, X gets nothing;
 * - otherwise it is a state Y signed and has not seen revoked, X gets at most its balance there, Y at least its own
 *   minus the commitment fee; Y's window of such states is at most two (its latest and one in flight), and once an
 *   update has completed (nothing in flight) it is exactly the latest state.
 */
function checkInvariants(parties: Record<Side, PartyState>, held: Held, signed: Signed): void {
  for (const x of ['user', 'custody'] as const) {
    const y = other(x);
    const them = parties[y];
    const floor = lowestUnrevoked(them);
    const window = signed[y].filter((s) => s.stateNumber >= floor);
    expect(new Set(window.map((s) => s.stateNumber)).size).toBeLessThanOrEqual(2);
    const quiescent = !parties.user.pending && !parties.custody.pending && floor === them.latest.sheet.stateNumber;
    for (const s of held[x]) {
      const commitment = buildCommitment(params, x, s, ownPoint(keysOf[x], s.stateNumber));
      const revoked = counterpartyRevocationSecret(them, s.stateNumber) !== undefined;
      const toLocal = commitment.toLocal?.value ?? 0n;
      const toRemote = commitment.toRemote?.value ?? 0n;
      if (revoked) {
        // The penalty: the publisher's to_local goes to the counterparty.
        expect(toLocal + toRemote).toBeGreaterThanOrEqual(CAPACITY - params.commitmentFee - 546n);
        continue;
      }
      expect(s.stateNumber).toBeGreaterThanOrEqual(floor);
      expect(window.some((w) => sameSheet(w, s))).toBe(true);
      expect(toLocal).toBeLessThanOrEqual(balanceOf(x, s));
      expect(toRemote).toBeGreaterThanOrEqual(balanceOf(y, s) - params.commitmentFee);
      if (quiescent) expect(sameSheet(s, them.latest.sheet)).toBe(true);
    }
  }
}

describe('channel update state machine (property)', () => {
  it(
    'no sequence of updates, refusals, tampering, lost messages, crashes and resends lets a side close with more than its latest signed balance',
    () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.bigInt({ min: 0n, max: CAPACITY }), (ops, startUser) => {
          runScenario(ops, startUser);
        }),
        fuzzParams(40),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it('a full update moves both sides to the same next state and revokes both old ones', () => {
    const parties = runScenario([{ kind: 'propose', side: 'user', userBalance: 400_000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'deliver' }], CAPACITY);
    for (const side of ['user', 'custody'] as const) {
      expect(parties[side].latest.sheet).toEqual(sheet(1, 400_000n, 600_000n));
      expect(parties[side].pending).toBeUndefined();
      expect(parties[side].revokedBelow).toBe(1);
      expect(counterpartyRevocationSecret(parties[side], 0)).toBeDefined();
    }
  });

  it('a revocation lost in a crash keeps the old state open for the counterparty until it is resent', () => {
    const lost = runScenario([{ kind: 'propose', side: 'user', userBalance: 400_000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'lose-all' }], CAPACITY);
    expect(lost.custody.pending).toMatchObject({ awaiting: 'revocation' });
    expect(counterpartyRevocationSecret(lost.custody, 0)).toBeUndefined();
    const resent = runScenario([{ kind: 'propose', side: 'user', userBalance: 400_000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'lose-all' }, { kind: 'resend', side: 'user' }, { kind: 'deliver' }], CAPACITY);
    expect(resent.custody.pending).toBeUndefined();
    expect(counterpartyRevocationSecret(resent.custody, 0)).toBeDefined();
  });
});
