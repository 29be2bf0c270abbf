// Property test of the custody desk's ledger (fast-check, no chain): random payments, returns (with and without
// their burn), resent proposals and revocations, burns of the wrong size, proposals from a state that does not
// follow, and "crashes" (a new CustodyDesk over the same store: the desk keeps nothing itself). After each step:
// - the executed states are 0..n, each once, and each follows the previous by conservation of the capacity;
// - the L2 BTC outstanding (credits − burns) equals custody's side of the latest executed state: custody never
//   holds a sat the L2 did not credit, and the L2 never credits a sat custody does not hold;
// - the group was asked to sign a custody commitment / close only for executed states (the signer below refuses
//   anything else with the real rules, and the desk must never even ask).
import { schnorr } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams, fuzzRuns } from '../../testing/src/fuzz.js';
import {
  checkChannelSigningRequest,
  CustodyDesk,
  l2Balances,
  MemoryCustodyChannelStore,
  openParty,
  openingPoints,
  openingSignature,
  pointOf,
  propose,
  receiveAcceptance,
  type Acceptance,
  type GroupSigner,
  type PartyState,
  type Proposal,
  type RevocationMessage,
} from '../src/index.js';
import { channelParams, custodyPayoutScript, custodyRevocationBaseSecret, groupKey, groupSecret, sheet, userKeys } from './helpers.js';

const CAP = 10_000_000n;
type Step =
  | { kind: 'pay'; amount: number }
  | { kind: 'return'; amount: number; burnFirst: boolean; burnDelta: number }
  | { kind: 'resend-proposal' }
  | { kind: 'resend-revocation' }
  | { kind: 'crash' }
  | { kind: 'skip-ahead'; amount: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('pay' as const), amount: fc.integer({ min: 1, max: 3_000_000 }) }),
  fc.record({ kind: fc.constant('return' as const), amount: fc.integer({ min: 1, max: 3_000_000 }), burnFirst: fc.boolean(), burnDelta: fc.constantFrom(0, 0, 0, 1, -1) }),
  fc.constant({ kind: 'resend-proposal' as const }),
  fc.constant({ kind: 'resend-revocation' as const }),
  fc.constant({ kind: 'crash' as const }),
  fc.record({ kind: fc.constant('skip-ahead' as const), amount: fc.integer({ min: 1, max: 1_000_000 }) }),
);

