import { schnorr } from '@noble/curves/secp256k1.js';
import { Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToHash, sha256 } from '../../src/bytes.js';
import { encodeTransaction, transactionWeight, type Transaction, type TxOutput } from '../../src/tx/index.js';
import {
  SWEEP_BASE_WEIGHT,
  SWEEP_COMMITMENT_TAG,
  SWEEP_SEQUENCE,
  SweepError,
  outputWeight,
  parseSweepCommitment,
  splitFee,
  sweepCommitmentScript,
  sweepInputWeight,
  sweepWeight,
  withdrawalIdsDigest,
} from '../../src/sweep/index.js';
import { PAYOUT_KINDS, custody, depositFor, payoutScript, signSweep, txidOf, type SpendInfo } from './fixtures.js';

describe('sweep commitment', () => {
  it('is OP_RETURN <"TB" 0x01 count sha256(ids as u256 BE)> and parses back', () => {
    const ids = [1n, 2n, (1n << 256n) - 1n];
    const script = sweepCommitmentScript(ids);
    const preimage = '00'.repeat(31) + '01' + '00'.repeat(31) + '02' + 'ff'.repeat(32);
    const digest = bytesToHex(sha256(Buffer.from(preimage, 'hex')));
    expect(bytesToHex(script)).toBe('6a24' + bytesToHex(new TextEncoder().encode(SWEEP_COMMITMENT_TAG)) + '01' + '03' + digest);
    expect(bytesToHex(script).slice(4, 8)).toBe('5442');
    expect(bytesToHex(withdrawalIdsDigest(ids))).toBe(digest);
    const parsed = parseSweepCommitment(script);
    expect(parsed.count).toBe(3);
    expect(bytesToHex(parsed.digest)).toBe(digest);
  });

  it('is present with zero ids, fits 255 and refuses more, and refuses non-uint256 ids', () => {
    expect(parseSweepCommitment(sweepCommitmentScript([])).count).toBe(0);
    expect(parseSweepCommitment(sweepCommitmentScript(Array.from({ length: 255 }, (_, i) => BigInt(i)))).count).toBe(255);
    expect(() => sweepCommitmentScript(Array.from({ length: 256 }, (_, i) => BigInt(i)))).toThrow(/one-byte count/);
    expect(() => sweepCommitmentScript([-1n])).toThrow(SweepError);
    expect(() => sweepCommitmentScript([1n << 256n])).toThrow(/not a uint256/);
  });

  it('refuses anything but a well-formed version-1 commitment, naming what is wrong', () => {
    const good = sweepCommitmentScript([7n]);
    const bad = (mutate: (s: Uint8Array) => Uint8Array) => () => parseSweepCommitment(mutate(Uint8Array.from(good)));
    expect(bad((s) => ((s[0] = 0x51), s))).toThrow(/start with OP_RETURN/);
    expect(bad((s) => s.subarray(0, 37))).toThrow(/36-byte push/);
    expect(bad((s) => ((s[1] = 0x4c), s))).toThrow(/36-byte push/);
    expect(bad((s) => ((s[2] = 0x55), s))).toThrow(/"TB"/);
    expect(bad((s) => ((s[4] = 2), s))).toThrow(/version 2 is not 1/);
  });
});

