// The checker must catch what it claims to: each invariant is shown failing on a snapshot that breaks it.
import { describe, expect, it } from 'vitest';
import { checkCustody, checkLiveness, checkSafety, heldSats, isHeld, mintKey, openRequests, outpoint, percentile, type Snapshot, type SubmittedDeposit, type SubmittedWithdrawal } from '../src/checker.js';

const alice = '0x' + 'a1'.repeat(20);
const deposits: SubmittedDeposit[] = [
  { n: 0, form: 'taproot', txid: 'aa'.repeat(32), vout: 1, amountSats: 5_000_000n, recipient: alice, sentAt: 0 },
  { n: 1, form: 'op_return', txid: 'bb'.repeat(32), vout: 0, amountSats: 6_000_001n, recipient: alice, sentAt: 0 },
  { n: 2, form: 'reclaimed', txid: 'cc'.repeat(32), vout: 0, amountSats: 7_000_002n, recipient: alice, sentAt: 0 },
];
const withdrawals: SubmittedWithdrawal[] = [{ n: 0, id: '0', scriptPubKey: '0014' + '11'.repeat(20), scriptType: 'p2wpkh', amountSats: 30_000n, maxFeeSats: 15_000n, burnedAt: 0 }];

/** A run where everything went right: both deposits minted once, the reclaim on chain, the withdrawal paid once. */
function good(): Snapshot {
  return {
    takenAt: 1_000, btcTip: 200,
    depositsOnChain: new Set(deposits.map((d) => outpoint(d.txid, d.vout))),
    reclaimedOnChain: new Set([outpoint(deposits[2]!.txid, 0)]),
    mints: new Map([[mintKey(alice, 5_000_000n), 1], [mintKey(alice, 6_000_001n), 1]]),
    unmatchedMints: [],
    payouts: new Map([[withdrawals[0]!.scriptPubKey, [{ txid: 'dd'.repeat(32), vout: 1, valueSats: 29_000n, height: 150 }]]]),
    // 11,000,001 in − 30,000 burned; the sweep's fee 1,500 of which the withdrawal bore 1,000.
    custodySats: 11_000_001n - 29_000n - 1_500n, l2SupplySats: 11_000_001n - 30_000n, pendingSats: 0n, feesPaidSats: 500n,
    depositStatus: new Map([[outpoint(deposits[0]!.txid, 1), 'minted'], [outpoint(deposits[1]!.txid, 0), 'swept']]),
    withdrawalStatus: new Map([['0', 'paid']]),
  };
}

