// At each new tip: if no sweep family is in flight, plan the next one from what is confirmed and unpaid
// (packages/bitcoin planSweep) and persist it, unsigned, before anything is asked of the signers. If the family in
// flight has not confirmed within K blocks, plan its replacement (same custody input, RBF fee).
import { bytesToHex, depositAddressFromScripts, hexToBytes, planSweep, type PlanSweepParams, type SweepBuild, type SweepDepositCandidate, type SweepPlan, type SweepWaiting } from '@tapbridge/bitcoin';
import { currentCustody } from './chain.js';
import { latestVersion, releaseWithdrawal } from './families.js';
import type { SweepStoreTx } from './store.js';
import { outpointKey, type DepositRecord, type SweepFamily, type SweepInput, type SweepVersion, type WithdrawalRecord } from './types.js';

export interface PlanningRules {
  network: string;
  /** The current custody scriptPubKey, hex (output 0 of every sweep, and the custody input's). */
  custodyScriptPubKey: string;
  feeRateSatPerVb: number;
  limits?: PlanSweepParams['limits'];
  reclaimSafetyBlocks?: number;
  /** Blocks a broadcast version may stay unconfirmed before it is replaced (K, default 2). */
  rbfAfterBlocks: number;
  incrementalRelaySatPerVb?: number;
}

export type PlanOutcome =
  | { kind: 'planned'; version: SweepVersion; waiting: SweepWaiting[] }
  | { kind: 'nothing'; reason: string; waiting: SweepWaiting[] };

const depositCandidate = (d: DepositRecord, network: string): SweepDepositCandidate => {
  const spend = d.spend!;
  const base = { txid: d.txid, vout: d.vout, value: d.amountSats, maxFeeSats: d.maxFeeSats, scriptPubKey: hexToBytes(spend.scriptPubKey), confirmationHeight: d.blockHeight };
  if (spend.kind === 'custody-key-path') return { ...base, kind: 'custody-key-path' };
  const address = depositAddressFromScripts(network, hexToBytes(spend.depositScript!), hexToBytes(spend.reclaimScript!));
  return { ...base, kind: 'deposit-leaf', leafScript: address.depositLeaf.script, controlBlock: address.depositLeaf.controlBlock, reclaimLockBlocks: spend.lockBlocks! };
};

const withdrawalCandidate = (w: WithdrawalRecord) => ({ id: w.id, scriptPubKey: hexToBytes(w.scriptPubKey), amountSats: w.amountSats, maxFeeSats: w.maxFeeSats });

/** The persisted form of a built sweep. */
function versionOf(build: SweepBuild, plan: SweepPlan, o: { familyId: number; version: number; tipHeight: number; reclaimScripts: Map<string, string> }): SweepVersion {
  const inputs: SweepInput[] = build.tx.inputs.map((input, i) => {
    const spend = build.inputSpends[i]!;
    const prevout = build.prevouts[i]!;
    const ref = { txid: bytesToHex(Uint8Array.from(input.prevout.txid).reverse()), vout: input.prevout.vout };
    return {
      ...ref,
      value: prevout.value,
      scriptPubKey: bytesToHex(prevout.scriptPubKey),
      kind: spend.kind,
      ...(spend.kind === 'deposit-leaf'
        ? { leafScript: bytesToHex(spend.leafScript!), reclaimScript: o.reclaimScripts.get(outpointKey(ref))!, controlBlock: bytesToHex(spend.controlBlock!), leafHash: bytesToHex(spend.leafHash!) }
        : {}),
    };
  });
  return {
    txid: build.txid,
    familyId: o.familyId,
    version: o.version,
    status: 'planned',
    unsignedHex: build.hex,
    inputs,
    custodyOutputSats: build.custodyValue,
    payouts: plan.included.withdrawals.map((w, i) => ({ withdrawalId: w.id, scriptPubKey: bytesToHex(w.scriptPubKey), amountSats: w.amountSats, feeShareSats: build.feeShares.withdrawals[i]!, vout: 2 + i })),
    deposits: plan.included.deposits.map((d, i) => ({ txid: d.txid, vout: d.vout, amountSats: d.value, feeShareSats: build.feeShares.deposits[i]! })),
    feeSats: build.fee,
    feeRateSatPerVb: build.feeRate,
    vsize: build.vsize,
    plannedAtHeight: o.tipHeight,
  };
}

