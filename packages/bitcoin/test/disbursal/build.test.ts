import { schnorr } from '@noble/curves/secp256k1.js';
import { Psbt, Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../../../testing/src/fuzz.js';
import { bytesToHex, hashToHex, sha256 } from '../../src/bytes.js';
import {
  DISBURSAL_MAX_TX_WEIGHT,
  DISBURSAL_SEQUENCE,
  DisbursalError,
  buildDisbursal,
  disbursalExcessScript,
  disbursalPsbts,
  disbursalSighashes,
  disbursalTransactions,
  finalizeDisbursal,
  type DisbursalAccount,
  type DisbursalBuild,
  type DisbursalParams,
} from '../../src/disbursal/index.js';
import { custody, custodyKeyPathSecret, groupKey, PAYOUT_KINDS, payoutScript, txidOf } from './../sweep/fixtures.js';

const recovery = { recoveryLock: 4320, keys: [groupKey], threshold: 1 };
const excessScript = disbursalExcessScript(recovery);
const accountOf = (i: number): string => `0x${bytesToHex(sha256(Uint8Array.of(9, i & 0xff, i >> 8))).slice(0, 40)}`;
const account = (i: number, balanceSats: bigint): DisbursalAccount => ({ account: accountOf(i), balanceSats, scriptPubKey: payoutScript(PAYOUT_KINDS[i % 5]!, i) });

const base = (over: Partial<DisbursalParams> = {}): DisbursalParams => ({
  custody: { txid: txidOf(7), vout: 0, value: 10_000_000n, scriptPubKey: custody.scriptPubKey },
  liabilitySats: 9_000_000n,
  accounts: Array.from({ length: 10 }, (_, i) => account(i, BigInt(100_000 * (i + 1)))),
  excessScriptPubKey: excessScript,
  lockHeight: 900_123,
  feeRate: 5,
  ...over,
});

/** The invariants every disbursal keeps, checked against an independent decoder (bitcoinjs-lib) after real signing. */
function checkInvariants(build: DisbursalBuild, p: DisbursalParams): void {
  const C = p.custody.value;
  const txs = disbursalTransactions(build);
  const sighashes = disbursalSighashes(build);
  const signed = finalizeDisbursal(build, sighashes.map((h) => schnorr.sign(h, custodyKeyPathSecret)));
  const paid = build.payouts.reduce((s, x) => s + x.amountSats, 0n);
  // Conservation: custody = payouts + excess + fees, exactly.
  expect(paid + build.excessSats + build.totalFee).toBe(C);
  expect(build.totalFee).toBe(txs.reduce((s, t) => s + t.fee, 0n));
  signed.forEach((s, i) => {
    const t = txs[i]!;
    const btx = BitcoinjsTransaction.fromHex(s.hex);
    expect(btx.getId()).toBe(t.txid);
    expect(s.txid).toBe(t.txid);
    // Exact vsize accounting: the signed transaction weighs what the builder said, and pays at least rate × vsize.
    expect(btx.weight()).toBe(t.weight);
    expect(btx.virtualSize()).toBe(t.vsize);
    expect(t.weight).toBeLessThanOrEqual(p.maxTxWeight ?? DISBURSAL_MAX_TX_WEIGHT);
    expect(t.fee).toBeGreaterThanOrEqual(BigInt(t.vsize * p.feeRate));
    expect(btx.locktime).toBe(p.lockHeight);
    expect(btx.ins).toHaveLength(1);
    expect(btx.ins[0]!.sequence).toBe(DISBURSAL_SEQUENCE);
    const theirs = btx.hashForWitnessV1(0, [t.prevout.scriptPubKey], [t.prevout.value], BitcoinjsTransaction.SIGHASH_DEFAULT);
    expect(bytesToHex(theirs)).toBe(bytesToHex(sighashes[i]!));
    expect(schnorr.verify(btx.ins[0]!.witness[0]!, theirs, custody.outputKey)).toBe(true);
    for (const o of btx.outs) expect(o.value).toBeGreaterThanOrEqual(546n);
  });
  // The intermediate spends custody; final k spends intermediate output k, which pays the custody script.
  expect(hashToHex(build.intermediate.tx.inputs[0]!.prevout.txid)).toBe(p.custody.txid);
  build.finals.forEach((f, k) => {
    expect(hashToHex(f.tx.inputs[0]!.prevout.txid)).toBe(build.intermediate.txid);
    expect(f.tx.inputs[0]!.prevout.vout).toBe(k);
    expect(bytesToHex(build.intermediate.tx.outputs[k]!.scriptPubKey)).toBe(bytesToHex(p.custody.scriptPubKey));
  });
  const excessOutputs = build.intermediate.tx.outputs.length - build.finals.length;
  expect(excessOutputs).toBe(build.excessSats > 0n ? 1 : 0);
  if (build.excessSats > 0n) expect(bytesToHex(build.intermediate.tx.outputs.at(-1)!.scriptPubKey)).toBe(bytesToHex(p.excessScriptPubKey));
  // Nobody is paid more than their pro rata share, and the share is balance × min(1, C / L).
  const everyone = new Map(p.accounts.map((a) => [a.account, a]));
  for (const x of build.payouts) {
    const a = everyone.get(x.account)!;
    expect(x.shareSats * p.liabilitySats).toBeLessThanOrEqual(a.balanceSats * (C < p.liabilitySats ? C : p.liabilitySats));
    expect(x.shareSats).toBeLessThanOrEqual(a.balanceSats);
    expect(x.amountSats).toBe(x.shareSats - x.feeShareSats);
    expect(x.feeShareSats).toBeGreaterThanOrEqual(0n);
    const out = build.finals[x.batch]!.tx.outputs[x.vout]!;
    expect(out.value).toBe(x.amountSats);
    expect(bytesToHex(out.scriptPubKey)).toBe(bytesToHex(a.scriptPubKey));
  }
  // Every account is either paid or skipped, once.
  const named = [...build.payouts.map((x) => x.account), ...build.skipped.map((x) => x.account)].sort();
  expect(named).toEqual([...everyone.keys()].sort());
  // Fees are the only loss: the fee shares cover the fees within one sat per output of rounding.
  const feeShares = build.payouts.reduce((s, x) => s + x.feeShareSats, 0n);
  expect(feeShares).toBeLessThanOrEqual(build.totalFee + BigInt(build.payouts.length + 1));
}

describe('buildDisbursal', () => {
  it('pays every registered account its balance when custody covers the liability, the rest to the recovery keys', () => {
    const p = base();
    const build = buildDisbursal(p);
    checkInvariants(build, p);
    expect(build.finals).toHaveLength(1);
    expect(build.payouts).toHaveLength(10);
    for (const x of build.payouts) expect(x.shareSats).toBe(x.balanceSats);
    // Registered balances total 5.5 M; custody 10 M: 4.5 M less its fee share goes to the recovery keys.
    expect(build.excessSats).toBeGreaterThan(4_490_000n);
    expect(build.excessSats).toBeLessThan(4_500_000n);
    // Payouts are in account order.
    expect(build.payouts.map((x) => x.account)).toEqual([...build.payouts.map((x) => x.account)].sort());
  });

  it('shrinks every share by custody / liability when custody holds less than the bridge owes', () => {
    const p = base({ liabilitySats: 20_000_000n });
    const build = buildDisbursal(p);
    checkInvariants(build, p);
    for (const x of build.payouts) expect(x.shareSats).toBe((x.balanceSats * 10_000_000n) / 20_000_000n);
  });

  it('skips accounts whose share, or payout after fees, is dust', () => {
    const p = base({ accounts: [account(1, 500n), account(2, 700n), account(3, 1_000_000n)], feeRate: 2 });
    const build = buildDisbursal(p);
    checkInvariants(build, p);
    expect(build.skipped.map((s) => [s.account, s.reason])).toEqual(
      [
        [accountOf(1), 'share-below-dust'],
        [accountOf(2), 'payout-below-dust'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    expect(build.payouts.map((x) => x.account)).toEqual([accountOf(3)]);
  });

  it('splits into several final transactions, each under the weight limit', () => {
    const p = base({ accounts: Array.from({ length: 40 }, (_, i) => account(i, 50_000n + BigInt(i))), maxTxWeight: 2_000 });
    const build = buildDisbursal(p);
    checkInvariants(build, p);
    expect(build.finals.length).toBeGreaterThan(3);
    expect(build.payouts).toHaveLength(40);
  });

  it('gives everything to the recovery keys when no account registered', () => {
    const p = base({ accounts: [] });
    const build = buildDisbursal(p);
    checkInvariants(build, p);
    expect(build.finals).toHaveLength(0);
    expect(build.excessSats).toBe(10_000_000n - build.totalFee);
  });

  it('is deterministic whatever order the accounts come in', () => {
    const p = base();
    const a = buildDisbursal(p);
    const b = buildDisbursal({ ...p, accounts: [...p.accounts].reverse() });
    expect(disbursalTransactions(b).map((t) => t.hex)).toEqual(disbursalTransactions(a).map((t) => t.hex));
  });

  it('gives a PSBT view of every transaction with the custody key-path fields', () => {
    const build = buildDisbursal(base({ maxTxWeight: 3_000 }));
    const psbts = disbursalPsbts(build, { internalKey: custody.internalKey, merkleRoot: custody.merkleRoot });
    expect(psbts).toHaveLength(1 + build.finals.length);
    psbts.forEach((b64, i) => {
      const psbt = Psbt.fromBase64(b64);
      const t = disbursalTransactions(build)[i]!;
      expect(psbt.locktime).toBe(900_123);
      expect(bytesToHex(psbt.data.inputs[0]!.tapInternalKey!)).toBe(bytesToHex(custody.internalKey));
      expect(psbt.data.inputs[0]!.witnessUtxo!.value).toBe(t.prevout.value);
      expect(psbt.txOutputs.map((o) => o.value)).toEqual(t.tx.outputs.map((o) => o.value));
    });
  });

  it('refuses inconsistent or unsafe inputs, naming the rule', () => {
    const rule = (p: DisbursalParams): string => {
      try {
        buildDisbursal(p);
        return 'built';
      } catch (e) {
        expect(e).toBeInstanceOf(DisbursalError);
        return (e as DisbursalError).rule;
      }
    };
    expect(rule(base({ liabilitySats: 1_000n }))).toBe('liability');
    expect(rule(base({ accounts: [{ ...account(1, 1_000n), scriptPubKey: Uint8Array.of(0x6a, 1, 2) }] }))).toBe('recovery-script');
    expect(rule(base({ accounts: [{ ...account(1, 1_000n), scriptPubKey: custody.scriptPubKey }] }))).toBe('recovery-script');
    expect(rule(base({ accounts: [account(1, 1_000n), account(1, 2_000n)] }))).toBe('duplicate-account');
    expect(rule(base({ lockHeight: 500_000_000 }))).toBe('lock-height');
    expect(rule(base({ feeRate: 0 }))).toBe('fee-rate');
    expect(rule(base({ maxTxWeight: 400_000 }))).toBe('max-weight');
    expect(rule(base({ custody: { txid: txidOf(1), vout: 0, value: 300n, scriptPubKey: custody.scriptPubKey }, accounts: [] }))).toBe('custody-below-fee');
  });

  it('keeps its invariants for any accounts, balances, custody, fee rate and batch size (property)', () => {
    const arb = fc.record({
      balances: fc.array(fc.bigInt({ min: 0n, max: 3_000_000n }), { maxLength: 40 }),
      unregistered: fc.bigInt({ min: 0n, max: 5_000_000n }),
      custodyValue: fc.bigInt({ min: 50_000n, max: 100_000_000n }),
      feeRate: fc.integer({ min: 1, max: 60 }),
      maxTxWeight: fc.integer({ min: 1_200, max: 20_000 }),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const accounts = r.balances.map((b, i) => account(i, b));
        const p = base({
          accounts,
          liabilitySats: accounts.reduce((s, a) => s + a.balanceSats, 0n) + r.unregistered,
          custody: { txid: txidOf(3), vout: 1, value: r.custodyValue, scriptPubKey: custody.scriptPubKey },
          feeRate: r.feeRate,
          maxTxWeight: r.maxTxWeight,
        });
        let build: DisbursalBuild;
        try {
          build = buildDisbursal(p);
        } catch (e) {
          // Only a custody too small to pay even the fee may refuse.
          expect((e as DisbursalError).rule).toBe('custody-below-fee');
          return;
        }
        checkInvariants(build, p);
      }),
      fuzzParams(40),
    );
  }, FUZZ_TIMEOUT_MS);
});