describe('checker', () => {
  it('passes a run where the money adds up', () => {
    const s = good();
    expect(checkSafety(s, deposits, withdrawals)).toEqual([]);
    expect(checkLiveness(s, deposits, withdrawals, 60_000, 0)).toEqual([]);
    expect(openRequests(s, deposits, withdrawals)).toEqual([]);
    expect(checkCustody(s, deposits)).toEqual([]);
  });

  it('catches a deposit minted twice, a reclaimed deposit minted, and a mint from nothing', () => {
    const s = good();
    s.mints.set(mintKey(alice, 5_000_000n), 2);
    s.mints.set(mintKey(alice, 7_000_002n), 1);
    s.unmatchedMints.push(mintKey(alice, 1n));
    const v = checkSafety(s, deposits, withdrawals).map((x) => x.invariant);
    expect(v.filter((x) => x === 'no-deposit-minted-twice').length).toBe(4);
  });

  it('catches a withdrawal paid twice on Bitcoin, or paid more than it burned', () => {
    const s = good();
    s.payouts.get(withdrawals[0]!.scriptPubKey)!.push({ txid: 'ee'.repeat(32), vout: 0, valueSats: 29_000n, height: 151 });
    expect(checkSafety(s, deposits, withdrawals).map((x) => x.invariant)).toEqual(['no-withdrawal-paid-twice']);
    const t = good();
    t.payouts.set(withdrawals[0]!.scriptPubKey, [{ txid: 'dd'.repeat(32), vout: 1, valueSats: 30_001n, height: 150 }]);
    expect(checkSafety(t, deposits, withdrawals).map((x) => x.invariant)).toEqual(['no-withdrawal-paid-twice']);
  });

  it('catches a deposit never minted, one that left the chain, and a withdrawal never paid, as lost and late', () => {
    const s = good();
    s.mints.delete(mintKey(alice, 6_000_001n));
    s.depositsOnChain.delete(outpoint(deposits[0]!.txid, 1));
    s.payouts.clear();
    const v = checkLiveness(s, deposits, withdrawals, 60_000, 0).map((x) => x.invariant);
    expect(v.sort()).toEqual(['final-within-bound', 'no-deposit-lost', 'no-deposit-lost', 'no-withdrawal-lost']);
  });

  it('counts a request as open until the API agrees with the chains', () => {
    const s = good();
    s.withdrawalStatus.set('0', 'confirmed');
    s.depositStatus.set(outpoint(deposits[0]!.txid, 1), 'seen');
    expect(openRequests(s, deposits, withdrawals)).toHaveLength(2);
    expect(checkLiveness(s, deposits, withdrawals, 60_000, 0).map((x) => x.invariant)).toEqual(['final-within-bound']);
  });

  it('catches custody that does not balance', () => {
    const s = good();
    s.custodySats -= 1n;
    expect(checkCustody(s, deposits)[0]?.detail).toMatch(/off by -1/);
  });

  describe('a deposit over capacity (EVM_MINT_CAPACITY=stake)', () => {
    const large: SubmittedDeposit = { n: 3, form: 'large', txid: 'ff'.repeat(32), vout: 0, amountSats: 500_000_003n, recipient: alice, sentAt: 0, reclaimScript: '20' + '77'.repeat(32) + 'ac' };
    const all = [...deposits, large];
    const op = outpoint(large.txid, 0);
    /** `good()` plus the large deposit on chain, in custody and held (not minted). */
    function held(): Snapshot {
      const s = good();
      s.depositsOnChain.add(op);
      s.custodySats += large.amountSats;
      s.depositStatus.set(op, 'held_capacity');
      return s;
    }

    it('held: not lost, not open, and custody balances with it beside the supply', () => {
      const s = held();
      expect(isHeld(s, large)).toBe(true);
      expect(heldSats(s, all)).toBe(large.amountSats);
      expect(checkSafety(s, all, withdrawals)).toEqual([]);
      expect(openRequests(s, all, withdrawals)).toEqual([]);
      expect(checkLiveness(s, all, withdrawals, 60_000, 0)).toEqual([]);
      expect(checkCustody(s, all)).toEqual([]);
      // The chains alone cannot tell held from stuck: open until the API is read.
      expect(openRequests(s, all, withdrawals, false)).toHaveLength(1);
    });

    it('not minted while the API does not say held: lost', () => {
      const s = held();
      s.depositStatus.set(op, 'confirmed');
      expect(isHeld(s, large)).toBe(false);
      expect(checkLiveness(s, all, withdrawals, 60_000, 0).map((x) => x.invariant).sort()).toEqual(['final-within-bound', 'no-deposit-lost']);
      // And custody is then more than supply + pending − fees.
      expect(checkCustody(s, all)[0]?.detail).toMatch(new RegExp(`off by ${large.amountSats}`));
    });

    it('held, then minted once stake made room: counted once, in the supply, no longer held', () => {
      const s = held();
      s.mints.set(mintKey(alice, large.amountSats), 1);
      s.l2SupplySats += large.amountSats;
      expect(heldSats(s, all)).toBe(0n);
      expect(checkSafety(s, all, withdrawals)).toEqual([]);
      expect(checkCustody(s, all)).toEqual([]);
      s.mints.set(mintKey(alice, large.amountSats), 2);
      expect(checkSafety(s, all, withdrawals).map((x) => x.invariant)).toEqual(['no-deposit-minted-twice']);
    });

    it('held, then reclaimed by its owner: final, out of custody, and never to be minted as well', () => {
      const s = held();
      s.reclaimedOnChain.add(op);
      s.custodySats -= large.amountSats;
      expect(isHeld(s, large)).toBe(false);
      expect(openRequests(s, all, withdrawals)).toEqual([]);
      expect(checkLiveness(s, all, withdrawals, 60_000, 0)).toEqual([]);
      expect(checkCustody(s, all)).toEqual([]);
      s.mints.set(mintKey(alice, large.amountSats), 1);
      s.l2SupplySats += large.amountSats;
      expect(checkSafety(s, all, withdrawals).map((x) => x.detail)).toEqual([expect.stringMatching(/both reclaimed on Bitcoin and minted/)]);
    });
  });

  it('percentiles by rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
  });
});
