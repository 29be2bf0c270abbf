import { schnorr } from '@noble/curves/secp256k1.js';
import { Psbt } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes.js';
import { custodyAddress } from '../../src/scripts/index.js';
import { taprootTweakSecretKey } from '../../src/taproot/index.js';
import { decodeTransaction, encodeTransaction, type Transaction, type TxOutput } from '../../src/tx/index.js';
import {
  SweepLayoutError,
  buildSweep,
  classifySweep,
  commitmentMatchesIds,
  finalizeSweep,
  sweepCommitmentScript,
  sweepPsbt,
  sweepSighashes,
  type ClassifySweepOptions,
  type SweepBuild,
  type SweepParams,
} from '../../src/sweep/index.js';
import { custody, custodyKeyPathSecret, depositFor, groupKey, groupSecret, leafDeposit, payoutScript, simpleDeposit, txidOf, withdrawal } from './fixtures.js';

const params: SweepParams = {
  custodyScriptPubKey: custody.scriptPubKey,
  custodyInput: { txid: txidOf(1), vout: 0, value: 5_000_000n },
  deposits: [leafDeposit(0), simpleDeposit(1), leafDeposit(2)],
  withdrawals: [3, 4, 8, 10, 11].map((id) => withdrawal(id)),
  fee: 2_500n,
};
const build = buildSweep(params);
const sign = (b: SweepBuild) =>
  finalizeSweep(
    b,
    sweepSighashes(b).map((h, i) => schnorr.sign(h, b.inputKinds[i] === 'custody-key-path' ? custodyKeyPathSecret : groupSecret)),
  );
const signed = sign(build);
const leaves = build.inputSpends.map((s) => (s.kind === 'deposit-leaf' ? { leafScript: s.leafScript!, controlBlock: s.controlBlock! } : undefined));
const custodyOutpoint = { txid: txidOf(1), vout: 0 };

const ruleOf = (tx: Transaction | Uint8Array | string, prevouts: readonly TxOutput[] = build.prevouts, options: ClassifySweepOptions = { depositLeaves: leaves }): string => {
  try {
    classifySweep(tx, prevouts, custody.scriptPubKey, options);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(SweepLayoutError);
    return (e as SweepLayoutError).rule;
  }
};
const clone = (tx: Transaction): Transaction => decodeTransaction(encodeTransaction(tx));

