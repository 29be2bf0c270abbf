// The whole-transaction check of a sweep (issue 9, sweep-spec.md), from the signer's own view: every input, every
// output, the fee split, the fee rate, the conflict rules against what this signer signed before, and the outflow
// limit. Pure rules over the view interfaces; one refusal reason per rule, naming the input or output at fault.
//
// Decisions:
// - A deposit's reclaim lock comes from the request: the context names both leaf scripts of each deposit-leaf input,
//   and the signer rebuilds the deposit address from them (NUMS internal key, [deposit leaf, reclaim leaf]) and
//   requires it to be the scriptPubKey of the output confirmed on its own chain. A lie about the reclaim leaf therefore
//   names another address and is refused; the lock is the one the output really commits to.
// - Reclaim margin (sBTC's rule, as packages/bitcoin planSweep): refused when (tip − confirmation height) + 3 ≥ lock.
// - The reserve for the outflow limit is what this sweep proves it spends: the custody input plus the deposits, each
//   an output of a transaction proven on the signer's own chain. Outflow = the payouts of the sweeps this signer
//   approved in the window plus this one, each RBF family counted once at its largest version.
// - "Unpaid" is judged from this signer's own record: a withdrawal id in an earlier approved sweep that does not
//   conflict with this one (shares no input) blocks it until that sweep's family is resolved on the signer's chain
//   (a version confirmed at the custody depth) by a version that did not pay it. Sweeps this signer never approved
//   are not in its record.
import {
  SWEEP_MIN_DEPOSIT_REMAINDER,
  SWEEP_RECLAIM_SAFETY_BLOCKS,
  SweepLayoutError,
  bytesToHex,
  classifySweep,
  depositTaprootOutput,
  equalBytes,
  findOpReturnDeposit,
  hashToHex,
  hexToBytes,
  outputWeight,
  parseDepositScript,
  parseReclaimScript,
  splitFee,
  sweepCommitmentScript,
  sweepInputWeight,
  type DecodedTransaction,
  type SweepView,
  type TaprootOutput,
  type TxOutput,
} from '@tapbridge/bitcoin';
import { simpleFormMaxFee } from '@tapbridge/deposits';
import { DEFAULT_OUTFLOW_LIMIT_BPS, OUTFLOW_WINDOW_MS, outflowAllows } from './sweep-outflow.js';
import type { SweepContext } from '../request.js';
import type { BitcoinView, ProvenTransaction } from '../view/bitcoin.js';
import type { L2View, WithdrawalLog } from '../view/l2.js';
import { outpointKey, type SignedSweep, type SignedSweepStore } from '../view/signed-sweeps.js';

export * from './sweep-outflow.js';

export interface SweepRules {
  /** Confirmations a deposit needs on the signer's own chain (DEPOSIT_CONFIRMATIONS). */
  depositConfirmations: number;
  /** Confirmations the custody input needs; also the depth at which a signed sweep counts as resolved. */
  custodyConfirmations: number;
  /** Fee-rate bounds, sat/vB, of the signed transaction (exact vsize with 64-byte signatures). */
  minFeeRate: number;
  maxFeeRate: number;
  /** Most paid out per window, in basis points of the reserve (1000 = 10%, Nomic's rule). */
  outflowLimitBps: number;
  outflowWindowMs: number;
  /** Fee cap of simple-form deposits (the deposit indexer's OP_RETURN_MAX_FEE_SATS). */
  opReturnMaxFeeSats: bigint;
  /** A deposit is not swept when (tip − its height) + this ≥ its reclaim lock (sBTC's DEPOSIT_LOCKTIME_BLOCK_BUFFER). */
  reclaimSafetyBlocks: number;
}

export const DEFAULT_SWEEP_RULES: Omit<SweepRules, 'minFeeRate' | 'maxFeeRate'> = {
  depositConfirmations: 6,
  custodyConfirmations: 1,
  outflowLimitBps: DEFAULT_OUTFLOW_LIMIT_BPS,
  outflowWindowMs: OUTFLOW_WINDOW_MS,
  opReturnMaxFeeSats: 10_000n,
  reclaimSafetyBlocks: SWEEP_RECLAIM_SAFETY_BLOCKS,
};

/** How each input is spent: what the per-input request must ask for (leaf hash, tweak). */
export type InputRole = { kind: 'custody' } | { kind: 'custody-key-path' } | { kind: 'deposit-leaf'; leafHash: Uint8Array };

