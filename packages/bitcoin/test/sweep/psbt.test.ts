import { schnorr } from '@noble/curves/secp256k1.js';
import { Psbt, initEccLib } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hashToHex } from '../../src/bytes.js';
import { parseControlBlock, tapLeafHash, NUMS_INTERNAL_KEY } from '../../src/taproot/index.js';
import { SweepError, buildSweep, finalizeSweep, sweepPsbt, sweepSighashes, type SweepParams } from '../../src/sweep/index.js';
import { custody, custodyKeyPathSecret, depositFor, groupKey, groupSecret, leafDeposit, simpleDeposit, txidOf, withdrawal } from './fixtures.js';

const params: SweepParams = {
  custodyScriptPubKey: custody.scriptPubKey,
  custodyInput: { txid: txidOf(1), vout: 3, value: 5_000_000n },
  deposits: [leafDeposit(0), simpleDeposit(1), leafDeposit(2)],
  withdrawals: [3, 4, 8, 10, 11].map((id) => withdrawal(id)),
  fee: 2_500n,
};
const build = buildSweep(params);
const { Point } = schnorr;
const toBig = (b: Uint8Array) => BigInt('0x' + (bytesToHex(b) || '0'));
const nobleXOnlyEcc = {
  isXOnlyPoint(p: Uint8Array): boolean {
    try {
      return p.length === 32 && schnorr.utils.lift_x(toBig(p)) !== undefined;
    } catch {
      return false;
    }
  },
  xOnlyPointAddTweak(p: Uint8Array, tweak: Uint8Array): { parity: 0 | 1; xOnlyPubkey: Uint8Array } | null {
    const t = toBig(tweak);
    if (t >= Point.Fn.ORDER) return null;
    let P;
    try {
      P = schnorr.utils.lift_x(toBig(p));
    } catch {
      return null;
    }
    const Q = t === 0n ? P : P.add(Point.BASE.multiply(t));
    if (Q.equals(Point.ZERO)) return null;
    const { x, y } = Q.toAffine();
    return { parity: (y & 1n) === 1n ? 1 : 0, xOnlyPubkey: Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex')) };
  },
};
const options = { custodyInternalKey: groupKey, custodyMerkleRoot: custody.merkleRoot };

describe('sweepPsbt', () => {
  it('exports BIP174/BIP371 fields that bitcoinjs-lib decodes back field by field', () => {
    const psbt = Psbt.fromBase64(sweepPsbt(build, options));
    expect(psbt.version).toBe(2);
    expect(psbt.locktime).toBe(0);
    expect(bytesToHex(psbt.data.globalMap.unsignedTx.toBuffer())).toBe(build.hex);
    expect(psbt.txInputs.map((i) => [hashToHex(i.hash), i.index, i.sequence])).toEqual(build.tx.inputs.map((i) => [hashToHex(i.prevout.txid), i.prevout.vout, 0xfffffffd]));
    expect(psbt.txOutputs.map((o) => [bytesToHex(o.script), o.value])).toEqual(build.tx.outputs.map((o) => [bytesToHex(o.scriptPubKey), o.value]));
    psbt.data.inputs.forEach((input, i) => {
      expect(bytesToHex(input.witnessUtxo!.script)).toBe(bytesToHex(build.prevouts[i]!.scriptPubKey));
      expect(input.witnessUtxo!.value).toBe(build.prevouts[i]!.value);
      const spend = build.inputSpends[i]!;
      if (spend.kind === 'custody-key-path') {
        expect(bytesToHex(input.tapInternalKey!)).toBe(bytesToHex(groupKey));
        expect(bytesToHex(input.tapMerkleRoot!)).toBe(bytesToHex(custody.merkleRoot));
        expect(input.tapLeafScript).toBeUndefined();
      } else {
        expect(bytesToHex(input.tapInternalKey!)).toBe(bytesToHex(NUMS_INTERNAL_KEY));
        expect(input.tapLeafScript).toHaveLength(1);
        const leaf = input.tapLeafScript![0]!;
        expect(leaf.leafVersion).toBe(0xc0);
        expect(bytesToHex(leaf.script)).toBe(bytesToHex(spend.leafScript!));
        expect(bytesToHex(leaf.controlBlock)).toBe(bytesToHex(spend.controlBlock!));
        expect(bytesToHex(tapLeafHash(leaf.script))).toBe(bytesToHex(spend.leafHash!));
        // The deposit tree's root: the deposit leaf and the reclaim leaf.
        const d = depositFor(i === 1 ? 0 : 2);
        expect(bytesToHex(input.tapMerkleRoot!)).toBe(bytesToHex(d.merkleRoot));
        expect(parseControlBlock(leaf.controlBlock).path).toHaveLength(1);
      }
    });
  });

  it('exports the same PSBT from the stored form (unsigned hex + hex input records)', () => {
    const stored = {
      unsignedHex: build.hex,
      inputs: build.prevouts.map((p, i) => {
        const s = build.inputSpends[i]!;
        return {
          value: p.value,
          scriptPubKey: bytesToHex(p.scriptPubKey),
          kind: s.kind,
          ...(s.leafScript ? { leafScript: bytesToHex(s.leafScript), controlBlock: bytesToHex(s.controlBlock!) } : {}),
        };
      }),
    };
    const hexOptions = { custodyInternalKey: bytesToHex(groupKey), custodyMerkleRoot: bytesToHex(custody.merkleRoot) };
    expect(sweepPsbt(stored, hexOptions)).toBe(sweepPsbt(build, options));
  });

  it('finalizes in bitcoinjs-lib with our signatures into the same signed transaction', () => {
    // Only finalizing needs bitcoinjs-lib's ECC hook (export does not): a two-function adapter over noble.
    initEccLib(nobleXOnlyEcc);
    const sigs = sweepSighashes(build).map((h, i) => schnorr.sign(h, build.inputKinds[i] === 'custody-key-path' ? custodyKeyPathSecret : groupSecret, new Uint8Array(32)));
    const psbt = Psbt.fromBase64(sweepPsbt(build, options));
    build.inputSpends.forEach((s, i) => {
      if (s.kind === 'custody-key-path') psbt.updateInput(i, { tapKeySig: sigs[i]! });
      else psbt.updateInput(i, { tapScriptSig: [{ pubkey: groupKey, leafHash: s.leafHash!, signature: sigs[i]! }] });
    });
    psbt.finalizeAllInputs();
    const extracted = psbt.extractTransaction();
    const ours = finalizeSweep(build, sigs);
    expect(extracted.toHex()).toBe(ours.hex);
    expect(extracted.getId()).toBe(build.txid);
  });

  it('refuses custody keys that do not give the spent output key', () => {
    expect(() => sweepPsbt(build, { custodyInternalKey: groupKey })).toThrow(SweepError);
    expect(() => sweepPsbt(build, { custodyInternalKey: schnorr.getPublicKey(custodyKeyPathSecret), custodyMerkleRoot: custody.merkleRoot })).toThrow(/does not give the output key/);
    expect(() => sweepPsbt({ unsignedHex: 'zz', inputs: [] }, options)).toThrow(SweepError);
  });
});