async function recordWaiting(tx: SweepStoreTx, waiting: readonly SweepWaiting[]): Promise<void> {
  for (const w of waiting) {
    if (w.ref.type === 'withdrawal') {
      const rec = await tx.getWithdrawal(w.ref.id);
      if (rec?.status === 'final' && rec.waitingReason !== w.reason) await tx.putWithdrawal({ ...rec, waitingReason: w.reason });
    } else {
      const rec = await tx.getDeposit(w.ref);
      if (rec && rec.waitingReason !== w.reason) await tx.putDeposit({ ...rec, waitingReason: w.reason });
    }
  }
}

/**
 * Plans the next family when none is in flight and the pipeline is not halted. The version, the withdrawals it
 * pays (→ queued) and the deposits it spends (→ in-sweep) are written in this one transaction.
 */
export async function planNextSweep(tx: SweepStoreTx, rules: PlanningRules): Promise<PlanOutcome> {
  const halt = await tx.halt();
  if (halt) return { kind: 'nothing', reason: `halted: ${halt.reason}`, waiting: [] };
  if ((await tx.familiesByStatus('active')).length > 0) return { kind: 'nothing', reason: 'a sweep is in flight', waiting: [] };
  const tip = await tx.tip();
  if (!tip) return { kind: 'nothing', reason: 'no Bitcoin tip yet', waiting: [] };
  const custody = await currentCustody(tx);
  const deposits = (await tx.depositsByState(['available'])).filter((d) => d.spend !== undefined);
  const withdrawals = await tx.withdrawalsByStatus(['final']);
  const reclaimScripts = new Map(deposits.filter((d) => d.spend?.reclaimScript).map((d) => [outpointKey(d), d.spend!.reclaimScript!]));
  const plan = planSweep({
    custodyScriptPubKey: hexToBytes(rules.custodyScriptPubKey),
    ...(custody ? { custodyInput: { txid: custody.txid, vout: custody.vout, value: custody.value } } : {}),
    deposits: deposits.map((d) => depositCandidate(d, rules.network)),
    withdrawals: withdrawals.map(withdrawalCandidate),
    feeRateSatPerVb: rules.feeRateSatPerVb,
    tipHeight: tip.height,
    ...(rules.limits ? { limits: rules.limits } : {}),
    ...(rules.reclaimSafetyBlocks !== undefined ? { reclaimSafetyBlocks: rules.reclaimSafetyBlocks } : {}),
  });
  await recordWaiting(tx, plan.waiting);
  if (!plan.build) return { kind: 'nothing', reason: 'nothing to sweep or pay', waiting: plan.waiting };

  const familyId = await tx.nextFamilyId();
  const family: SweepFamily = {
    id: familyId,
    status: 'active',
    createdAtHeight: tip.height,
    ...(custody ? { custodyInput: { txid: custody.txid, vout: custody.vout, value: custody.value } } : {}),
  };
  const version = versionOf(plan.build, plan, { familyId, version: 0, tipHeight: tip.height, reclaimScripts });
  await tx.putFamily(family);
  await tx.putVersion(version);
  for (const p of version.payouts) {
    const w = (await tx.getWithdrawal(p.withdrawalId))!;
    const { waitingReason: _, ...rest } = w;
    await tx.putWithdrawal({ ...rest, status: 'queued', sweepTxid: version.txid, payoutVout: p.vout, feeShareSats: p.feeShareSats });
    await tx.appendHistory({ withdrawalId: w.id, status: 'queued', detail: `in sweep ${version.txid} output ${p.vout}, fee share ${p.feeShareSats} sat`, sweepTxid: version.txid });
  }
  for (const d of version.deposits) {
    const rec = (await tx.getDeposit(d))!;
    const { waitingReason: _, ...rest } = rec;
    await tx.putDeposit({ ...rest, state: 'in-sweep' });
  }
  return { kind: 'planned', version, waiting: plan.waiting };
}