describe('sweep weights', () => {
  it('has the weights of each kind written out', () => {
    // 41 non-witness bytes per input (164 WU); key path witness 1 + 65; leaf witness 1 + 65 + 65 + 66.
    expect(sweepInputWeight('custody-key-path')).toBe(230);
    expect(sweepInputWeight('deposit-leaf')).toBe(361);
    expect(SWEEP_BASE_WEIGHT).toBe(42);
    const w = Object.fromEntries(PAYOUT_KINDS.map((k) => [k, outputWeight(payoutScript(k))]));
    expect(w).toEqual({ p2pkh: 136, p2sh: 128, p2wpkh: 124, p2wsh: 172, p2tr: 172 });
    expect(outputWeight(custody.scriptPubKey)).toBe(172);
    expect(outputWeight(sweepCommitmentScript([1n]))).toBe(4 * (8 + 1 + 38));
  });

  // Transactions laid out as sweeps and signed for real; the formula must equal the serialized weight.
  const shapes = fc.record({
    custodyInput: fc.boolean(),
    deposits: fc.array(fc.nat({ max: 1 }), { minLength: 0, maxLength: 6 }),
    payouts: fc.array(fc.nat({ max: 4 }), { minLength: 0, maxLength: 8 }),
  });

  it('equals the weight of the signed, serialized transaction for every input and output kind (and bitcoinjs-lib agrees)', () => {
    fc.assert(
      fc.property(shapes, ({ custodyInput, deposits, payouts }) => {
        if (!custodyInput && deposits.length === 0) return;
        const spends: SpendInfo[] = [];
        const prevouts: TxOutput[] = [];
        const inputs: Transaction['inputs'] = [];
        const addInput = (n: number, spend: SpendInfo, scriptPubKey: Uint8Array) => {
          inputs.push({ prevout: { txid: hexToHash(txidOf(n)), vout: n % 3 }, scriptSig: new Uint8Array(0), sequence: SWEEP_SEQUENCE, witness: [] });
          prevouts.push({ value: 100_000n + BigInt(n), scriptPubKey });
          spends.push(spend);
        };
        if (custodyInput) addInput(0, { kind: 'custody-key-path' }, custody.scriptPubKey);
        deposits.forEach((k, i) => {
          if (k === 0) addInput(i + 1, { kind: 'custody-key-path' }, custody.scriptPubKey);
          else {
            const d = depositFor(i);
            addInput(i + 1, { kind: 'deposit-leaf', leafScript: d.depositLeaf.script, controlBlock: d.depositLeaf.controlBlock, leafHash: d.depositLeaf.leafHash }, d.scriptPubKey);
          }
        });
        const ids = payouts.map((_, i) => BigInt(i + 1));
        const payoutScripts = payouts.map((k, i) => payoutScript(PAYOUT_KINDS[k]!, i));
        const tx: Transaction = {
          version: 2,
          inputs,
          outputs: [
            { value: 50_000n, scriptPubKey: custody.scriptPubKey },
            { value: 0n, scriptPubKey: sweepCommitmentScript(ids) },
            ...payoutScripts.map((scriptPubKey) => ({ value: 1_000n, scriptPubKey })),
          ],
          locktime: 0,
        };
        const { signed, sighashes } = signSweep(tx, prevouts, spends);
        const predicted = sweepWeight({
          custodyScriptPubKey: custody.scriptPubKey,
          custodyInput: custodyInput ? {} : undefined,
          deposits: spends.slice(custodyInput ? 1 : 0),
          withdrawals: payoutScripts.map((scriptPubKey) => ({ scriptPubKey })),
        });
        expect(predicted).toBe(transactionWeight(signed));
        const btx = BitcoinjsTransaction.fromBuffer(encodeTransaction(signed));
        expect(btx.weight()).toBe(predicted);
        expect(btx.virtualSize()).toBe(Math.ceil(predicted / 4));
        // Signatures verify against bitcoinjs-lib's own BIP341 sighashes.
        const scripts = prevouts.map((p) => p.scriptPubKey);
        const values = prevouts.map((p) => p.value);
        spends.forEach((s, i) => {
          const theirs = btx.hashForWitnessV1(i, scripts, values, 0, s.leafHash);
          expect(bytesToHex(theirs)).toBe(bytesToHex(sighashes[i]!));
          const key = s.kind === 'custody-key-path' ? custody.outputKey : s.leafScript!.subarray(31, 63);
          expect(schnorr.verify(btx.ins[i]!.witness[0]!, theirs, key)).toBe(true);
        });
      }),
      { numRuns: 40 },
    );
  });

  it('uses 3-byte counts from 253 outputs on', () => {
    const withdrawals = Array.from({ length: 251 }, (_, i) => ({ scriptPubKey: payoutScript('p2wpkh', i) }));
    const base = { custodyScriptPubKey: custody.scriptPubKey, custodyInput: {}, deposits: [] };
    // 2 + 251 = 253 outputs: the count takes 3 bytes, 8 WU more than 252 outputs would need for it.
    expect(sweepWeight({ ...base, withdrawals }) - sweepWeight({ ...base, withdrawals: withdrawals.slice(1) })).toBe(124 + 8);
  });
});

describe('splitFee', () => {
  it('gives each request ceil(w_i × fee / Σw)', () => {
    // 361000/657 = 549.5, 124000/657 = 188.7, 172000/657 = 261.8, each rounded up.
    expect(splitFee([361, 124, 172], 1000n)).toEqual([550n, 189n, 262n]);
    expect(splitFee([1, 1, 1], 10n)).toEqual([4n, 4n, 4n]);
    expect(splitFee([5], 0n)).toEqual([0n]);
    expect(splitFee([], 0n)).toEqual([]);
  });

  it('refuses bad weights and fees', () => {
    expect(() => splitFee([0], 1n)).toThrow(SweepError);
    expect(() => splitFee([1.5], 1n)).toThrow(/positive integer/);
    expect(() => splitFee([1], -1n)).toThrow(/non-negative/);
    expect(() => splitFee([], 1n)).toThrow(/zero requests/);
  });

  it('covers the fee, and no share exceeds its exact part by a sat or more (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400_000 }), { minLength: 1, maxLength: 130 }), fc.bigInt({ min: 0n, max: 10n ** 9n }), (ws, fee) => {
        const shares = splitFee(ws, fee);
        const total = ws.reduce((a, b) => a + BigInt(b), 0n);
        expect(shares.reduce((a, b) => a + b, 0n) >= fee).toBe(true);
        // Rounding excess is below one sat per request.
        expect(shares.reduce((a, b) => a + b, 0n) - fee < BigInt(ws.length)).toBe(true);
        shares.forEach((s, i) => {
          const exactTimesTotal = BigInt(ws[i]!) * fee;
          expect(s * total >= exactTimesTotal).toBe(true);
          expect((s - 1n) * total < exactTimesTotal).toBe(true);
        });
      }),
    );
  });
});
