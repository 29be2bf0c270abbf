// Keys, addresses and scripts for the sweep tests: a test group key stands in for the FROST group key,
// so every input can be signed for real with BIP340 Schnorr.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, sha256 } from '../../src/bytes.js';
import { custodyAddress, depositAddress, type DepositAddress, p2pkhScript, p2shScript, witnessScript } from '../../src/scripts/index.js';
import { taprootTweakSecretKey } from '../../src/taproot/index.js';
import { SIGHASH_DEFAULT, taprootSighash, type Transaction, type TxOutput } from '../../src/tx/index.js';
import type { SweepDeposit, SweepWithdrawal } from '../../src/sweep/index.js';

export const groupSecret = hexToBytes('6b'.repeat(31) + '01');
export const groupKey = schnorr.getPublicKey(groupSecret);
const backupKeys = [2, 3, 4].map((i) => schnorr.getPublicKey(hexToBytes('00'.repeat(31) + i.toString(16).padStart(2, '0'))));
export const custody = custodyAddress({ network: 'regtest', groupKey, recovery: { recoveryLock: 4320, keys: backupKeys, threshold: 2 } });
/** The secret that signs custody key-path inputs: the group secret with the custody tweak. */
export const custodyKeyPathSecret = taprootTweakSecretKey(groupSecret, custody.merkleRoot);

const reclaimKey = schnorr.getPublicKey(hexToBytes('00'.repeat(31) + '05'));

/** A registered deposit address (per-deposit P2TR, NUMS internal key, deposit + reclaim leaves). */
export function depositFor(i: number, maxFee = 20_000n, lockBlocks = 144): DepositAddress {
  const key = `${i}:${maxFee}:${lockBlocks}`;
  let d = depositCache.get(key);
  if (d === undefined) {
    const recipient = '0x' + bytesToHex(sha256(Uint8Array.of(i & 0xff, i >> 8))).slice(0, 40);
    d = depositAddress({ network: 'regtest', groupKey, recipient, maxFee, reclaimKey, lockBlocks });
    depositCache.set(key, d);
  }
  return d;
}
// Address derivation is EC work; property tests ask for the same few deposits many times.
const depositCache = new Map<string, DepositAddress>();

/** A distinct fake txid (display hex) per number. */
export const txidOf = (i: number): string => bytesToHex(sha256(new TextEncoder().encode(`tx-${i}`)));

const h20 = (i: number) => sha256(Uint8Array.of(1, i)).subarray(0, 20);
const h32 = (i: number) => sha256(Uint8Array.of(2, i));

/** One of every payout script kind we pay, picked by i. */
export const PAYOUT_KINDS = ['p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr'] as const;
export function payoutScript(kind: (typeof PAYOUT_KINDS)[number], i = 0): Uint8Array {
  switch (kind) {
    case 'p2pkh':
      return p2pkhScript(h20(i));
    case 'p2sh':
      return p2shScript(h20(i));
    case 'p2wpkh':
      return witnessScript(0, h20(i));
    case 'p2wsh':
      return witnessScript(0, h32(i));
    case 'p2tr':
      // A real x-only key, as a P2TR output must carry.
      return witnessScript(1, schnorr.getPublicKey(sha256(Uint8Array.of(3, i))));
  }
}

export interface SpendInfo {
  kind: 'custody-key-path' | 'deposit-leaf';
  leafScript?: Uint8Array;
  controlBlock?: Uint8Array;
  leafHash?: Uint8Array;
}

/**
 * Signs every input for real: key-path inputs with the tweaked custody secret, deposit-leaf inputs with
 * the untweaked group secret over the script-path sighash. Returns a copy with witnesses and the sighashes.
 */
export function signSweep(tx: Transaction, prevouts: readonly TxOutput[], spends: readonly SpendInfo[]): { signed: Transaction; sighashes: Uint8Array[] } {
  const signed: Transaction = { ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) };
  const sighashes: Uint8Array[] = [];
  spends.forEach((s, index) => {
    const sighash = taprootSighash({ tx, inputIndex: index, prevouts, hashType: SIGHASH_DEFAULT, ...(s.leafHash ? { leafHash: s.leafHash } : {}) });
    sighashes.push(sighash);
    if (s.kind === 'custody-key-path') signed.inputs[index]!.witness = [schnorr.sign(sighash, custodyKeyPathSecret)];
    else signed.inputs[index]!.witness = [schnorr.sign(sighash, groupSecret), s.leafScript!, s.controlBlock!];
  });
  return { signed, sighashes };
}

/** Sweep request builders shared by the tests. */
export function leafDeposit(i: number, value = 200_000n, maxFeeSats = 20_000n): SweepDeposit {
  const d = depositFor(i, maxFeeSats);
  return { txid: txidOf(100 + i), vout: i % 4, value, kind: 'deposit-leaf', scriptPubKey: d.scriptPubKey, leafScript: d.depositLeaf.script, controlBlock: d.depositLeaf.controlBlock, maxFeeSats };
}
export const simpleDeposit = (i: number, value = 150_000n, maxFeeSats = 20_000n): SweepDeposit => ({
  txid: txidOf(200 + i),
  vout: 1,
  value,
  kind: 'custody-key-path',
  scriptPubKey: custody.scriptPubKey,
  maxFeeSats,
});
export const withdrawal = (id: number, amountSats = 60_000n, maxFeeSats = 10_000n): SweepWithdrawal => ({
  id: BigInt(id),
  scriptPubKey: payoutScript(PAYOUT_KINDS[id % PAYOUT_KINDS.length]!, id),
  amountSats,
  maxFeeSats,
});