/**
 * The family's newest version was broadcast at least K blocks ago and is still unconfirmed: plan a replacement that
 * spends the same custody input (and only deposits the family already spends), at the market rate and at least the
 * RBF minimum. Withdrawals whose max fee no longer covers their share drop out and wait (the older versions may
 * still be mined and pay them: the confirmation decides).
 */
export async function planReplacement(tx: SweepStoreTx, familyId: number, rules: PlanningRules): Promise<PlanOutcome> {
  const halt = await tx.halt();
  if (halt) return { kind: 'nothing', reason: `halted: ${halt.reason}`, waiting: [] };
  const family = await tx.getFamily(familyId);
  const latest = await latestVersion(tx, familyId);
  const tip = await tx.tip();
  if (!family || family.status !== 'active' || !latest || !tip) return { kind: 'nothing', reason: 'no family in flight', waiting: [] };
  // A signed version no source would take (its fee is below their floor) is as stuck as an unmined one.
  if (latest.status !== 'broadcast' && latest.status !== 'signed') return { kind: 'nothing', reason: `version ${latest.txid} is ${latest.status}`, waiting: [] };
  if (tip.height < (latest.broadcastAtHeight ?? latest.plannedAtHeight) + rules.rbfAfterBlocks) return { kind: 'nothing', reason: 'not yet due for replacement', waiting: [] };
  // A family whose output a later family already spends is not replaced: that would orphan the later one.
  for (const other of await tx.familiesByStatus('active'))
    if (other.id !== familyId && other.custodyInput && (await tx.getVersion(other.custodyInput.txid))?.familyId === familyId)
      return { kind: 'nothing', reason: `family ${other.id} builds on it`, waiting: [] };

  const deposits: DepositRecord[] = [];
  for (const d of latest.deposits) {
    const rec = await tx.getDeposit(d);
    if (rec?.spend) deposits.push(rec);
  }
  const withdrawals: WithdrawalRecord[] = [];
  for (const p of latest.payouts) {
    const w = await tx.getWithdrawal(p.withdrawalId);
    if (w) withdrawals.push(w);
  }
  const reclaimScripts = new Map(deposits.filter((d) => d.spend?.reclaimScript).map((d) => [outpointKey(d), d.spend!.reclaimScript!]));
  const plan = planSweep({
    custodyScriptPubKey: hexToBytes(rules.custodyScriptPubKey),
    ...(family.custodyInput ? { custodyInput: family.custodyInput } : {}),
    deposits: deposits.map((d) => depositCandidate(d, rules.network)),
    withdrawals: withdrawals.map(withdrawalCandidate),
    feeRateSatPerVb: rules.feeRateSatPerVb,
    tipHeight: tip.height,
    // Already in flight: the reclaim margin was checked when they were first included.
    reclaimSafetyBlocks: 0,
    replaces: { fee: latest.feeSats, vsize: latest.vsize, ...(rules.incrementalRelaySatPerVb !== undefined ? { incrementalRelaySatPerVb: rules.incrementalRelaySatPerVb } : {}) },
    ...(rules.limits ? { limits: rules.limits } : {}),
  });
  if (!plan.build) return { kind: 'nothing', reason: 'no replacement possible at this rate', waiting: plan.waiting };
  // Without a custody input the versions conflict only through shared deposits.
  if (!family.custodyInput && plan.included.deposits.length === 0) return { kind: 'nothing', reason: 'a replacement would spend nothing the original spends', waiting: plan.waiting };
  const version = versionOf(plan.build, plan, { familyId, version: latest.version + 1, tipHeight: tip.height, reclaimScripts });
  await tx.putVersion(version);
  const kept = new Set(version.payouts.map((p) => p.withdrawalId));
  for (const w of plan.waiting) {
    if (w.ref.type === 'withdrawal' && !kept.has(w.ref.id)) await releaseWithdrawal(tx, w.ref.id, `dropped from RBF replacement ${version.txid}: ${w.reason}`);
  }
  return { kind: 'planned', version, waiting: plan.waiting };
}