export interface SweepCheckInput {
  tx: DecodedTransaction;
  prevouts: readonly TxOutput[];
  context: SweepContext;
  /** The signer's x-only group key and the custody scriptPubKey it derives from it. */
  groupKey: Uint8Array;
  custodyScriptPubKey: Uint8Array;
  /**
   * Issue 11 (rotation): the script output 0 must pay when custody is migrating to a newer epoch's key (the new
   * custody as published); absent, output 0 pays `custodyScriptPubKey`. Inputs are still the signer's own custody
   * and deposits to its own key.
   */
  outputCustodyScriptPubKey?: Uint8Array;
  bitcoin: BitcoinView;
  l2: L2View;
  signed: SignedSweepStore;
  rules: SweepRules;
  now: Date;
  /** inputRoles(tx, context) when the caller has it already (the taproot commitments are EC work). */
  shape?: InputShape;
}

export type SweepVerdict = { allow: true; sweep: SignedSweep; roles: InputRole[] } | { allow: false; reason: string };

const MAX_U256 = (1n << 256n) - 1n;

/** Refusal inside the check: thrown with the reason, turned into a verdict at the top. */
class Refusal extends Error {}
const refuse = (reason: string): never => {
  throw new Refusal(reason);
};

export interface InputShape {
  hasCustody: boolean;
  roles: InputRole[];
  /** Per context deposit: the taproot output its two leaves commit to (deposit-leaf), else undefined. */
  depositOutputs: Array<TaprootOutput | undefined>;
}

/** Input roles from the request alone (no view): input 0 is custody when the context lists one deposit fewer. */
export function inputRoles(tx: DecodedTransaction, context: SweepContext): InputShape | string {
  const deposits = context.deposits;
  const hasCustody = tx.inputs.length === deposits.length + 1;
  if (!hasCustody && tx.inputs.length !== deposits.length)
    return `the transaction has ${tx.inputs.length} inputs but the context lists ${deposits.length} deposits (a sweep spends at most one custody input besides them)`;
  const roles: InputRole[] = hasCustody ? [{ kind: 'custody' }] : [];
  const depositOutputs: Array<TaprootOutput | undefined> = [];
  for (const [i, d] of deposits.entries()) {
    const input = tx.inputs[(hasCustody ? 1 : 0) + i]!;
    if (hashToHex(input.prevout.txid) !== d.txid || input.prevout.vout !== d.vout)
      return `input ${(hasCustody ? 1 : 0) + i} spends ${hashToHex(input.prevout.txid)}:${input.prevout.vout}, not deposit ${i} of the context (${d.txid}:${d.vout})`;
    if (d.kind === 'custody-key-path') {
      roles.push({ kind: 'custody-key-path' });
      depositOutputs.push(undefined);
    } else {
      let out: TaprootOutput;
      try {
        out = depositTaprootOutput(hexToBytes(d.depositScript!), hexToBytes(d.reclaimScript!));
      } catch (err) {
        return `deposit ${i} (${d.txid}:${d.vout}): its leaf scripts are not a deposit's: ${(err as Error).message}`;
      }
      roles.push({ kind: 'deposit-leaf', leafHash: out.leaves[0]!.leafHash });
      depositOutputs.push(out);
    }
  }
  return { hasCustody, roles, depositOutputs };
}

/** Parses the context's ids: uint256, strictly ascending (the payout order every sweep uses). */
function withdrawalIds(context: SweepContext): bigint[] {
  const ids = context.withdrawalIds.map((s) => BigInt(s));
  ids.forEach((id, k) => {
    if (id > MAX_U256) refuse(`withdrawal id ${id} is not a uint256`);
    if (k > 0 && id <= ids[k - 1]!) refuse(`withdrawal ids must be strictly ascending (payout order): ${id} follows ${ids[k - 1]}`);
  });
  return ids;
}

export async function checkSweep(input: SweepCheckInput): Promise<SweepVerdict> {
  try {
    return await check(input);
  } catch (err) {
    if (err instanceof Refusal) return { allow: false, reason: err.message };
    throw err;
  }
}

interface ProvenInput {
  outpoint: string;
  prevout: TxOutput;
  proven: ProvenTransaction;
}