describe('classifySweep', () => {
  it('decodes the unsigned sweep (with the registered leaves) into what buildSweep made', () => {
    const view = classifySweep(build.tx, build.prevouts, custody.scriptPubKey, { custodyOutpoint, depositLeaves: leaves });
    expect(view.txid).toBe(build.txid);
    expect(view.signed).toBe(false);
    expect(view.custodyInputIndex).toBe(0);
    expect(view.custodyInput?.value).toBe(5_000_000n);
    expect(view.deposits.map((d) => [d.inputIndex, d.txid, d.vout, d.kind])).toEqual(params.deposits.map((d, i) => [i + 1, d.txid, d.vout, d.kind]));
    expect(view.deposits.map((d) => (d.leafHash ? bytesToHex(d.leafHash) : undefined))).toEqual(build.inputSpends.slice(1).map((s) => (s.leafHash ? bytesToHex(s.leafHash) : undefined)));
    expect(view.deposits[0]!.depositLeaf?.maxFee).toBe(20_000n);
    expect(view.custodyOutput.value).toBe(build.custodyValue);
    expect(commitmentMatchesIds(view.commitment, params.withdrawals.map((w) => w.id))).toBe(true);
    expect(view.payouts.map((p) => [p.vout, bytesToHex(p.scriptPubKey), p.value])).toEqual(
      params.withdrawals.map((w, i) => [i + 2, bytesToHex(w.scriptPubKey), w.amountSats - build.feeShares.withdrawals[i]!]),
    );
    expect(view.fee).toBe(2_500n);
    expect(view.weight).toBe(build.weight);
    expect(view.vsize).toBe(build.vsize);
    expect(view.feeRate).toBeCloseTo(build.feeRate, 12);
    expect(view.feeShares).toEqual({ deposits: build.feeShares.deposits, payouts: build.feeShares.withdrawals });
  });

  it('reads the signed transaction from its bytes alone, leaves from the witnesses, with the real weight', () => {
    const view = classifySweep(signed.hex, build.prevouts, custody.scriptPubKey);
    expect(view.signed).toBe(true);
    expect(view.weight).toBe(signed.weight);
    expect(view.deposits.map((d) => d.kind)).toEqual(['deposit-leaf', 'custody-key-path', 'deposit-leaf']);
    expect(bytesToHex(view.deposits[2]!.leafHash!)).toBe(bytesToHex(build.inputSpends[3]!.leafHash!));
  });

  it('handles the first sweep (no custody input) and a sweep without withdrawals', () => {
    const first = buildSweep({ ...params, custodyInput: undefined, withdrawals: [] });
    const view = classifySweep(sign(first).hex, first.prevouts, custody.scriptPubKey, { custodyOutpoint: null });
    expect(view.custodyInputIndex).toBeNull();
    expect(view.deposits).toHaveLength(3);
    expect(view.payouts).toEqual([]);
    expect(view.commitment.count).toBe(0);
  });

  it('names the first layout rule broken', () => {
    const mutate = (f: (tx: Transaction) => void) => {
      const tx = clone(signed.tx);
      f(tx);
      return tx;
    };
    expect(ruleOf(signed.tx)).toBe('ok');
    expect(ruleOf('00')).toBe('decode');
    expect(ruleOf(signed.tx, build.prevouts.slice(1))).toBe('prevouts');
    expect(ruleOf(mutate((t) => (t.version = 1)))).toBe('version');
    expect(ruleOf(mutate((t) => (t.locktime = 5)))).toBe('locktime');
    expect(ruleOf(mutate((t) => (t.inputs[2]!.sequence = 0xffffffff)))).toBe('sequence');
    expect(ruleOf(mutate((t) => (t.inputs[1]!.scriptSig = Uint8Array.of(0x51))))).toBe('script-sig');
    expect(ruleOf(mutate((t) => (t.inputs[2]!.prevout = t.inputs[1]!.prevout)))).toBe('duplicate-input');
    expect(ruleOf(signed.tx, build.prevouts, { custodyOutpoint: { txid: txidOf(2), vout: 0 } })).toBe('custody-input');
    expect(ruleOf(mutate((t) => (t.inputs[0]!.witness = [Uint8Array.of(...t.inputs[0]!.witness[0]!, 1)])))).toBe('sighash-type');
    expect(ruleOf(mutate((t) => (t.inputs[0]!.witness = [t.inputs[0]!.witness[0]!, Uint8Array.of(0x50)])))).toBe('witness');
    expect(ruleOf(mutate((t) => (t.inputs[1]!.witness = [])))).toBe('witness');
    // A deposit spent through another leaf (the reclaim leaf), or one not committed to by the output.
    const d0 = depositFor(0);
    expect(ruleOf(mutate((t) => (t.inputs[1]!.witness = [t.inputs[1]!.witness[0]!, d0.reclaimLeaf.script, d0.reclaimLeaf.controlBlock])), build.prevouts, {})).toBe('deposit-leaf');
    expect(ruleOf(mutate((t) => (t.inputs[1]!.witness = [t.inputs[1]!.witness[0]!, depositFor(5).depositLeaf.script, depositFor(5).depositLeaf.controlBlock])), build.prevouts, {})).toBe(
      'deposit-leaf',
    );
    expect(ruleOf(build.tx, build.prevouts, {})).toBe('input-kind');
    expect(ruleOf(signed.tx, build.prevouts.map((p, i) => (i === 2 ? { ...p, scriptPubKey: payoutScript('p2tr', 9) } : p)))).toBe('input-kind');
    expect(ruleOf(mutate((t) => (t.outputs = t.outputs.slice(0, 1))))).toBe('outputs');
    expect(ruleOf(mutate((t) => (t.outputs[0]!.scriptPubKey = payoutScript('p2tr', 1))))).toBe('custody-output');
    expect(ruleOf(mutate((t) => t.outputs.splice(1, 1)))).toBe('commitment');
    expect(ruleOf(mutate((t) => (t.outputs[1]!.value = 1n)))).toBe('commitment');
    expect(ruleOf(mutate((t) => t.outputs.push({ value: 1_000n, scriptPubKey: payoutScript('p2wpkh', 50) })))).toBe('commitment-count');
    expect(ruleOf(mutate((t) => (t.outputs[1]!.scriptPubKey = sweepCommitmentScript([1n, 2n, 3n, 4n, 5n, 6n]))))).toBe('commitment-count');
    expect(ruleOf(mutate((t) => (t.outputs[3]!.scriptPubKey = Uint8Array.of(0x6a, 1, 1))))).toBe('payout-script');
    expect(ruleOf(mutate((t) => (t.outputs[3]!.scriptPubKey = custody.scriptPubKey)))).toBe('payout-script');
    expect(ruleOf(mutate((t) => (t.outputs[3]!.value = 545n)))).toBe('payout-dust');
    expect(ruleOf(mutate((t) => (t.outputs[0]!.value += 10_000n)))).toBe('fee-negative');
  });

  it('throws nothing but SweepLayoutError on random bytes, mutated sweeps and junk arguments (fuzz)', () => {
    const raw = encodeTransaction(signed.tx);
    const mutation = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => b),
      fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }).map(({ at, byte }) => {
        const b = Uint8Array.from(raw);
        b[at % b.length] = byte;
        return b;
      }),
      fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 2, maxLength: 8 }).map((ms) => {
        const b = Uint8Array.from(raw);
        for (const { at, byte } of ms) b[at % b.length] = byte;
        return b;
      }),
      fc.record({ at: fc.nat(), len: fc.nat({ max: 40 }) }).map(({ at, len }) => Uint8Array.from([...raw.subarray(0, at % raw.length), ...raw.subarray((at % raw.length) + len)])),
      fc.record({ at: fc.nat(), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }).map(({ at, extra }) =>
        Uint8Array.from([...raw.subarray(0, at % raw.length), ...extra, ...raw.subarray(at % raw.length)]),
      ),
    );
    const junkPrevouts = fc.oneof(
      fc.constant(build.prevouts),
      fc.constant(null),
      fc.array(fc.record({ value: fc.bigInt({ min: -5n, max: 3n * 10n ** 15n }), scriptPubKey: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 6 }),
      fc.array(fc.anything(), { maxLength: 6 }),
    );
    fc.assert(
      fc.property(mutation, junkPrevouts, fc.boolean(), (bytes, prevouts, withLeaves) => {
        try {
          classifySweep(bytes, prevouts as TxOutput[], custody.scriptPubKey, withLeaves ? { depositLeaves: leaves } : {});
        } catch (e) {
          if (!(e instanceof SweepLayoutError)) throw e;
          // Bytes are checked rule by rule: the catch-all 'malformed' is only for junk argument objects.
          if (prevouts === build.prevouts) expect(e.rule).not.toBe('malformed');
        }
      }),
      { numRuns: 1500 },
    );
    // Junk where a decoded transaction object is expected.
    fc.assert(
      fc.property(fc.anything(), (thing) => {
        try {
          classifySweep(thing as Transaction, build.prevouts, custody.scriptPubKey);
        } catch (e) {
          if (!(e instanceof SweepLayoutError)) throw e;
        }
      }),
    );
  });
});