describe('custody desk ledger (property)', () => {
  it('executes every state once, in order, and the L2 BTC outstanding always equals custody\'s side', async () => {
    const covered = { credits: 0, burns: 0, refusedReturns: 0, resends: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 15 }), async (steps) => {
        const store = new MemoryCustodyChannelStore();
        const asked: string[] = [];
        const highest = new Map<string, number>();
        const sign: GroupSigner = async (r) => {
          const c = (await store.get(r.channelId))!;
          checkChannelSigningRequest(r.params, { channelId: r.channelId, kind: r.kind, sheet: r.sheet, sighash: r.sighash, ...(r.holderPerCommitmentPoint ? { holderPerCommitmentPoint: r.holderPerCommitmentPoint } : {}), ...(r.close ? { close: r.close } : {}) },
            { channelId: r.channelId, executed: new Map(c.executed.map((e) => [e.stateNumber, e])) }, { highestSignedState: highest.get(r.channelId) ?? 0, maxCustodyCloseFee: 5_000n });
          if (r.kind === 'user-commitment') highest.set(r.channelId, Math.max(highest.get(r.channelId) ?? 0, r.sheet.stateNumber));
          asked.push(`${r.kind}:${r.sheet.stateNumber}`);
          return schnorr.sign(r.sighash, groupSecret, new Uint8Array(32));
        };
        const make = () =>
          new CustodyDesk({
            store,
            sign,
            seedSecret: new Uint8Array(32).fill(3),
            terms: () => ({ groupKey, custodyRevocationBasepoint: pointOf(custodyRevocationBaseSecret), custodyPayoutScript, challengePeriod: 6, commitmentFee: 1_000n }),
            proveFunding: async () => ({ ok: true }),
          });
        let desk = make();
        const params = channelParams({ txid: 'cd'.repeat(32), vout: 0 }, CAP);
        const id = `${'cd'.repeat(32)}:0`;
        const s0 = sheet(0, CAP, 0n);
        const cp = desk.openingPoints(id);
        const { signature } = await desk.register({ params, evmAddress: '0x' + '11'.repeat(20), userPoints: openingPoints(userKeys), userSignature: openingSignature(params, 'user', userKeys, s0, cp[0]) });
        let user: PartyState = openParty(params, 'user', userKeys, s0, cp, signature);
        await desk.confirmFunding(id);
        let lastProposal: Proposal | undefined;
        let lastRevocation: RevocationMessage | undefined;

        const update = async (userSats: bigint): Promise<boolean> => {
          const next = sheet(user.latest.sheet.stateNumber + 1, userSats, CAP - userSats);
          const a = propose(params, user, userKeys, next);
          let acc: Acceptance;
          try {
            acc = await desk.receiveProposal(id, a.message);
          } catch {
            return false; // refused: the user keeps its state (no abort message; README "Not done")
          }
          lastProposal = a.message;
          const b = receiveAcceptance(params, a.state, userKeys, acc);
          user = b.state;
          lastRevocation = b.message;
          await desk.receiveRevocation(id, b.message);
          return true;
        };

        for (const s of steps) {
          const latest = user.latest.sheet;
          if (s.kind === 'pay') {
            const amount = BigInt(s.amount);
            if (amount <= latest.user) if (await update(latest.user - amount)) covered.credits++;
          } else if (s.kind === 'return') {
            const amount = BigInt(s.amount);
            if (amount <= latest.custody) {
              if (s.burnFirst) {
                const burned = amount + BigInt(s.burnDelta);
                const ok = await desk.burnForReturn(id, latest.stateNumber + 1, burned).then(() => true, () => false);
                if (ok && burned !== amount) {
                  // A burn of another size: the proposal must be refused, and the next update must follow it.
                  expect(await update(latest.user + amount)).toBe(false);
                  covered.refusedReturns++;
                  // The burned state is executed: the user proposes exactly it.
                  if (await update(latest.user + burned)) covered.burns++;
                  continue;
                }
                if (ok && (await update(latest.user + amount))) covered.burns++;
              } else {
                expect(await update(latest.user + amount)).toBe(false);
                covered.refusedReturns++;
              }
            }
          } else if (s.kind === 'resend-proposal' && lastProposal) {
            await desk.receiveProposal(id, lastProposal);
            covered.resends++;
          } else if (s.kind === 'resend-revocation' && lastRevocation) {
            await desk.receiveRevocation(id, lastRevocation);
            covered.resends++;
          } else if (s.kind === 'crash') {
            desk = make();
          } else if (s.kind === 'skip-ahead') {
            const bad = sheet(latest.stateNumber + 2, latest.user - BigInt(Math.min(s.amount, Number(latest.user))), 0n);
            bad.custody = CAP - bad.user;
            // A state two ahead (skipping an execution): refused before anything is signed.
            const before = asked.length;
            await expect(desk.receiveProposal(id, { type: 'proposal', sheet: bad, signature: userKeys.sign(new Uint8Array(32)) })).rejects.toThrow(/does not follow/);
            expect(asked.length).toBe(before);
          }

          const c = (await store.get(id))!;
          const executed = [...c.executed].sort((a, b) => a.stateNumber - b.stateNumber);
          expect(executed.map((e) => e.stateNumber)).toEqual(executed.map((_, i) => i));
          for (const e of executed) expect(e.user + e.custody).toBe(CAP);
          for (let i = 1; i < executed.length; i++) {
            const moved = executed[i]!.custody - executed[i - 1]!.custody;
            expect(executed[i]!.kind === 'credit' ? moved : -moved).toBe(executed[i]!.amount);
          }
          const l2 = l2Balances(c);
          expect(l2.l2Credited - l2.l2Burned).toBe(l2.latest.custody);
          expect(c.party.latest.sheet.stateNumber).toBe(user.latest.sheet.stateNumber);
          for (const a of asked.filter((x) => !x.startsWith('user-commitment'))) expect(executed.some((e) => `:${e.stateNumber}` === a.slice(a.indexOf(':')))).toBe(true);
        }
      }),
      {
        ...fuzzParams<[Step[]]>(15),
        // Two fixed runs that reach every case the coverage counts below are about, so those counts never depend on
        // the random draw (CI once failed on a seed whose 15 runs burned only once); the random runs explore around them.
        // fast-check counts examples within numRuns, hence the + 2.
        numRuns: fuzzRuns(15) + 2,
        examples: [
          [[...Array.from({ length: 9 }, () => ({ kind: 'pay' as const, amount: 100_000 })), { kind: 'resend-proposal' }, { kind: 'resend-revocation' }, { kind: 'crash' }, { kind: 'resend-proposal' }]],
          [[
            { kind: 'pay', amount: 1_000_000 },
            { kind: 'return', amount: 100_000, burnFirst: true, burnDelta: 0 },
            { kind: 'return', amount: 100_000, burnFirst: true, burnDelta: 0 },
            { kind: 'return', amount: 50_000, burnFirst: false, burnDelta: 0 },
            { kind: 'return', amount: 50_000, burnFirst: false, burnDelta: 0 },
            { kind: 'crash' },
            { kind: 'return', amount: 50_000, burnFirst: true, burnDelta: 1 },
            { kind: 'return', amount: 50_000, burnFirst: false, burnDelta: 0 },
            { kind: 'skip-ahead', amount: 10_000 },
          ]],
        ],
      },
    );
    // The runs reached what the properties are about.
    expect(covered.credits).toBeGreaterThan(8);
    expect(covered.burns).toBeGreaterThan(1);
    expect(covered.refusedReturns).toBeGreaterThan(2);
    expect(covered.resends).toBeGreaterThan(2);
  }, 600_000);
});