async function check(c: SweepCheckInput): Promise<SweepVerdict> {
  const { tx, context, rules, bitcoin } = c;
  const txid = hashToHex(tx.txid);

  const shaped = c.shape ?? inputRoles(tx, context);
  if (typeof shaped === 'string') refuse(shaped);
  const { hasCustody, roles, depositOutputs } = shaped as InputShape;
  const inputKeys = tx.inputs.map((inp) => outpointKey(hashToHex(inp.prevout.txid), inp.prevout.vout));
  const ids = withdrawalIds(context);
  const custodySpk = c.custodyScriptPubKey;

  // Layout (sweep-spec.md), by packages/bitcoin's classifySweep: version, locktime, sequences, no scriptSig, no
  // duplicate input, input kinds (custody key path or the context's deposit leaf), custody output, commitment form
  // and count, standard payout scripts above dust, fee ≥ 0.
  let layout: SweepView;
  try {
    layout = classifySweep(tx, c.prevouts, c.outputCustodyScriptPubKey ?? custodySpk, {
      custodyOutpoint: hasCustody ? { txid: hashToHex(tx.inputs[0]!.prevout.txid), vout: tx.inputs[0]!.prevout.vout } : null,
      ...(c.outputCustodyScriptPubKey ? { custodyInputScriptPubKey: custodySpk } : {}),
      depositLeaves: tx.inputs.map((_, i) => {
        const d = hasCustody ? i - 1 : i;
        const out = d >= 0 ? depositOutputs[d] : undefined;
        return out ? { leafScript: out.leaves[0]!.script, controlBlock: out.leaves[0]!.controlBlock } : undefined;
      }),
    });
  } catch (err) {
    if (err instanceof SweepLayoutError) return refuse(err.message);
    throw err;
  }

  // Outputs (custody output checked by classifySweep): the commitment to exactly the context's ids, one payout per
  // id, nothing else.
  if (tx.outputs.length !== 2 + ids.length)
    refuse(`${tx.outputs.length} outputs: a sweep paying ${ids.length} withdrawals has exactly ${2 + ids.length} (custody, commitment, one payout each), no other outputs`);
  const commitment = sweepCommitmentScript(ids);
  if (!equalBytes(tx.outputs[1]!.scriptPubKey, commitment) || tx.outputs[1]!.value !== 0n)
    refuse(`output 1 is not the 0-sat OP_RETURN commitment to the ${ids.length} paid withdrawal ids (${ids.join(',')})`);

  // Inputs, each proven from the signer's own chain; the request's prevouts must be what the chain says.
  const tip = await bitcoin.tipHeight();
  const proveInput = async (i: number, what: string, confirmations: number): Promise<ProvenInput> => {
    const inp = tx.inputs[i]!;
    const prevTxid = hashToHex(inp.prevout.txid);
    const proven = await bitcoin.provenTransaction(prevTxid);
    if (!proven.ok) return refuse(`${what} ${prevTxid}:${inp.prevout.vout}: ${proven.reason}`);
    const out = proven.value.tx.outputs[inp.prevout.vout];
    if (!out) return refuse(`${what} ${prevTxid}:${inp.prevout.vout}: the confirmed transaction has no output ${inp.prevout.vout}`);
    const given = c.prevouts[i]!;
    if (given.value !== out.value || !equalBytes(given.scriptPubKey, out.scriptPubKey))
      refuse(`${what} ${prevTxid}:${inp.prevout.vout}: the request's prevout (${given.value} sat to ${bytesToHex(given.scriptPubKey)}) is not the chain's (${out.value} sat to ${bytesToHex(out.scriptPubKey)})`);
    if (proven.value.confirmations < confirmations)
      refuse(`${what} ${prevTxid}:${inp.prevout.vout} has ${proven.value.confirmations} confirmations on the signer's chain, needs ${confirmations}`);
    return { outpoint: inputKeys[i]!, prevout: out, proven: proven.value };
  };

  const proven: ProvenInput[] = [];
  if (hasCustody) {
    const custody = await proveInput(0, 'custody input', rules.custodyConfirmations);
    if (!equalBytes(custody.prevout.scriptPubKey, custodySpk)) refuse(`custody input ${custody.outpoint} pays ${bytesToHex(custody.prevout.scriptPubKey)}, not the custody script`);
    proven.push(custody);
  }
  const depositWeights: number[] = [];
  const depositMaxFees: bigint[] = [];
  for (const [i, d] of context.deposits.entries()) {
    const index = (hasCustody ? 1 : 0) + i;
    const what = `deposit ${i} (input ${index})`;
    const p = await proveInput(index, what, rules.depositConfirmations);
    if (d.kind === 'deposit-leaf') {
      const depositScript = hexToBytes(d.depositScript!);
      const out = depositOutputs[i]!;
      if (!equalBytes(out.scriptPubKey, p.prevout.scriptPubKey)) refuse(`${what} ${p.outpoint}: its deposit and reclaim leaves do not commit to the output's scriptPubKey`);
      const leaf = parseDepositScript(depositScript);
      if (!equalBytes(leaf.groupKey, c.groupKey)) refuse(`${what} ${p.outpoint}: its deposit leaf names key ${bytesToHex(leaf.groupKey)}, not this group's`);
      const lock = parseReclaimScript(hexToBytes(d.reclaimScript!)).lockBlocks;
      const age = tip - p.proven.blockHeight;
      if (age + rules.reclaimSafetyBlocks >= lock)
        refuse(`${what} ${p.outpoint} is within ${rules.reclaimSafetyBlocks} blocks of its reclaim lock (confirmed at ${p.proven.blockHeight}, lock ${lock} blocks, tip ${tip})`);
      depositWeights.push(sweepInputWeight('deposit-leaf', { leafScript: depositScript, controlBlock: out.leaves[0]!.controlBlock }));
      depositMaxFees.push(leaf.maxFee);
    } else {
      if (!equalBytes(p.prevout.scriptPubKey, custodySpk)) refuse(`${what} ${p.outpoint}: a custody-key-path deposit pays the custody script, this output does not`);
      if (findOpReturnDeposit(p.proven.tx.outputs, custodySpk)?.vout !== tx.inputs[index]!.prevout.vout)
        refuse(`${what} ${p.outpoint} is not a simple-form deposit (one custody output and one OP_RETURN recipient)`);
      depositWeights.push(sweepInputWeight('custody-key-path'));
      depositMaxFees.push(simpleFormMaxFee(p.prevout.value, rules.opReturnMaxFeeSats));
    }
    proven.push(p);
  }

  // Not spent (reclaimed) per the sources, except by a sweep this signer signed before (an RBF version in the mempool).
  for (const p of proven) {
    const spend = await bitcoin.outputSpend(p.proven.txid, Number(p.outpoint.split(':')[1]));
    if (!spend.spent) continue;
    if (spend.confirmed === true) refuse(`input ${p.outpoint} is already spent on chain${spend.spender ? ` by ${spend.spender}` : ''}`);
    const ours = (await c.signed.spendingAny([p.outpoint])).filter((s) => s.txid !== txid);
    if (ours.length === 0 || (spend.spender !== undefined && !ours.some((s) => s.txid === spend.spender)))
      refuse(`input ${p.outpoint} is spent${spend.spender ? ` by ${spend.spender}` : ''} in the mempool by a transaction this signer did not sign (a reclaim?)`);
  }

  // Payouts: each a final burn on the L2, same script, amount − its fee share, share within its max fee.
  const logs = ids.length === 0 ? new Map<bigint, WithdrawalLog>() : await c.l2.finalWithdrawals(ids);
  const payoutLogs = ids.map((id, k) => logs.get(id) ?? refuse(`output ${2 + k}: no final WithdrawalRequested log for withdrawal id ${id} (nobody burned for it, or not yet final)`));
  // The prevouts are the chain's (checked above), so classifySweep's fee (≥ 0) is the real one.
  const inputTotal = proven.reduce((sum, p) => sum + p.prevout.value, 0n);
  const fee = layout.fee;
  const weights = [...depositWeights, ...payoutLogs.map((w) => outputWeight(w.btcScriptPubKey))];
  const shares = weights.length === 0 ? [] : splitFee(weights, fee);
  depositMaxFees.forEach((maxFee, i) => {
    const share = shares[i]!;
    const value = proven[(hasCustody ? 1 : 0) + i]!.prevout.value;
    if (share > maxFee) refuse(`deposit ${i}: fee share ${share} sat exceeds its max fee ${maxFee} sat`);
    if (value - share < SWEEP_MIN_DEPOSIT_REMAINDER) refuse(`deposit ${i}: ${value} sat minus fee share ${share} sat leaves less than ${SWEEP_MIN_DEPOSIT_REMAINDER} sat to mint`);
  });
  let payoutSats = 0n;
  payoutLogs.forEach((w, k) => {
    const out = tx.outputs[2 + k]!;
    const share = shares[depositWeights.length + k]!;
    if (!equalBytes(out.scriptPubKey, w.btcScriptPubKey))
      refuse(`output ${2 + k} pays ${bytesToHex(out.scriptPubKey)}, but withdrawal ${w.id} was burned for ${bytesToHex(w.btcScriptPubKey)}`);
    if (share > w.maxFeeSats) refuse(`withdrawal ${w.id}: fee share ${share} sat exceeds its max fee ${w.maxFeeSats} sat`);
    const due = w.amountSats - share;
    if (out.value !== due)
      refuse(`output ${2 + k} pays ${out.value} sat, but withdrawal ${w.id} is due its burn of ${w.amountSats} sat minus its fee share ${share} sat = ${due} sat`);
    payoutSats += out.value;
  });

  // Fee rate of the signed transaction (classifySweep's exact vsize: 64-byte signatures).
  const vsize = layout.vsize;
  const feeRate = Number(fee) / vsize;
  if (feeRate < rules.minFeeRate || feeRate > rules.maxFeeRate)
    refuse(`fee rate ${feeRate.toFixed(2)} sat/vB (fee ${fee} sat, ${vsize} vB) is outside the signer's bounds [${rules.minFeeRate}, ${rules.maxFeeRate}]`);

  // Conflicts with what this signer signed before.
  const sweep: SignedSweep = { txid, spends: inputKeys[0]!, inputs: inputKeys, withdrawalIds: ids, payoutSats, custodyValue: tx.outputs[0]!.value, signedAt: c.now };
  await checkConflicts(c, sweep);

  // Outflow per window, against the reserve this sweep proves (its own inputs, each confirmed on the signer's chain):
  // the rule the coordinator's planner applies too (sweep-outflow.ts).
  const signedInWindow = await c.signed.signedSince(new Date(c.now.getTime() - rules.outflowWindowMs));
  const outflow = outflowAllows({
    rule: { limitBps: rules.outflowLimitBps, windowMs: rules.outflowWindowMs },
    reserveSats: inputTotal,
    family: sweep.spends,
    payoutSats,
    signed: signedInWindow.filter((s) => s.txid !== txid).map((s) => ({ family: s.spends, payoutSats: s.payoutSats, at: s.signedAt })),
    now: c.now,
  });
  if (!outflow.allowed)
    refuse(`outflow limit: ${outflow.outflowSats} sat paid out in ${rules.outflowWindowMs / 3600_000} h with this sweep exceeds ${rules.outflowLimitBps / 100}% of the reserve ${inputTotal} sat (${outflow.limitSats} sat)`);

  return { allow: true, sweep, roles };
}

