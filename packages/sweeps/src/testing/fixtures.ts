// A deterministic little world for the sweep rules: one key standing in for the FROST group, a key-path-only
// custody output, per-deposit addresses, withdrawals to P2WPKH scripts, and a chain of fake blocks.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, depositAddress, hexToBytes, taprootOutput, taprootTweakSecretKey } from '@tapbridge/bitcoin';
import { withdrawalRequested, type EventPayload } from '@tapbridge/messaging';
import {
  applyDepositConfirmed, applyWithdrawalRequested, completeSigning, connectBlock, inputSighash, recordBroadcast, recordSignature, recordSignatureRequest,
  type BlockActivity, type SigningKeys, type SweepStore, type SweepVersion,
} from '../index.js';

export const groupSecret = hexToBytes('11'.repeat(32));
export const groupKey = schnorr.getPublicKey(groupSecret);
const custody = taprootOutput(groupKey);
export const custodyScriptPubKey = bytesToHex(custody.scriptPubKey);
const custodySecret = taprootTweakSecretKey(groupSecret);
export const keys: SigningKeys = { custodyOutputKey: bytesToHex(custody.outputKey), groupKey: bytesToHex(groupKey) };
const reclaimKey = schnorr.getPublicKey(hexToBytes('22'.repeat(32)));

export const hash = (n: number): string => n.toString(16).padStart(64, '0');
export const txidOf = (n: number): string => `aa${n.toString(16).padStart(62, '0')}`;

export const rules = (o: Partial<{ feeRateSatPerVb: number; rbfAfterBlocks: number }> = {}) => ({
  network: 'regtest',
  custodyScriptPubKey,
  feeRateSatPerVb: o.feeRateSatPerVb ?? 2,
  rbfAfterBlocks: o.rbfAfterBlocks ?? 2,
});

export const activity = (txids: string[] = [], spends: Array<[string, string]> = []): BlockActivity => ({ txids: new Set(txids), spends: new Map(spends) });

export async function mine(store: SweepStore, from: number, to: number, what: Record<number, BlockActivity> = {}, payoutConfirmations = 2) {
  for (let n = from; n <= to; n++) await store.transaction((tx) => connectBlock(tx, { hash: hash(n), height: n, prevHash: hash(n - 1) }, what[n] ?? activity(), payoutConfirmations));
}

export function withdrawal(id: number, amountSats: bigint, maxFeeSats = 5_000n, sender = '0x' + '0a'.repeat(20)): EventPayload<typeof withdrawalRequested> {
  return {
    withdrawalId: String(id),
    sender,
    btcScriptPubKey: `0014${id.toString(16).padStart(40, '0')}`,
    amountSats: amountSats.toString(),
    maxFeeSats: maxFeeSats.toString(),
    evmBlockNumber: 10 + id,
    evmBlockHash: `0x${'bb'.repeat(32)}`,
    evmTxHash: `0x${id.toString(16).padStart(64, '0')}`,
  };
}

export async function addDeposit(store: SweepStore, n: number, amountSats: bigint, o: { maxFee?: bigint; height?: number; lockBlocks?: number } = {}) {
  const maxFee = o.maxFee ?? 10_000n;
  const addr = depositAddress({ network: 'regtest', groupKey, recipient: '0x' + '0c'.repeat(20), maxFee, reclaimKey, lockBlocks: o.lockBlocks ?? 144 });
  const txid = txidOf(n);
  await store.transaction((tx) =>
    applyDepositConfirmed(
      tx,
      {
        txid, vout: 0, amountSats: amountSats.toString(), recipient: '0x' + '0c'.repeat(20), maxFeeSats: maxFee.toString(), blockHash: hash(o.height ?? 1), blockHeight: o.height ?? 1,
        confirmations: 1, merkleProof: '00', kind: 'taproot',
      },
      { kind: 'deposit-leaf', scriptPubKey: bytesToHex(addr.scriptPubKey), depositScript: bytesToHex(addr.depositLeaf.script), reclaimScript: bytesToHex(addr.reclaimLeaf.script), lockBlocks: o.lockBlocks ?? 144 },
    ),
  );
  return { txid, vout: 0 };
}

export async function addWithdrawal(store: SweepStore, id: number, amountSats: bigint, maxFeeSats?: bigint, sender?: string) {
  await store.transaction((tx) => applyWithdrawalRequested(tx, withdrawal(id, amountSats, maxFeeSats, sender)));
}

/** What the signers would produce: custody inputs with the tweaked key, deposit leaves with the untweaked one. */
export function signInput(v: SweepVersion, i: number): string {
  const sk = v.inputs[i]!.kind === 'deposit-leaf' ? groupSecret : custodySecret;
  return bytesToHex(schnorr.sign(inputSighash(v, i), sk, new Uint8Array(32)));
}

/** The fixed clock of the fixtures' signing steps (stores compared by snapshot must see the same stamps). */
export const SIGNING_TIME = new Date('2026-12-01T12:00:00.000Z');

/** Requests, signs, assembles and broadcasts a version at `tipHeight`, signed at `at`. */
export async function signAndBroadcast(store: SweepStore, v: SweepVersion, tipHeight: number, at: Date = SIGNING_TIME): Promise<SweepVersion> {
  for (let i = 0; i < v.inputs.length; i++) {
    await store.transaction((tx) => recordSignatureRequest(tx, v.txid, i, `req-${v.txid.slice(0, 8)}-${i}`, at));
    await store.transaction((tx) => recordSignature(tx, v.txid, i, signInput(v, i), keys, at));
  }
  const signed = await store.transaction((tx) => completeSigning(tx, v.txid, keys));
  await store.transaction((tx) => recordBroadcast(tx, v.txid, tipHeight));
  return signed;
}
