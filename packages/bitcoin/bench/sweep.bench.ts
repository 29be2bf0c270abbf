// Sweep/payout package of 25 deposits (20 deposit-leaf, 5 simple-form) and 100 withdrawals (all five payout
// kinds), as the coordinator plans and builds it and as one signer checks it. Prints the machine first.
//   plan      planSweep from 25 deposit + 100 withdrawal candidates at 7.5 sat/vB: validation of each candidate
//             (for a deposit leaf: parse + BIP341 commitment check, one EC tweak), sort, weights, fee split until
//             stable, and the final buildSweep (which checks the deposit leaves again);
//   build     buildSweep alone from the planned params (leaf checks, fee split, tx, txid);
//   sighashes the 126 BIP341 SIGHASH_DEFAULT sighashes (shared digests once, then one per input);
//   classify  classifySweep of the unsigned tx with the signer's registered leaves (decode-free: the tx object),
//             i.e. the layout checks + 20 leaf commitment checks + weights + fee split a signer's policy starts from;
//   classify signed   the same from the signed transaction's hex (decode + leaves from the witnesses);
//   psbt      sweepPsbt export (bitcoinjs-lib Psbt, base64).
// Signing itself (FROST/ROAST) is not included. Median and best of ROUNDS, in milliseconds. Each step runs cold
// (the deposit-leaf commitment memo emptied before every round: a first look at new deposits) and warm (memo
// filled: a replan, an RBF version, or a signer's second check before its partial signature).
import os from 'node:os';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, sha256 } from '../src/bytes.js';
import { custodyAddress, depositAddress, witnessScript, p2pkhScript, p2shScript } from '../src/scripts/index.js';
import { taprootTweakSecretKey } from '../src/taproot/index.js';
import {
  buildSweep,
  classifySweep,
  clearLeafCommitmentCache,
  finalizeSweep,
  planSweep,
  sweepPsbt,
  sweepSighashes,
  type SweepDepositCandidate,
  type SweepWithdrawal,
} from '../src/sweep/index.js';

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}`);
const ROUNDS = 30;

const groupSecret = hexToBytes('6b'.repeat(31) + '01');
const groupKey = schnorr.getPublicKey(groupSecret);
const backup = [2, 3, 4].map((i) => schnorr.getPublicKey(hexToBytes('00'.repeat(31) + i.toString(16).padStart(2, '0'))));
const custody = custodyAddress({ network: 'regtest', groupKey, recovery: { recoveryLock: 4320, keys: backup, threshold: 2 } });
const reclaimKey = schnorr.getPublicKey(hexToBytes('00'.repeat(31) + '05'));
const txid = (s: string) => bytesToHex(sha256(new TextEncoder().encode(s)));

const deposits: SweepDepositCandidate[] = Array.from({ length: 25 }, (_, i) => {
  const base = { txid: txid(`deposit-${i}`), vout: i % 3, value: 250_000n + BigInt(i) * 1_000n, maxFeeSats: 20_000n, confirmationHeight: 800_000 + i };
  if (i % 5 === 4) return { ...base, kind: 'custody-key-path', scriptPubKey: custody.scriptPubKey };
  const recipient = '0x' + bytesToHex(sha256(Uint8Array.of(i))).slice(0, 40);
  const d = depositAddress({ network: 'regtest', groupKey, recipient, maxFee: 20_000n, reclaimKey, lockBlocks: 144 });
  return { ...base, kind: 'deposit-leaf', scriptPubKey: d.scriptPubKey, leafScript: d.depositLeaf.script, controlBlock: d.depositLeaf.controlBlock, reclaimLockBlocks: 144 };
});
const payout = (i: number): Uint8Array => {
  const h = sha256(Uint8Array.of(9, i));
  switch (i % 5) {
    case 0:
      return p2pkhScript(h.subarray(0, 20));
    case 1:
      return p2shScript(h.subarray(0, 20));
    case 2:
      return witnessScript(0, h.subarray(0, 20));
    case 3:
      return witnessScript(0, h);
    default:
      return witnessScript(1, schnorr.getPublicKey(h));
  }
};
const withdrawals: SweepWithdrawal[] = Array.from({ length: 100 }, (_, i) => ({ id: 10n ** 40n + BigInt(i), scriptPubKey: payout(i), amountSats: 80_000n, maxFeeSats: 5_000n }));
const planParams = {
  custodyScriptPubKey: custody.scriptPubKey,
  custodyInput: { txid: txid('custody'), vout: 0, value: 100_000_000n },
  deposits,
  withdrawals,
  feeRateSatPerVb: 7.5,
  tipHeight: 800_030,
};

const plan = planSweep(planParams);
const build = plan.build!;
if (plan.included.deposits.length !== 25 || plan.included.withdrawals.length !== 100) throw new Error(`plan packed ${plan.included.deposits.length}/${plan.included.withdrawals.length}`);
const custodySecret = taprootTweakSecretKey(groupSecret, custody.merkleRoot);
const sigs = sweepSighashes(build).map((h, i) => schnorr.sign(h, build.inputKinds[i] === 'custody-key-path' ? custodySecret : groupSecret));
const signed = finalizeSweep(build, sigs);
const leaves = build.inputSpends.map((s) => (s.kind === 'deposit-leaf' ? { leafScript: s.leafScript!, controlBlock: s.controlBlock! } : undefined));
console.log(`package: ${build.tx.inputs.length} inputs, ${build.tx.outputs.length} outputs, ${build.vsize} vB (weight ${build.weight}), fee ${build.fee} sat; signed tx ${signed.hex.length / 2} bytes`);

const cases: [string, () => unknown][] = [
  ['plan (incl. build)', () => planSweep(planParams)],
  ['build', () => buildSweep(plan.params!)],
  ['sighashes (126)', () => sweepSighashes(build)],
  ['classify unsigned', () => classifySweep(build.tx, build.prevouts, custody.scriptPubKey, { custodyOutpoint: planParams.custodyInput, depositLeaves: leaves })],
  ['classify signed hex', () => classifySweep(signed.hex, build.prevouts, custody.scriptPubKey, { custodyOutpoint: planParams.custodyInput })],
  ['psbt export', () => sweepPsbt(build, { custodyInternalKey: groupKey, custodyMerkleRoot: custody.merkleRoot })],
];
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
const time = (fn: () => unknown, cold: boolean): number[] => {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (cold) clearLeafCommitmentCache();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
};
console.log(`\n${ROUNDS} rounds after 3 warm-up runs; ms`);
console.log('step                    cold median   best | warm median   best');
const totals = { coordinator: [0, 0], signer: [0, 0] };
for (const [name, fn] of cases) {
  const cold = time(fn, true);
  const warm = time(fn, false);
  const m = [median(cold), median(warm)] as const;
  if (name.startsWith('plan') || name.startsWith('sighashes')) m.forEach((v, k) => (totals.coordinator[k]! += v));
  if (name === 'classify unsigned' || name.startsWith('sighashes')) m.forEach((v, k) => (totals.signer[k]! += v));
  console.log(
    `${name.padEnd(22)} ${m[0].toFixed(2).padStart(11)} ${Math.min(...cold).toFixed(2).padStart(6)} | ${m[1].toFixed(2).padStart(11)} ${Math.min(...warm).toFixed(2).padStart(6)}`,
  );
}
const f = (xs: number[]) => `${xs[0]!.toFixed(1)} ms cold, ${xs[1]!.toFixed(1)} ms warm`;
console.log(`\ncoordinator (plan + sighashes): ${f(totals.coordinator)}; one signer (classify + its own sighashes): ${f(totals.signer)} (medians summed)`);
