// Epoch computation and reward split at 1,000 signers and 100,000 delegators (100 delegations per signer), in-process
// on the pure rules of packages/stake.
//
// epoch set:    selectEpochSet over a StakeBook (Map of 1,000 signers, Map of 100,000 delegations): summing the
//               delegations per signer, eligibility (min bond, jail), sort by stake then address, top 667 of 1,000,
//               the threshold. Excluded: building the book (reading the ledger or the L2), publishing the event.
// reward split: splitRewards for the 667 active signers with their delegations (about 66,700 delegators paid):
//               stake × uptime weights, each signer's share, commission, per-delegator pro rata shares (bigint
//               division each), and the per-address payout map; then the same over all 1,000 signers and 100,000
//               delegators. Excluded: writing payouts to the ledger or the L2, grouping delegations by signer.
// Each number is the median of the timed rounds after one warm-up round, wall clock (performance.now), on a machine
// shared with other work: the load average is printed so the numbers can be judged.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { delegationKey, selectEpochSet, splitRewards, type DelegationRecord, type RewardSigner, type SignerRecord, type StakeBook } from '../src/index.js';

const SIGNERS = 1_000;
const DELEGATORS = 100_000;
const ROUNDS = 9;
const TOKEN = 10n ** 18n;

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

const addr = (i: number) => `0x${i.toString(16).padStart(40, '0')}`;
// Deterministic pseudo-random amounts (xorshift), so every run measures the same book.
let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};

const signers = new Map<string, SignerRecord>();
for (let i = 0; i < SIGNERS; i++) {
  const a = addr(i + 1);
  signers.set(a, { address: a, hostPubkey: `02${(i + 1).toString(16).padStart(64, '0')}`, selfBond: BigInt(Math.floor(1_000 + rand() * 100_000)) * TOKEN, jailedUntilEpoch: i % 50 === 0 ? 10 : 0 });
}
const delegations = new Map<string, DelegationRecord>();
for (let j = 0; j < DELEGATORS; j++) {
  const signer = addr((j % SIGNERS) + 1);
  const delegator = addr(1_000_000 + j);
  delegations.set(delegationKey(signer, delegator), { signer, delegator, amount: BigInt(Math.floor(1 + rand() * 10_000)) * TOKEN });
}
const book: StakeBook = { signers, delegations, unbonding: [] };
const epochConfig = { firstHeight: 0, epochLengthBlocks: 144, maxSigners: 667, minSelfBond: 2_000n * TOKEN, thresholdBps: 6_667 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const epochTimes: number[] = [];
let set = selectEpochSet(epochConfig, book, 5);
for (let r = 0; r < ROUNDS + 1; r++) {
  const t0 = performance.now();
  set = selectEpochSet(epochConfig, book, 5);
  if (r > 0) epochTimes.push(performance.now() - t0);
}

const bySigner = new Map<string, { delegator: string; amount: bigint }[]>();
for (const d of delegations.values()) {
  const list = bySigner.get(d.signer) ?? [];
  list.push({ delegator: d.delegator, amount: d.amount });
  bySigner.set(d.signer, list);
}
const rewardSigners: RewardSigner[] = set.members.map((m, i) => ({ address: m.address, selfBond: m.selfBond, delegations: bySigner.get(m.address) ?? [], uptimeBps: 9_000 + (i % 1_001) }));
const paidDelegators = rewardSigners.reduce((n, s) => n + s.delegations.length, 0);
const rewardTimes: number[] = [];
let split = splitRewards({ bridgeFeesWei: 12_345_678_901_234_567n, gasFeesWei: 987_654_321_098_765n, carriedWei: 0n, commissionBps: 1_000, signers: rewardSigners });
for (let r = 0; r < ROUNDS + 1; r++) {
  const t0 = performance.now();
  split = splitRewards({ bridgeFeesWei: 12_345_678_901_234_567n, gasFeesWei: 987_654_321_098_765n, carriedWei: 0n, commissionBps: 1_000, signers: rewardSigners });
  if (r > 0) rewardTimes.push(performance.now() - t0);
}

// The same split over every signer and all 100,000 delegators (as if the whole book were the active set).
const allSigners: RewardSigner[] = [...signers.values()].map((s, i) => ({ address: s.address, selfBond: s.selfBond, delegations: bySigner.get(s.address) ?? [], uptimeBps: 9_000 + (i % 1_001) }));
const fullTimes: number[] = [];
for (let r = 0; r < ROUNDS + 1; r++) {
  const t0 = performance.now();
  splitRewards({ bridgeFeesWei: 12_345_678_901_234_567n, gasFeesWei: 987_654_321_098_765n, carriedWei: 0n, commissionBps: 1_000, signers: allSigners });
  if (r > 0) fullTimes.push(performance.now() - t0);
}

console.log(`book: ${SIGNERS} signers (${SIGNERS / 50} jailed), ${DELEGATORS} delegations; set: ${set.members.length} of ${SIGNERS}, threshold ${set.threshold}`);
console.log(`epoch set selection                        median ${median(epochTimes).toFixed(1).padStart(7)} ms  (min ${Math.min(...epochTimes).toFixed(1)}, ${ROUNDS} rounds)`);
console.log(`reward split (${set.members.length} signers, ${paidDelegators} delegators) median ${median(rewardTimes).toFixed(1).padStart(7)} ms  (min ${Math.min(...rewardTimes).toFixed(1)}, ${ROUNDS} rounds)`);
console.log(`reward split (${SIGNERS} signers, ${DELEGATORS} delegators) median ${median(fullTimes).toFixed(1).padStart(7)} ms  (min ${Math.min(...fullTimes).toFixed(1)}, ${ROUNDS} rounds)`);
console.log(`reward check: pot ${split.pot} wei, paid ${split.paid}, kept ${split.undistributed} (${split.payouts.size} addresses paid)`);
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
