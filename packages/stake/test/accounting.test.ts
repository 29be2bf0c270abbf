import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../testing/src/fuzz.js';
import {
  accounts, applySlash, applyStakingEvent, bridgeFeeSats, collateralStake, delegationKey, deriveBalances, EMPTY_BOOK, evidenceIdHash, isSlashable, LedgerError, lockOrder,
  MemoryLedger, planSlash, rewardTransaction, selectEpochSet, signerByHostKey, slashCallArgs, splitRewards, StakeRuleError, stakingEventTransaction,
  type SlashingConfig, type StakeBook, type StakingEvent,
} from '../src/index.js';
import { address, bookArb, hostKey } from './arbitraries.js';

const slashing: SlashingConfig = { rateBps: { invalid_partial_signature: 500, equivocation: 5_000, liveness: 100 }, jailEpochs: 2 };

function smallBook(): StakeBook {
  const s1 = address(1);
  return {
    signers: new Map([[s1, { address: s1, hostPubkey: hostKey(1), selfBond: 1_000n, jailedUntilEpoch: 0 }]]),
    delegations: new Map([[delegationKey(s1, address(9)), { signer: s1, delegator: address(9), amount: 301n }]]),
    unbonding: [
      { id: 0n, owner: s1, signer: s1, amount: 100n, maturesAt: 50n, released: false },
      { id: 1n, owner: address(9), signer: s1, amount: 100n, maturesAt: 10n, released: true },
    ],
  };
}

describe('slashing', () => {
  it('takes the rate from the bond, each delegation and slashable unbonding (rounded up), jails, and applies an evidence id once', () => {
    const book = smallBook();
    const order = { evidenceId: 'ev-1', offence: 'invalid_partial_signature' as const, signer: address(1), epoch: 3 };
    const d = planSlash(slashing, book, order, new Set(), 20n);
    expect(d).toMatchObject({ status: 'slash', total: 50n + 16n + 5n, jailedUntilEpoch: 6 });
    if (d.status !== 'slash') throw new Error('unreachable');
    expect(d.debits.map((x) => [x.kind, x.amount])).toEqual([['self', 50n], ['delegation', 16n], ['unbonding', 5n]]);
    const after = applySlash(book, d);
    expect(after.signers.get(address(1))).toMatchObject({ selfBond: 950n, jailedUntilEpoch: 6 });
    expect(after.delegations.get(delegationKey(address(1), address(9)))?.amount).toBe(285n);
    expect(after.unbonding.map((u) => u.amount)).toEqual([95n, 100n]);
    expect(book.signers.get(address(1))?.selfBond).toBe(1_000n); // the input is not changed
    expect(planSlash(slashing, after, order, new Set(['ev-1']), 20n).status).toBe('duplicate');
    expect(planSlash(slashing, after, { ...order, evidenceId: 'ev-2' }, new Set(['ev-1']), 20n).status).toBe('already_jailed');
    expect(planSlash(slashing, after, { ...order, evidenceId: 'ev-3', epoch: 6 }, new Set(), 20n).status).toBe('slash');
    expect(planSlash(slashing, after, { ...order, signer: address(7) }, new Set(), 20n).status).toBe('unknown_signer');
    expect(signerByHostKey(book, hostKey(1).toUpperCase())?.address).toBe(address(1));
    // Jailed: out of the next epochs' sets until epoch 6.
    const cfg = { firstHeight: 0, epochLengthBlocks: 5, maxSigners: 5, minSelfBond: 1n, thresholdBps: 6_000 };
    expect(selectEpochSet(cfg, after, 4).members).toHaveLength(0);
    expect(selectEpochSet(cfg, after, 6).members).toHaveLength(1);
  });

  it('property: a slash takes exactly the rate (rounded up, capped) from every slashable position of the signer and nothing else', () => {
    fc.assert(
      fc.property(bookArb, fc.nat({ max: 11 }), fc.constantFrom('invalid_partial_signature', 'equivocation', 'liveness') as fc.Arbitrary<'liveness'>, fc.bigInt({ min: 0n, max: 200n }), fc.nat({ max: 8 }), (book, i, offence, now, epoch) => {
        const signer = address(i + 1);
        const d = planSlash(slashing, book, { evidenceId: 'e', offence, signer, epoch }, new Set(), now);
        if (!book.signers.has(signer)) return d.status === 'unknown_signer';
        if (book.signers.get(signer)!.jailedUntilEpoch > epoch) return d.status === 'already_jailed';
        if (d.status !== 'slash') return false;
        const after = applySlash(book, d);
        const rate = BigInt(slashing.rateBps[offence]);
        const expectedCut = (v: bigint) => (v * rate + 9_999n) / 10_000n;
        let expected = expectedCut(book.signers.get(signer)!.selfBond);
        for (const x of book.delegations.values()) if (x.signer === signer) expected += expectedCut(x.amount);
        for (const u of book.unbonding) if (u.signer === signer && isSlashable(u, now)) expected += expectedCut(u.amount);
        const othersUnchanged = [...book.delegations.values()].filter((x) => x.signer !== signer).every((x) => after.delegations.get(delegationKey(x.signer, x.delegator))?.amount === x.amount);
        return d.total === expected && collateralStake(book) - collateralStake(after) === d.total - sumWithdrawableCut(book, d, now) && othersUnchanged && after.signers.get(signer)!.jailedUntilEpoch === epoch + 1 + slashing.jailEpochs;
      }),
      fuzzParams(500),
    );
  }, FUZZ_TIMEOUT_MS);
});

