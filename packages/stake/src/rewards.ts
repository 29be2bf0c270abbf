/**
 * Per-epoch reward split. The pot is the epoch's bridge fees (bps on mints and withdrawals) plus the L2's gas fees,
 * in wei. Each active signer's share is proportional to stake × uptime; of it, the delegators' part (pro rata to
 * delegated / total stake) pays the signer a commission, and the rest goes to the delegators pro rata to their
 * delegation. Every division rounds down, so the protocol keeps the dust (`undistributed`, carried into the next
 * epoch's pot) and the sum paid never exceeds the pot.
 */
import { assertAmount, assertBps, BPS, mulDivFloor } from './amounts.js';
import { StakeRuleError } from './errors.js';

export interface RewardSigner {
  address: string;
  selfBond: bigint;
  /** The signer's delegations (delegator → amount); a delegator appears once per signer. */
  delegations: readonly { delegator: string; amount: bigint }[];
  /** Share of the epoch's heartbeats and sessions the signer answered, in bps (10,000 = all). */
  uptimeBps: number;
}

export interface RewardInput {
  /** Bridge fees collected in the epoch (wei). */
  bridgeFeesWei: bigint;
  /** L2 gas fees collected in the epoch (wei). */
  gasFeesWei: bigint;
  /** Dust left over from earlier epochs (wei). */
  carriedWei: bigint;
  commissionBps: number;
  signers: readonly RewardSigner[];
}

export interface RewardSplit {
  pot: bigint;
  /** Amount per address (a signer that also delegates, or a delegator of several signers, gets one total). */
  payouts: Map<string, bigint>;
  bySigner: Map<string, { share: bigint; self: bigint; commission: bigint; delegators: bigint }>;
  paid: bigint;
  /** pot − paid: kept by the protocol and carried into the next epoch. */
  undistributed: bigint;
}

/** Bridge fee on an amount (sats), rounded down: a fee never exceeds its rate. */
export function bridgeFeeSats(amountSats: bigint, feeBps: number): bigint {
  assertBps(feeBps, 'bridge fee');
  return mulDivFloor(assertAmount(amountSats, 'amount'), BigInt(feeBps), BPS);
}

export function splitRewards(input: RewardInput): RewardSplit {
  assertBps(input.commissionBps, 'commission');
  const pot = assertAmount(input.bridgeFeesWei, 'bridge fees') + assertAmount(input.gasFeesWei, 'gas fees') + assertAmount(input.carriedWei, 'carried dust');
  const weights: bigint[] = [];
  let totalWeight = 0n;
  const seen = new Set<string>();
  for (const s of input.signers) {
    if (seen.has(s.address)) throw new StakeRuleError(`signer ${s.address} is listed twice`);
    seen.add(s.address);
    assertBps(s.uptimeBps, `uptime of ${s.address}`);
    let stake = assertAmount(s.selfBond, `self bond of ${s.address}`);
    for (const d of s.delegations) stake += assertAmount(d.amount, `delegation of ${d.delegator} to ${s.address}`);
    const w = stake * BigInt(s.uptimeBps);
    weights.push(w);
    totalWeight += w;
  }
  const payouts = new Map<string, bigint>();
  const credit = (address: string, amount: bigint) => {
    if (amount > 0n) payouts.set(address, (payouts.get(address) ?? 0n) + amount);
  };
  const bySigner = new Map<string, { share: bigint; self: bigint; commission: bigint; delegators: bigint }>();
  let paid = 0n;
  if (totalWeight > 0n && pot > 0n) {
    const commission = BigInt(input.commissionBps);
    input.signers.forEach((s, i) => {
      const share = mulDivFloor(pot, weights[i]!, totalWeight);
      let delegated = 0n;
      for (const d of s.delegations) delegated += d.amount;
      const stake = s.selfBond + delegated;
      if (share === 0n || stake === 0n) {
        bySigner.set(s.address, { share, self: 0n, commission: 0n, delegators: 0n });
        return;
      }
      const self = mulDivFloor(share, s.selfBond, stake);
      const delegatorPart = mulDivFloor(share, delegated, stake);
      const fee = mulDivFloor(delegatorPart, commission, BPS);
      const net = delegatorPart - fee;
      let toDelegators = 0n;
      if (delegated > 0n) {
        for (const d of s.delegations) {
          const amount = mulDivFloor(net, d.amount, delegated);
          credit(d.delegator, amount);
          toDelegators += amount;
        }
      }
      credit(s.address, self + fee);
      paid += self + fee + toDelegators;
      bySigner.set(s.address, { share, self, commission: fee, delegators: toDelegators });
    });
  }
  return { pot, payouts, bySigner, paid, undistributed: pot - paid };
}
