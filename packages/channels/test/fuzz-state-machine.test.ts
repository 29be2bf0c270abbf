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
  decodePartyState,
  encodePartyState,
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

// Custody accepts every well-formed user proposal here: returns stand for L2 burns that executed (the signer's
// refusal of unburned returns is tested with the policy).
const keysOf: Record<Side, PartyKeys> = { user: userKeys, custody: custodyKeys };

type Op =
  | { kind: 'pay'; toCustody: boolean; amount: bigint }
  | { kind: 'tampered'; toCustody: boolean; amount: bigint; skew: bigint }
  | { kind: 'deliver' }
  | { kind: 'crash'; side: Side; beforePersist: boolean }
  | { kind: 'resend'; side: Side };

// Only the user proposes (the channel rule: proposals never cross): payments to custody and returns after an L2 burn.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pay' as const), toCustody: fc.boolean(), amount: fc.bigInt({ min: 0n, max: CAPACITY / 4n }) }) },
  // A message altered on the wire: refused (its signature is over other balances); a resend recovers.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tampered' as const), toCustody: fc.boolean(), amount: fc.bigInt({ min: 0n, max: CAPACITY / 4n }), skew: fc.bigInt({ min: -1000n, max: 1000n }).filter((k) => k !== 0n) }) },
  { weight: 8, arbitrary: fc.constant({ kind: 'deliver' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), side: fc.constantFrom<Side>('user', 'custody'), beforePersist: fc.boolean() }) },
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
  // What each side has on disk: written after every step, before its message goes out.
  const persisted: Record<Side, string> = { user: encodePartyState(parties.user), custody: encodePartyState(parties.custody) };
  // For a crash between a step and its write: the state on disk before the side's last step, and what that step sent.
  const beforeLast: Record<Side, string> = { ...persisted };
  const lastSentBy: Record<Side, ChannelMessage | undefined> = { user: undefined, custody: undefined };

  for (const op of ops) {
    if (op.kind === 'tampered' || op.kind === 'pay') {
      const latest = parties.user.latest.sheet;
      const userBalance = op.toCustody ? latest.user - (op.amount > latest.user ? latest.user : op.amount) : latest.user + (op.amount > latest.custody ? latest.custody : op.amount);
      const next = sheet(latest.stateNumber + 1, userBalance, CAPACITY - userBalance);
      try {
        const r = propose(params, parties.user, keysOf.user, next);
        parties.user = r.state;
        addSheet(signed.user, next);
        const message = op.kind === 'tampered' ? { ...r.message, sheet: { ...r.message.sheet, user: r.message.sheet.user + op.skew, custody: r.message.sheet.custody - op.skew } } : r.message;
        queue.push({ to: 'custody', message });
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
    } else if (op.kind === 'crash') {
      const undone = lastSentBy[op.side];
      if (op.beforePersist && undone && queue.some((q) => q.message === undone)) {
        // It crashed before writing its last step: the step never happened and its message never left.
        parties[op.side] = decodePartyState(beforeLast[op.side]);
        lastSentBy[op.side] = undefined;
        coverage.crashesBeforePersist++;
      } else {
        parties[op.side] = decodePartyState(persisted[op.side]);
      }
      // Everything on the wire is lost.
      queue.length = 0;
    } else {
      const m = resend(parties[op.side]);
      if (m) queue.push({ to: other(op.side), message: m });
    }
    for (const side of ['user', 'custody'] as const) {
      const now = encodePartyState(parties[side]);
      if (now !== persisted[side]) {
        beforeLast[side] = persisted[side];
        persisted[side] = now;
        lastSentBy[side] = [...queue].reverse().find((q) => q.to === other(side))?.message;
      }
    }
    checkInvariants(parties, held, signed);
  }
  return parties;
}

/** How much the generated runs exercised: a property that never reaches a revoked state would prove little. */
const coverage = { highestState: 0, revokedCommitmentsChecked: 0, crashesBeforePersist: 0 };

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
      coverage.highestState = Math.max(coverage.highestState, s.stateNumber);
      if (revoked) {
        coverage.revokedCommitmentsChecked++;
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
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 30, size: 'max' }), fc.bigInt({ min: 0n, max: CAPACITY }), (ops, startUser) => {
          runScenario(ops, startUser);
        }),
        fuzzParams(25),
      );
      expect(coverage.highestState).toBeGreaterThanOrEqual(3);
      expect(coverage.revokedCommitmentsChecked).toBeGreaterThan(0);
      expect(coverage.crashesBeforePersist).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT_MS,
  );

  it('a full update moves both sides to the same next state and revokes both old ones', () => {
    const parties = runScenario([{ kind: 'pay', toCustody: true, amount: 600_000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'deliver' }], CAPACITY);
    for (const side of ['user', 'custody'] as const) {
      expect(parties[side].latest.sheet).toEqual(sheet(1, 400_000n, 600_000n));
      expect(parties[side].pending).toBeUndefined();
      expect(parties[side].revokedBelow).toBe(1);
      expect(counterpartyRevocationSecret(parties[side], 0)).toBeDefined();
    }
  });

  it('updates follow one another', () => {
    const one = [{ kind: 'pay', toCustody: true, amount: 1000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'deliver' }] as const;
    const parties = runScenario([...one, ...one, ...one], CAPACITY);
    expect(parties.custody.latest.sheet).toEqual(sheet(3, CAPACITY - 3000n, 3000n));
  });

  it('a revocation lost in a crash keeps the old state open for the counterparty until it is resent', () => {
    const lost = runScenario([{ kind: 'pay', toCustody: true, amount: 600_000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'crash', side: 'custody', beforePersist: false }], CAPACITY);
    expect(lost.custody.pending).toMatchObject({ awaiting: 'revocation' });
    expect(counterpartyRevocationSecret(lost.custody, 0)).toBeUndefined();
    const resent = runScenario([{ kind: 'pay', toCustody: true, amount: 600_000n }, { kind: 'deliver' }, { kind: 'deliver' }, { kind: 'crash', side: 'custody', beforePersist: false }, { kind: 'resend', side: 'user' }, { kind: 'deliver' }], CAPACITY);
    expect(resent.custody.pending).toBeUndefined();
    expect(counterpartyRevocationSecret(resent.custody, 0)).toBeDefined();
  });

  it('a persisted state round-trips, and a damaged one is refused with the field that is wrong', () => {
    const parties = runScenario([{ kind: 'pay', toCustody: true, amount: 600_000n }, { kind: 'deliver' }], CAPACITY);
    for (const side of ['user', 'custody'] as const) expect(decodePartyState(encodePartyState(parties[side]))).toEqual(parties[side]);
    const json = JSON.parse(encodePartyState(parties.custody)) as { latest: { sheet: { user: string } } };
    json.latest.sheet.user = '-5';
    expect(() => decodePartyState(JSON.stringify(json))).toThrow(/latest\.sheet\.user/);
    expect(() => decodePartyState('{"version":1')).toThrow(ChannelError);
  });
});