/** Cuts from released (so not in collateral) but still slashable unbonding entries. */
function sumWithdrawableCut(book: StakeBook, d: ReturnType<typeof planSlash>, _now: bigint): bigint {
  if (d.status !== 'slash') return 0n;
  return d.debits.filter((x) => x.kind === 'unbonding' && book.unbonding.find((u) => u.id === x.unbondingId)!.released).reduce((s, x) => s + x.amount, 0n);
}

describe('rewards', () => {
  it('splits by stake × uptime, pays the commission on the delegators’ part, and keeps the dust', () => {
    const split = splitRewards({
      bridgeFeesWei: 1_000n, gasFeesWei: 1n, carriedWei: 0n, commissionBps: 1_000,
      signers: [
        { address: address(1), selfBond: 100n, delegations: [{ delegator: address(9), amount: 100n }], uptimeBps: 10_000 },
        { address: address(2), selfBond: 200n, delegations: [], uptimeBps: 5_000 },
      ],
    });
    // Weights 200×1 and 200×0.5: shares 667 and 333. Signer 1: self 333, delegators' part 333, commission 33.
    expect(split.bySigner.get(address(1))).toEqual({ share: 667n, self: 333n, commission: 33n, delegators: 300n });
    expect(split.payouts.get(address(1))).toBe(366n);
    expect(split.payouts.get(address(9))).toBe(300n);
    expect(split.payouts.get(address(2))).toBe(333n);
    expect(split.paid).toBe(999n);
    expect(split.undistributed).toBe(2n);
    expect(bridgeFeeSats(12_345n, 30)).toBe(37n);
    expect(splitRewards({ bridgeFeesWei: 5n, gasFeesWei: 0n, carriedWei: 0n, commissionBps: 0, signers: [] }).undistributed).toBe(5n);
  });

  it('property: the sum paid never exceeds the pot, every payout is non-negative, and the dust is bounded by the number of divisions', () => {
    const signerArb = fc.record({
      selfBond: fc.bigInt({ min: 0n, max: 10n ** 24n }),
      delegations: fc.array(fc.record({ delegator: fc.nat({ max: 40 }), amount: fc.bigInt({ min: 0n, max: 10n ** 24n }) }), { maxLength: 8 }),
      uptimeBps: fc.integer({ min: 0, max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.array(signerArb, { maxLength: 10 }), fc.bigInt({ min: 0n, max: 10n ** 22n }), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 0n, max: 1_000n }), fc.integer({ min: 0, max: 10_000 }), (signers, bridge, gas, carried, commissionBps) => {
        const input = {
          bridgeFeesWei: bridge, gasFeesWei: gas, carriedWei: carried, commissionBps,
          signers: signers.map((s, i) => ({ address: address(i + 1), selfBond: s.selfBond, uptimeBps: s.uptimeBps, delegations: [...new Map(s.delegations.map((d) => [d.delegator, d])).values()].map((d) => ({ delegator: address(100 + d.delegator), amount: d.amount })) })),
        };
        const split = splitRewards(input);
        const paid = [...split.payouts.values()].reduce((a, b) => a + b, 0n);
        const divisions = BigInt(input.signers.reduce((n, s) => n + 4 + s.delegations.length, 0));
        const anyWeight = input.signers.some((s) => s.uptimeBps > 0 && s.selfBond + s.delegations.reduce((a, d) => a + d.amount, 0n) > 0n);
        return (
          paid === split.paid && split.paid <= split.pot && split.pot === bridge + gas + carried && split.undistributed === split.pot - split.paid &&
          [...split.payouts.values()].every((v) => v > 0n) && (!anyWeight || split.undistributed <= divisions)
        );
      }),
      fuzzParams(500),
    );
  }, FUZZ_TIMEOUT_MS);
});

