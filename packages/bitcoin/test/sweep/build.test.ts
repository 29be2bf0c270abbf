import { schnorr } from '@noble/curves/secp256k1.js';
import { Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hashToHex } from '../../src/bytes.js';
import { decodeTransaction } from '../../src/tx/index.js';
import {
  SWEEP_SEQUENCE,
  SweepError,
  buildSweep,
  commitmentMatchesIds,
  finalizeSweep,
  outputWeight,
  parseSweepCommitment,
  sweepInputWeight,
  sweepSighashes,
  type SweepBuild,
  type SweepParams,
} from '../../src/sweep/index.js';
import { custody, custodyKeyPathSecret, depositFor, groupKey, groupSecret, leafDeposit, simpleDeposit, txidOf, withdrawal } from './fixtures.js';

const baseParams = (): SweepParams => ({
  custodyScriptPubKey: custody.scriptPubKey,
  custodyInput: { txid: txidOf(1), vout: 0, value: 5_000_000n },
  deposits: [leafDeposit(0), leafDeposit(1), simpleDeposit(2), leafDeposit(3)],
  withdrawals: [1, 2, 3, 4, 5, 9].map((id) => withdrawal(id)),
  fee: 3_000n,
});

/** Signs every input for real, as the signers will: key path with the tweaked key, leaves with the group key. */
function signAll(build: SweepBuild) {
  const sighashes = sweepSighashes(build);
  const sigs = sighashes.map((h, i) => schnorr.sign(h, build.inputKinds[i] === 'custody-key-path' ? custodyKeyPathSecret : groupSecret));
  return { sighashes, signed: finalizeSweep(build, sigs) };
}

/** Decodes with bitcoinjs-lib (independent decoder) and checks every field, the txid, weight and sighashes. */
function checkIndependently(build: SweepBuild, params: SweepParams) {
  const { sighashes, signed } = signAll(build);
  const btx = BitcoinjsTransaction.fromHex(signed.hex);
  expect(btx.version).toBe(2);
  expect(btx.locktime).toBe(0);
  expect(btx.getId()).toBe(build.txid);
  expect(signed.txid).toBe(build.txid);
  expect(btx.weight()).toBe(build.weight);
  expect(btx.virtualSize()).toBe(build.vsize);
  expect(signed.weight).toBe(build.weight);
  const inputs = [...(params.custodyInput ? [params.custodyInput] : []), ...params.deposits];
  expect(btx.ins.map((i) => [hashToHex(i.hash), i.index, i.sequence, i.script.length])).toEqual(inputs.map((i) => [i.txid, i.vout, SWEEP_SEQUENCE, 0]));
  expect(btx.outs).toHaveLength(2 + params.withdrawals.length);
  expect(bytesToHex(btx.outs[0]!.script)).toBe(bytesToHex(custody.scriptPubKey));
  expect(btx.outs[0]!.value).toBe(build.custodyValue);
  expect(btx.outs[1]!.value).toBe(0n);
  expect(commitmentMatchesIds(parseSweepCommitment(btx.outs[1]!.script), params.withdrawals.map((w) => w.id))).toBe(true);
  params.withdrawals.forEach((w, i) => {
    expect(bytesToHex(btx.outs[2 + i]!.script)).toBe(bytesToHex(w.scriptPubKey));
    expect(btx.outs[2 + i]!.value).toBe(w.amountSats - build.feeShares.withdrawals[i]!);
  });
  // Fee: inputs − outputs, from the independent decode.
  const inTotal = build.prevouts.reduce((a, p) => a + p.value, 0n);
  const outTotal = btx.outs.reduce((a, o) => a + o.value, 0n);
  expect(inTotal - outTotal).toBe(params.fee);
  const scripts = build.prevouts.map((p) => p.scriptPubKey);
  const values = build.prevouts.map((p) => p.value);
  build.inputSpends.forEach((s, i) => {
    const theirs = btx.hashForWitnessV1(i, scripts, values, BitcoinjsTransaction.SIGHASH_DEFAULT, s.leafHash);
    expect(bytesToHex(theirs)).toBe(bytesToHex(sighashes[i]!));
    const witness = btx.ins[i]!.witness;
    if (s.kind === 'custody-key-path') {
      expect(witness).toHaveLength(1);
      expect(schnorr.verify(witness[0]!, theirs, custody.outputKey)).toBe(true);
    } else {
      expect(witness.map((x) => bytesToHex(x))).toEqual([bytesToHex(witness[0]!), bytesToHex(s.leafScript!), bytesToHex(s.controlBlock!)]);
      // The deposit leaf names the untweaked group key, which signs.
      expect(schnorr.verify(witness[0]!, theirs, groupKey)).toBe(true);
    }
  });
  return { btx, signed };
}

