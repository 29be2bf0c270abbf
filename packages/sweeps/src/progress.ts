// A version's way from planned to broadcast, each step persisted before the next side effect: signature requests
// are recorded as they are made, the signed transaction before any broadcast, the broadcast before it is tracked.
import { latestVersion } from './families.js';
import type { SweepStoreTx } from './store.js';
import type { SweepFamily, SweepVersion, WithdrawalStatus } from './types.js';
import { assembleSignedSweep, verifyInputSignature, type SigningKeys } from './witness.js';

/** What the pipeline must do next for a family. */
export type NextStep =
  | { kind: 'sign'; family: SweepFamily; version: SweepVersion }
  | { kind: 'broadcast'; family: SweepFamily; version: SweepVersion }
  | { kind: 'track'; family: SweepFamily; version: SweepVersion };

/** One step per active family (oldest first), from persisted state alone: what a restart resumes from. */
export async function pendingSteps(tx: SweepStoreTx): Promise<NextStep[]> {
  const steps: NextStep[] = [];
  for (const family of (await tx.familiesByStatus('active')).reverse()) {
    const version = await latestVersion(tx, family.id);
    if (!version) continue;
    if (version.status === 'planned' || version.status === 'signing') steps.push({ kind: 'sign', family, version });
    else if (version.status === 'signed') steps.push({ kind: 'broadcast', family, version });
    else steps.push({ kind: 'track', family, version });
  }
  return steps;
}

async function setPayoutStatus(tx: SweepStoreTx, v: SweepVersion, status: WithdrawalStatus, detail: string): Promise<void> {
  for (const p of v.payouts) {
    const w = await tx.getWithdrawal(p.withdrawalId);
    // Only the payouts this version carries and that are still in flight with it.
    if (!w || w.sweepTxid !== v.txid || w.status === status || w.status === 'confirmed' || w.status === 'paid') continue;
    await tx.putWithdrawal({ ...w, status });
    await tx.appendHistory({ withdrawalId: w.id, status, detail, sweepTxid: v.txid });
  }
}

/**
 * A signature request was made for an input at `at`: remembered so a restart polls it instead of asking again.
 * Every signing step stamps `signingAt` (the outflow window counts the version from its last stamp).
 */
export async function recordSignatureRequest(tx: SweepStoreTx, txid: string, inputIndex: number, requestId: string, at: Date): Promise<void> {
  const v = await tx.getVersion(txid);
  if (!v) throw new Error(`no sweep ${txid}`);
  v.inputs[inputIndex] = { ...v.inputs[inputIndex]!, signatureRequestId: requestId };
  const first = v.status === 'planned';
  await tx.putVersion({ ...v, status: first ? 'signing' : v.status, signingAt: at.toISOString() });
  if (first) await setPayoutStatus(tx, v, 'signing', `signatures requested for ${txid}`);
}

/** A request that can no longer succeed (refused, timed out): forgotten, so the next pass asks again. */
export async function clearSignatureRequest(tx: SweepStoreTx, txid: string, inputIndex: number, note: string, at: Date): Promise<void> {
  const v = await tx.getVersion(txid);
  if (!v) return;
  const { signatureRequestId: _, ...input } = v.inputs[inputIndex]!;
  v.inputs[inputIndex] = input;
  // Signers may have approved (and recorded) it before the request failed: the stamp moves past their records.
  await tx.putVersion({ ...v, signingNote: note, signingAt: at.toISOString() });
}

/** A completed signature: kept only if it verifies under the key its input needs. */
export async function recordSignature(tx: SweepStoreTx, txid: string, inputIndex: number, signature: string, keys: SigningKeys, at: Date): Promise<boolean> {
  const v = await tx.getVersion(txid);
  if (!v) throw new Error(`no sweep ${txid}`);
  if (!verifyInputSignature(v, inputIndex, signature, keys)) return false;
  v.inputs[inputIndex] = { ...v.inputs[inputIndex]!, signature };
  // Every signer that took part recorded its approval before this signature existed.
  await tx.putVersion({ ...v, signingAt: at.toISOString() });
  return true;
}

/** Every input signed: the assembled, verified transaction is persisted (before it goes anywhere). */
export async function completeSigning(tx: SweepStoreTx, txid: string, keys: SigningKeys): Promise<SweepVersion> {
  const v = await tx.getVersion(txid);
  if (!v) throw new Error(`no sweep ${txid}`);
  if (v.status !== 'planned' && v.status !== 'signing') return v;
  const signedHex = assembleSignedSweep(v, keys);
  const { signingNote: _, ...rest } = v;
  const signed: SweepVersion = { ...rest, status: 'signed', signedHex };
  await tx.putVersion(signed);
  return signed;
}

/**
 * A source accepted the signed transaction (or already had it). Earlier versions of the family are replaced from
 * now on, but stay watched: any of them may still be mined, and then that one is what paid.
 */
export async function recordBroadcast(tx: SweepStoreTx, txid: string, tipHeight: number): Promise<void> {
  const v = await tx.getVersion(txid);
  if (!v || v.status !== 'signed') return;
  await tx.putVersion({ ...v, status: 'broadcast', broadcastAtHeight: tipHeight });
  for (const other of await tx.versionsOf(v.familyId))
    if (other.txid !== txid && (other.status === 'broadcast' || other.status === 'signed')) await tx.putVersion({ ...other, status: 'replaced' });
  for (const p of v.payouts) {
    const w = await tx.getWithdrawal(p.withdrawalId);
    if (!w || w.status === 'confirmed' || w.status === 'paid') continue;
    // A replacement re-points the withdrawal at the new version (same payout, new share).
    await tx.putWithdrawal({ ...w, status: 'broadcast', sweepTxid: txid, payoutVout: p.vout, feeShareSats: p.feeShareSats });
    await tx.appendHistory({ withdrawalId: w.id, status: 'broadcast', detail: `${txid}:${p.vout} sent to the sources`, sweepTxid: txid });
  }
}

export type { SigningKeys };