describe('stake ledger and staking events', () => {
  const log = (i: number) => ({ blockHash: `0x${i.toString(16).padStart(64, '0')}`, logIndex: i });
  const post = (l: MemoryLedger, i: number, e: StakingEvent) => l.post(stakingEventTransaction(log(i), e)!);

  it('records each L2 log once, refuses a changed fact under a used id, an overdraft and an unbalanced entry', () => {
    const l = new MemoryLedger();
    const bonded: StakingEvent = { type: 'Bonded', signer: address(1), amount: 1_000n, hostPubkey: hostKey(1) };
    expect(post(l, 1, bonded)).toBe('applied');
    expect(post(l, 1, bonded)).toBe('duplicate');
    expect(() => post(l, 1, { ...bonded, amount: 999n })).toThrow(/different postings/);
    expect(post(l, 2, { type: 'Delegated', signer: address(1), delegator: address(9), amount: 50n })).toBe('applied');
    expect(() => post(l, 3, { type: 'UnbondingStarted', id: 0n, owner: address(9), signer: address(1), amount: 51n, maturesAt: 5n })).toThrow(LedgerError);
    expect(post(l, 3, { type: 'UnbondingStarted', id: 0n, owner: address(9), signer: address(1), amount: 50n, maturesAt: 5n })).toBe('applied');
    expect(post(l, 4, { type: 'Withdrawn', id: 0n, owner: address(9), amount: 50n })).toBe('applied');
    expect(stakingEventTransaction(log(5), { type: 'UnbondingReleased', releasedBelow: 1n })).toBeNull();
    expect(() => l.post({ id: 'l2log:0x01:9', source: { kind: 'l2_log', blockHash: '0x01', logIndex: 9 }, postings: [{ account: 'bond:0x1', asset: 'STAKE', amount: 5n }] })).toThrow(/sum to 5/);
    expect(() => l.post({ id: 'wrong', source: { kind: 'reward', epoch: 1 }, postings: [] })).toThrow(/does not match its source/);
    expect(l.balance(accounts.bond(address(1)), 'STAKE')).toBe(1_000n);
    expect(l.balance(accounts.wallets, 'STAKE')).toBe(-1_000n);
    expect(Object.isFrozen(l.entries[0])).toBe(true);
  });

  it('a planned slash becomes the contract call whose events the ledger records, traceable to the evidence; rewards go under their epoch', () => {
    let book = EMPTY_BOOK;
    const l = new MemoryLedger();
    const events: StakingEvent[] = [
      { type: 'Bonded', signer: address(1), amount: 1_000n, hostPubkey: hostKey(1) },
      { type: 'Delegated', signer: address(1), delegator: address(9), amount: 301n },
      { type: 'Bonded', signer: address(1), amount: 100n, hostPubkey: hostKey(1) },
      { type: 'UnbondingStarted', id: 0n, owner: address(1), signer: address(1), amount: 100n, maturesAt: 50n },
    ];
    events.forEach((e, i) => {
      book = applyStakingEvent(book, e);
      post(l, i, e);
    });
    const d = planSlash(slashing, book, { evidenceId: 'invalid_partial_signature:02ab:s#1:1', offence: 'invalid_partial_signature', signer: address(1), epoch: 1 }, new Set(), 0n);
    if (d.status !== 'slash') throw new Error('expected a slash');
    const args = slashCallArgs(d);
    expect(args).toEqual({ evidenceIdHash: evidenceIdHash(d.evidenceId), signer: address(1), selfAmount: 50n, delegators: [address(9)], delegatorAmounts: [16n], unbondingIds: [0n], unbondingAmounts: [5n] });
    // What the contract emits for that call (see packages/evm/test/stake-contracts.test.ts).
    const slashed: StakingEvent[] = [
      { type: 'StakeSlashed', evidenceIdHash: args.evidenceIdHash, signer: address(1), owner: address(1), kind: 0, unbondingId: 0n, amount: 50n },
      { type: 'StakeSlashed', evidenceIdHash: args.evidenceIdHash, signer: address(1), owner: address(9), kind: 1, unbondingId: 0n, amount: 16n },
      { type: 'StakeSlashed', evidenceIdHash: args.evidenceIdHash, signer: address(1), owner: address(1), kind: 2, unbondingId: 0n, amount: 5n },
      { type: 'Slashed', evidenceIdHash: args.evidenceIdHash, signer: address(1), total: 71n },
    ];
    slashed.forEach((e, i) => {
      book = applyStakingEvent(book, e);
      const tx = stakingEventTransaction(log(10 + i), e);
      if (tx) expect(l.post(tx)).toBe('applied');
    });
    // The book rebuilt from the slash's events holds what the plan computed (jail is the ledger's, not the contract's).
    const planned = applySlash(applyEvents(events), d);
    expect([...book.delegations]).toEqual([...planned.delegations]);
    expect(book.unbonding).toEqual(planned.unbonding);
    expect(book.signers.get(address(1))).toEqual({ ...planned.signers.get(address(1)), jailedUntilEpoch: 0 });
    expect(l.balance(accounts.slashed, 'STAKE')).toBe(d.total);
    expect(l.entries.filter((e) => e.source.kind === 'l2_log' && e.source.evidenceIdHash === args.evidenceIdHash)).toHaveLength(3);
    const split = splitRewards({ bridgeFeesWei: 10n, gasFeesWei: 7n, carriedWei: 0n, commissionBps: 0, signers: [{ address: address(1), selfBond: 2n, delegations: [{ delegator: address(9), amount: 1n }], uptimeBps: 10_000 }] });
    l.post(rewardTransaction(1, 17n, split));
    expect(l.balance(accounts.feePot, 'WEI')).toBe(split.undistributed);
    expect(l.entries.map((e) => e.id)).toContain('reward:1');
    const order = lockOrder(stakingEventTransaction(log(10), slashed[1]!)!).map((x) => x.account);
    expect(order).toEqual([...order].sort());
    expect(() => applyStakingEvent(book, { type: 'Withdrawn', id: 0n, owner: address(1), amount: 95n })).toThrow(StakeRuleError); // not released
    expect(() => applyStakingEvent(EMPTY_BOOK, { type: 'Delegated', signer: address(1), delegator: address(2), amount: 1n })).toThrow(/never bonded/);
  });

  it('property: replaying any valid event sequence, the ledger’s stake accounts equal the book’s positions, cached balances equal derived ones, and nothing internal is negative', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('bond' as const), s: fc.nat({ max: 3 }), a: fc.bigInt({ min: 1n, max: 1_000n }) }),
      fc.record({ k: fc.constant('delegate' as const), s: fc.nat({ max: 3 }), d: fc.nat({ max: 3 }), a: fc.bigInt({ min: 1n, max: 1_000n }) }),
      fc.record({ k: fc.constant('unbond' as const), s: fc.nat({ max: 3 }), d: fc.option(fc.nat({ max: 3 })), a: fc.bigInt({ min: 1n, max: 1_000n }) }),
      fc.record({ k: fc.constant('release' as const), below: fc.nat({ max: 20 }) }),
      fc.record({ k: fc.constant('withdraw' as const), u: fc.nat({ max: 20 }) }),
      fc.record({ k: fc.constant('slash' as const), s: fc.nat({ max: 3 }), rate: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ k: fc.constant('replay' as const), i: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
        const l = new MemoryLedger();
        let book = EMPTY_BOOK;
        let n = 0;
        let nextId = 0n;
        let released = 0n;
        const emit = (e: StakingEvent) => {
          book = applyStakingEvent(book, e);
          const tx = stakingEventTransaction(log(n++), e);
          if (tx) l.post(tx);
        };
        for (const o of ops) {
          if (o.k === 'bond') emit({ type: 'Bonded', signer: address(o.s + 1), amount: o.a, hostPubkey: hostKey(o.s + 1) });
          else if (o.k === 'delegate' && book.signers.has(address(o.s + 1))) emit({ type: 'Delegated', signer: address(o.s + 1), delegator: address(50 + o.d), amount: o.a });
          else if (o.k === 'unbond') {
            const signer = address(o.s + 1);
            const owner = o.d === null ? signer : address(50 + o.d);
            const held = o.d === null ? book.signers.get(signer)?.selfBond : book.delegations.get(delegationKey(signer, owner))?.amount;
            if (held !== undefined && held > 0n) emit({ type: 'UnbondingStarted', id: nextId++, owner, signer, amount: o.a > held ? held : o.a, maturesAt: 0n });
          } else if (o.k === 'release' && BigInt(o.below) >= released) {
            released = BigInt(o.below);
            emit({ type: 'UnbondingReleased', releasedBelow: released });
          } else if (o.k === 'withdraw') {
            const u = book.unbonding.find((x) => x.id === BigInt(o.u) && x.released);
            if (u) emit({ type: 'Withdrawn', id: u.id, owner: u.owner, amount: u.amount });
          } else if (o.k === 'slash' && book.signers.has(address(o.s + 1))) {
            const d = planSlash({ rateBps: { invalid_partial_signature: o.rate, equivocation: o.rate, liveness: o.rate }, jailEpochs: 0 }, book, { evidenceId: `e${n}`, offence: 'liveness', signer: address(o.s + 1), epoch: 0 }, new Set(), 0n);
            if (d.status === 'slash') {
              const a = slashCallArgs(d);
              if (a.selfAmount > 0n) emit({ type: 'StakeSlashed', evidenceIdHash: a.evidenceIdHash, signer: a.signer, owner: a.signer, kind: 0, unbondingId: 0n, amount: a.selfAmount });
              a.delegators.forEach((x, i) => emit({ type: 'StakeSlashed', evidenceIdHash: a.evidenceIdHash, signer: a.signer, owner: x, kind: 1, unbondingId: 0n, amount: a.delegatorAmounts[i]! }));
              a.unbondingIds.forEach((x, i) => emit({ type: 'StakeSlashed', evidenceIdHash: a.evidenceIdHash, signer: a.signer, owner: a.signer, kind: 2, unbondingId: x, amount: a.unbondingAmounts[i]! }));
            }
          } else if (o.k === 'replay' && l.entries.length > 0) expect(l.post(l.entries[o.i % l.entries.length]!)).toBe('duplicate');
        }
        const derived = deriveBalances(l.entries);
        const cached = l.cachedBalances();
        const same = derived.size === cached.size && [...derived].every(([k, v]) => cached.get(k) === v);
        const bal = (a: string) => derived.get(`STAKE ${a}`) ?? 0n;
        const positionsAgree =
          [...book.signers.values()].every((s) => bal(accounts.bond(s.address)) === s.selfBond) &&
          [...book.delegations.values()].every((d) => bal(accounts.delegation(d.signer, d.delegator)) === d.amount) &&
          book.unbonding.every((u) => bal(accounts.unbonding(u.id)) === u.amount) &&
          bal(accounts.wallets) + collateralStake(book) + book.unbonding.filter((u) => u.released).reduce((s, u) => s + u.amount, 0n) + bal(accounts.slashed) === 0n;
        return same && positionsAgree && [...derived].every(([k, v]) => v >= 0n || k.split(' ')[1]!.startsWith('external:'));
      }),
      fuzzParams(300),
    );
  }, FUZZ_TIMEOUT_MS);
});

function applyEvents(events: StakingEvent[]): StakeBook {
  return events.reduce(applyStakingEvent, EMPTY_BOOK);
}