describe('buildSweep', () => {
  it('lays out custody, deposits, custody change, commitment and payouts; bitcoinjs-lib agrees on every field', () => {
    const params = baseParams();
    const build = buildSweep(params);
    expect(build.inputKinds).toEqual(['custody-key-path', 'deposit-leaf', 'deposit-leaf', 'custody-key-path', 'deposit-leaf']);
    expect(build.custodyInputIndex).toBe(0);
    expect(build.withdrawalIds).toEqual([1n, 2n, 3n, 4n, 5n, 9n]);
    // The unsigned hex decodes to the same transaction with our own decoder too.
    expect(hashToHex(decodeTransaction(build.hex).txid)).toBe(build.txid);
    checkIndependently(build, params);
  });

  it('splits the fee by request weight and pays each withdrawal amount − share', () => {
    const params = baseParams();
    const build = buildSweep(params);
    const weights = [...params.deposits.map((d) => sweepInputWeight(d.kind)), ...params.withdrawals.map((w) => outputWeight(w.scriptPubKey))];
    const total = BigInt(weights.reduce((a, b) => a + b, 0));
    const expected = weights.map((w) => (BigInt(w) * params.fee + total - 1n) / total);
    expect([...build.feeShares.deposits, ...build.feeShares.withdrawals]).toEqual(expected);
    const shareSum = expected.reduce((a, b) => a + b, 0n);
    expect(shareSum >= params.fee).toBe(true);
    const inTotal = 5_000_000n + params.deposits.reduce((a, d) => a + d.value, 0n);
    const payoutTotal = params.withdrawals.reduce((a, w, i) => a + w.amountSats - build.feeShares.withdrawals[i]!, 0n);
    expect(build.custodyValue).toBe(inTotal - payoutTotal - params.fee);
    expect(build.feeRate).toBeCloseTo(3000 / build.vsize, 9);
  });

  it('builds the very first sweep without a custody input, and one with no withdrawals', () => {
    const first = { ...baseParams(), custodyInput: undefined, withdrawals: [] };
    const build = buildSweep(first);
    expect(build.custodyInputIndex).toBeNull();
    expect(build.inputKinds[0]).toBe('deposit-leaf');
    expect(parseSweepCommitment(build.tx.outputs[1]!.scriptPubKey).count).toBe(0);
    checkIndependently(build, first);
  });

  it('pays 100 withdrawals in one standard-size transaction with the ids recoverable from the commitment', () => {
    const ids = Array.from({ length: 100 }, (_, i) => 10n ** 70n + BigInt(i) * 7919n);
    const params: SweepParams = {
      ...baseParams(),
      deposits: Array.from({ length: 25 }, (_, i) => (i % 5 === 4 ? simpleDeposit(i) : leafDeposit(i))),
      withdrawals: ids.map((id, i) => ({ ...withdrawal(i), id })),
      fee: 20_000n,
    };
    const build = buildSweep(params);
    const { btx } = checkIndependently(build, params);
    expect(build.vsize).toBeLessThan(100_000);
    expect(btx.outs).toHaveLength(102);
    // Given the API's id list, anyone recomputes the commitment; a single changed or reordered id fails it.
    const commitment = parseSweepCommitment(btx.outs[1]!.script);
    expect(commitment.count).toBe(100);
    expect(commitmentMatchesIds(commitment, ids)).toBe(true);
    expect(commitmentMatchesIds(commitment, [...ids.slice(0, 99), ids[99]! + 1n])).toBe(false);
    expect(commitmentMatchesIds(commitment, [ids[1]!, ids[0]!, ...ids.slice(2)])).toBe(false);
    expect(commitmentMatchesIds(commitment, ids.slice(1))).toBe(false);
  });

  it('refuses every broken rule with a named SweepError', () => {
    const rule = (mutate: (p: SweepParams) => SweepParams): string => {
      try {
        buildSweep(mutate(baseParams()));
      } catch (e) {
        expect(e).toBeInstanceOf(SweepError);
        return (e as SweepError).rule;
      }
      return 'built';
    };
    expect(rule((p) => p)).toBe('built');
    expect(rule((p) => ({ ...p, withdrawals: [withdrawal(1, 60_000n, 1n)] }))).toBe('withdrawal-share-above-max-fee');
    expect(rule((p) => ({ ...p, withdrawals: [withdrawal(1, 700n)] }))).toBe('payout-below-dust');
    expect(rule((p) => ({ ...p, deposits: [leafDeposit(0, 200_000n, 10n)] }))).toBe('deposit-share-above-max-fee');
    expect(rule((p) => ({ ...p, deposits: [leafDeposit(0, 1_000n)] }))).toBe('deposit-remainder-below-minimum');
    expect(rule((p) => ({ ...p, custodyInput: { ...p.custodyInput!, value: 1_000n }, withdrawals: [withdrawal(1, 2_000_000n)] }))).toBe('custody-output-below-dust');
    expect(rule((p) => ({ ...p, withdrawals: [withdrawal(2), withdrawal(1)] }))).toBe('withdrawal-order');
    expect(rule((p) => ({ ...p, withdrawals: [withdrawal(2), withdrawal(2)] }))).toBe('withdrawal-order');
    expect(rule((p) => ({ ...p, deposits: [leafDeposit(0), leafDeposit(0)] }))).toBe('duplicate-input');
    expect(rule((p) => ({ ...p, withdrawals: [{ ...withdrawal(1), scriptPubKey: Uint8Array.of(0x6a, 1, 2) }] }))).toBe('payout-script');
    expect(rule((p) => ({ ...p, withdrawals: [{ ...withdrawal(1), scriptPubKey: custody.scriptPubKey }] }))).toBe('payout-script');
    expect(rule((p) => ({ ...p, deposits: [{ ...leafDeposit(0), controlBlock: depositFor(1).depositLeaf.controlBlock, leafScript: depositFor(1).depositLeaf.script }] }))).toBe('deposit-leaf');
    expect(rule((p) => ({ ...p, deposits: [{ ...leafDeposit(0), leafScript: undefined }] }))).toBe('deposit-leaf');
    expect(rule((p) => ({ ...p, deposits: [{ ...leafDeposit(0, 200_000n, 20_000n), maxFeeSats: 30_000n }] }))).toBe('deposit-max-fee');
    expect(rule((p) => ({ ...p, deposits: [{ ...leafDeposit(0), txid: 'zz' }] }))).toBe('txid');
    expect(rule((p) => ({ ...p, deposits: [{ ...leafDeposit(0), vout: -1 }] }))).toBe('vout');
    expect(rule((p) => ({ ...p, fee: -1n }))).toBe('amount');
    expect(rule((p) => ({ ...p, custodyInput: undefined, deposits: [] }))).toBe('no-inputs');
    expect(rule((p) => ({ ...p, withdrawals: Array.from({ length: 256 }, (_, i) => withdrawal(i)) }))).toBe('too-many-withdrawals');
    expect(rule((p) => ({ ...p, withdrawals: [{ ...withdrawal(1), id: -1n }] }))).toBe('withdrawal-id');
  });

  it('builds exactly when every share keeps its rules, and refuses otherwise (property)', () => {
    const request = fc.record({
      deposit: fc.boolean(),
      amount: fc.bigInt({ min: 400n, max: 50_000n }),
      maxFee: fc.bigInt({ min: 0n, max: 5_000n }),
      kind: fc.nat({ max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 12 }), fc.bigInt({ min: 0n, max: 20_000n }), (requests, fee) => {
        const deposits = requests.filter((r) => r.deposit).map((r, i) => (r.kind % 2 ? simpleDeposit(i, r.amount, r.maxFee) : leafDeposit(i, r.amount, r.maxFee)));
        const withdrawals = requests.filter((r) => !r.deposit).map((r, i) => withdrawal(i + 1, r.amount, r.maxFee));
        const params: SweepParams = { custodyScriptPubKey: custody.scriptPubKey, custodyInput: { txid: txidOf(1), vout: 0, value: 10_000_000n }, deposits, withdrawals, fee };
        // The rules, computed here independently of buildSweep.
        const weights = [...deposits.map((d) => (d.kind === 'deposit-leaf' ? 361 : 230)), ...withdrawals.map((w) => 4 * (9 + w.scriptPubKey.length))];
        const total = BigInt(weights.reduce((a, b) => a + b, 0));
        const shares = weights.map((w) => (BigInt(w) * fee + total - 1n) / total);
        const broken = [
          ...deposits.map((d, i) => shares[i]! > d.maxFeeSats || d.value - shares[i]! < 546n),
          ...withdrawals.map((w, i) => shares[deposits.length + i]! > w.maxFeeSats || w.amountSats - shares[deposits.length + i]! < 546n),
        ].some(Boolean);
        let build: SweepBuild | undefined;
        try {
          build = buildSweep(params);
        } catch (e) {
          expect(e).toBeInstanceOf(SweepError);
        }
        expect(build === undefined).toBe(broken);
        if (build) {
          expect([...build.feeShares.deposits, ...build.feeShares.withdrawals]).toEqual(shares);
          build.feeShares.withdrawals.forEach((s, i) => expect(s <= withdrawals[i]!.maxFeeSats).toBe(true));
          build.feeShares.deposits.forEach((s, i) => expect(s <= deposits[i]!.maxFeeSats && s <= deposits[i]!.value - 546n).toBe(true));
        }
      }),
      { numRuns: 200 },
    );
  });
});