describe('key migration and the custody-input ambiguity', () => {
  const oldGroupSecret = Uint8Array.from(Buffer.from('5a'.repeat(31) + '02', 'hex'));
  const oldCustody = custodyAddress({ network: 'regtest', groupKey: schnorr.getPublicKey(oldGroupSecret), recovery: { recoveryLock: 4320, keys: [groupKey], threshold: 1 } });
  const migration: SweepParams = {
    custodyScriptPubKey: custody.scriptPubKey,
    custodyInput: { txid: txidOf(7), vout: 0, value: 3_000_000n, scriptPubKey: oldCustody.scriptPubKey },
    deposits: [leafDeposit(0)],
    withdrawals: [withdrawal(1)],
    fee: 1_000n,
  };

  it('spends an old custody output at input 0 and pays the new custody script; classify, PSBT and weights agree', () => {
    const b = buildSweep(migration);
    expect(bytesToHex(b.prevouts[0]!.scriptPubKey)).toBe(bytesToHex(oldCustody.scriptPubKey));
    const sighashes = sweepSighashes(b);
    const s = finalizeSweep(b, [schnorr.sign(sighashes[0]!, taprootTweakSecretKey(oldGroupSecret, oldCustody.merkleRoot)), schnorr.sign(sighashes[1]!, groupSecret)]);
    expect(s.weight).toBe(b.weight);
    expect(schnorr.verify(s.tx.inputs[0]!.witness[0]!, sighashes[0]!, oldCustody.outputKey)).toBe(true);
    // Without being told, the old custody script is just an unknown key-path spend.
    expect(ruleOf(s.hex, b.prevouts, {})).toBe('input-kind');
    const view = classifySweep(s.hex, b.prevouts, custody.scriptPubKey, { custodyInputScriptPubKey: oldCustody.scriptPubKey, custodyOutpoint: { txid: txidOf(7), vout: 0 } });
    expect(view.custodyInputIndex).toBe(0);
    expect(view.weight).toBe(s.weight);
    const psbtOptions = { custodyInternalKey: groupKey, custodyMerkleRoot: custody.merkleRoot };
    expect(() => sweepPsbt(b, psbtOptions)).toThrow(/does not give the output key/);
    const psbt = Psbt.fromBase64(sweepPsbt(b, { ...psbtOptions, previousCustody: { internalKey: oldCustody.internalKey, merkleRoot: oldCustody.merkleRoot } }));
    expect(bytesToHex(psbt.data.inputs[0]!.tapInternalKey!)).toBe(bytesToHex(oldCustody.internalKey));
  });

  it('reads a simple-form deposit at input 0 of a first sweep as a deposit only when told there is no custody input', () => {
    const first = buildSweep({ ...params, custodyInput: undefined, deposits: [simpleDeposit(4), leafDeposit(0)] });
    const signedFirst = sign(first);
    expect(classifySweep(signedFirst.hex, first.prevouts, custody.scriptPubKey).custodyInputIndex).toBe(0);
    const told = classifySweep(signedFirst.hex, first.prevouts, custody.scriptPubKey, { custodyOutpoint: null });
    expect(told.custodyInputIndex).toBeNull();
    expect(told.deposits.map((d) => d.kind)).toEqual(['custody-key-path', 'deposit-leaf']);
    expect(told.feeShares.deposits).toEqual(first.feeShares.deposits);
  });
});