/** The version of a family confirmed on the signer's chain (at the custody depth), if any. */
async function resolution(c: SweepCheckInput, spends: string): Promise<SignedSweep | undefined> {
  for (const v of await c.signed.family(spends)) {
    const p = await c.bitcoin.provenTransaction(v.txid);
    if (p.ok && p.value.confirmations >= c.rules.custodyConfirmations) return v;
  }
  return undefined;
}

/**
 * Never two conflicting spends paying different withdrawal sets, except an RBF of the same set or a subset; never a
 * withdrawal in two sweeps that could both confirm.
 * - A recorded sweep sharing an input with this one conflicts with it (at most one of the two can confirm): unless
 *   its family is already resolved on chain, this sweep may only pay a subset of what it pays.
 * - A recorded sweep paying one of the same ids without sharing an input could confirm too: allowed only once its
 *   family is resolved on the signer's chain by a version that did not pay that id.
 */
async function checkConflicts(c: SweepCheckInput, sweep: SignedSweep): Promise<void> {
  const conflicting = (await c.signed.spendingAny(sweep.inputs)).filter((s) => s.txid !== sweep.txid);
  const resolved = new Map<string, SignedSweep | undefined>();
  const resolutionOf = async (spends: string) => {
    if (!resolved.has(spends)) resolved.set(spends, await resolution(c, spends));
    return resolved.get(spends);
  };
  for (const s of conflicting) {
    if ((await resolutionOf(s.spends)) !== undefined) continue;
    const allowed = new Set(s.withdrawalIds);
    const extra = sweep.withdrawalIds.find((id) => !allowed.has(id));
    if (extra !== undefined)
      refuse(`conflicts with sweep ${s.txid} signed before (both spend ${sweep.inputs.find((o) => s.inputs.includes(o))}) and pays withdrawal ${extra}, which that sweep does not: a replacement may only pay the same withdrawals or fewer`);
  }
  const conflictingTxids = new Set(conflicting.map((s) => s.txid));
  const mine = new Set(sweep.withdrawalIds);
  for (const s of await c.signed.payingAny(sweep.withdrawalIds)) {
    if (s.txid === sweep.txid || conflictingTxids.has(s.txid)) continue;
    const shared = s.withdrawalIds.filter((x) => mine.has(x));
    const winner = await resolutionOf(s.spends);
    if (winner === undefined)
      refuse(`withdrawal ${shared[0]} is already in sweep ${s.txid} (spending ${s.spends}), which does not conflict with this one and is not resolved on the signer's chain: paying it here could pay it twice`);
    const paid = shared.find((id) => winner!.withdrawalIds.includes(id));
    if (paid !== undefined) refuse(`withdrawal ${paid} was already paid by sweep ${winner!.txid}, confirmed on the signer's chain`);
  }
}
