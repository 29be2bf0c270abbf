// At each new tip: if no sweep family is in flight, plan the next one from what is confirmed and unpaid
// (packages/bitcoin planSweep) and persist it, unsigned, before anything is asked of the signers. If the family in
// flight has not confirmed within K blocks, plan its replacement (same custody input, RBF fee). Either way only what
// the signers' outflow limit allows is paid (packages/signing sweep-outflow.ts: the rule they refuse with).
import {
  bytesToHex, depositAddressFromScripts, hexToBytes, planSweep, type PlanSweepParams, type SweepBuild, type SweepDepositCandidate, type SweepPlan, type SweepWaitCode,
  type SweepWaiting,
} from '@tapbridge/bitcoin';
import { outflowStanding, type OutflowEntry, type OutflowRule, type OutflowStanding } from '@tapbridge/signing';
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
  /** The signers' outflow limit (SWEEP_OUTFLOW_LIMIT_BPS, 24 h) and the time to judge the window at; absent = none. */
  outflow?: OutflowRule & { now: Date };
  /**
   * When the L2 enforces capacity: the deposits (`<txid>:<vout>`) that may be swept, i.e. those the L2 has minted. A
   * deposit held for capacity (held_capacity) is not minted and must stay reclaimable by its owner on Bitcoin, so it
   * is not swept until it is. Absent: every available deposit may be swept.
   */
  sweepableDeposits?: ReadonlySet<string>;
}

/** Why a request is not in the sweep: packages/bitcoin's reasons, and the signers' outflow limit. */
export type PlanWaitCode = SweepWaitCode | 'outflow-limit';
export type PlanWaiting = Omit<SweepWaiting, 'code'> & { code: PlanWaitCode };

/** The outflow standing of the planned sweep (or, when the limit held everything back, of the last attempt). */
export type PlanOutflow = OutflowStanding & { payoutSats: bigint; deferred: number };

export type PlanOutcome =
  | { kind: 'planned'; version: SweepVersion; waiting: PlanWaiting[]; outflow?: PlanOutflow }
  | { kind: 'nothing'; reason: string; waiting: PlanWaiting[]; outflow?: PlanOutflow };

/** Every waiting reason the outflow limit gives starts with this (API and metrics count them by it). */
export const OUTFLOW_WAITING_PREFIX = 'outflow limit:';

/** The signers group RBF versions by their input 0 (sweep-check.ts `spends`); so does the window here. */
const familyKey = (o: { txid: string; vout: number }): string => `${o.txid.toLowerCase()}:${o.vout}`;
const payoutSatsOf = (v: Pick<SweepVersion, 'payouts'>): bigint => v.payouts.reduce((sum, p) => sum + p.amountSats - p.feeShareSats, 0n);

/** The versions the signers may have signed within the window, as the outflow rule counts them. */
async function outflowEntries(tx: SweepStoreTx, rule: OutflowRule & { now: Date }): Promise<OutflowEntry[]> {
  const versions = await tx.versionsSigningSince(new Date(rule.now.getTime() - rule.windowMs));
  return versions.map((v) => ({ family: familyKey(v.inputs[0]!), payoutSats: payoutSatsOf(v), at: new Date(v.signingAt!) }));
}

/**
 * planSweep within the outflow limit: when the payouts exceed the headroom the signers would allow for a sweep with
 * these inputs, the oldest withdrawals (by id) that fit are kept and the rest wait with the reason; a withdrawal
 * larger than the whole limit does not hold the others back. Re-planned until the built sweep fits (dropping a
 * payout can change which deposits fit, hence the reserve).
 */
function planWithinOutflow(params: PlanSweepParams, rule: (OutflowRule & { now: Date }) | undefined, signed: readonly OutflowEntry[]): { plan: SweepPlan; waiting: PlanWaiting[]; outflow?: PlanOutflow } {
  const deferred = new Map<bigint, string>();
  let last: OutflowStanding | undefined;
  for (;;) {
    const plan = planSweep({ ...params, withdrawals: params.withdrawals.filter((w) => !deferred.has(w.id)) });
    const waiting: PlanWaiting[] = [...plan.waiting, ...[...deferred].map(([id, reason]) => ({ ref: { type: 'withdrawal' as const, id }, code: 'outflow-limit' as const, reason }))];
    // Everything held back and nothing else to do: the standing that held it back is the one to report.
    if (!rule || !plan.build) return { plan, waiting, ...(last ? { outflow: { ...last, payoutSats: 0n, deferred: deferred.size } } : {}) };
    const reserveSats = plan.build.prevouts.reduce((sum, p) => sum + p.value, 0n);
    const standing = outflowStanding({ rule, reserveSats, family: familyKey(inputRef(plan.build, 0)), signed, now: rule.now });
    const payoutSats = plan.included.withdrawals.reduce((sum, w, i) => sum + w.amountSats - plan.build!.feeShares.withdrawals[i]!, 0n);
    if (payoutSats <= standing.headroomSats) return { plan, waiting, outflow: { ...standing, payoutSats, deferred: deferred.size } };
    last = standing;
    const why = (what: string) =>
      `${OUTFLOW_WAITING_PREFIX} ${what}; the signers pay out at most ${rule.limitBps / 100}% of the reserve per ${rule.windowMs / 3600_000} h ` +
      `(${standing.limitSats} sat of ${standing.reserveSats} sat, ${standing.othersSats} sat already paid out in the window): waits for the window to roll on or the reserve to grow`;
    // Burned amounts bound the payouts from above, so what fits by amount fits by payout.
    let budget = standing.headroomSats;
    let full = false;
    for (const w of [...plan.included.withdrawals].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (w.amountSats > standing.limitSats) deferred.set(w.id, why(`${w.amountSats} sat exceeds the whole limit on its own`));
      else if (!full && w.amountSats <= budget) budget -= w.amountSats;
      else {
        full = true;
        deferred.set(w.id, why(`${w.amountSats} sat does not fit in the ${standing.headroomSats} sat left`));
      }
    }
  }
}

const depositCandidate = (d: DepositRecord, network: string): SweepDepositCandidate => {
  const spend = d.spend!;
  const base = { txid: d.txid, vout: d.vout, value: d.amountSats, maxFeeSats: d.maxFeeSats, scriptPubKey: hexToBytes(spend.scriptPubKey), confirmationHeight: d.blockHeight };
  if (spend.kind === 'custody-key-path') return { ...base, kind: 'custody-key-path' };
  const address = depositAddressFromScripts(network, hexToBytes(spend.depositScript!), hexToBytes(spend.reclaimScript!));
  return { ...base, kind: 'deposit-leaf', leafScript: address.depositLeaf.script, controlBlock: address.depositLeaf.controlBlock, reclaimLockBlocks: spend.lockBlocks! };
};

const withdrawalCandidate = (w: WithdrawalRecord) => ({ id: w.id, scriptPubKey: hexToBytes(w.scriptPubKey), amountSats: w.amountSats, maxFeeSats: w.maxFeeSats });

/** The outpoint input `i` of a built sweep spends (display hex txid). */
const inputRef = (build: SweepBuild, i: number): { txid: string; vout: number } => {
  const prevout = build.tx.inputs[i]!.prevout;
  return { txid: bytesToHex(Uint8Array.from(prevout.txid).reverse()), vout: prevout.vout };
};

/** The persisted form of a built sweep. */
function versionOf(build: SweepBuild, plan: SweepPlan, o: { familyId: number; version: number; tipHeight: number; reclaimScripts: Map<string, string> }): SweepVersion {
  const inputs: SweepInput[] = build.tx.inputs.map((_input, i) => {
    const spend = build.inputSpends[i]!;
    const prevout = build.prevouts[i]!;
    const ref = inputRef(build, i);
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

async function recordWaiting(tx: SweepStoreTx, waiting: readonly PlanWaiting[]): Promise<void> {
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
  if (halt) {
    // Every waiting withdrawal says why nothing moves (until an operator resolves the halt).
    const reason = `the pipeline is halted: ${halt.reason}`;
    for (const w of await tx.withdrawalsByStatus(['final'])) if (w.waitingReason !== reason) await tx.putWithdrawal({ ...w, waitingReason: reason });
    return { kind: 'nothing', reason: `halted: ${halt.reason}`, waiting: [] };
  }
  if ((await tx.familiesByStatus('active')).length > 0) return { kind: 'nothing', reason: 'a sweep is in flight', waiting: [] };
  const tip = await tx.tip();
  if (!tip) return { kind: 'nothing', reason: 'no Bitcoin tip yet', waiting: [] };
  const custody = await currentCustody(tx);
  const deposits = (await tx.depositsByState(['available'])).filter((d) => d.spend !== undefined && (rules.sweepableDeposits === undefined || rules.sweepableDeposits.has(outpointKey(d))));
  const withdrawals = await tx.withdrawalsByStatus(['final']);
  const reclaimScripts = new Map(deposits.filter((d) => d.spend?.reclaimScript).map((d) => [outpointKey(d), d.spend!.reclaimScript!]));
  const { plan, waiting, outflow } = planWithinOutflow(
    {
      custodyScriptPubKey: hexToBytes(rules.custodyScriptPubKey),
      ...(custody ? { custodyInput: { txid: custody.txid, vout: custody.vout, value: custody.value } } : {}),
      deposits: deposits.map((d) => depositCandidate(d, rules.network)),
      withdrawals: withdrawals.map(withdrawalCandidate),
      feeRateSatPerVb: rules.feeRateSatPerVb,
      tipHeight: tip.height,
      ...(rules.limits ? { limits: rules.limits } : {}),
      ...(rules.reclaimSafetyBlocks !== undefined ? { reclaimSafetyBlocks: rules.reclaimSafetyBlocks } : {}),
    },
    rules.outflow,
    rules.outflow ? await outflowEntries(tx, rules.outflow) : [],
  );
  await recordWaiting(tx, waiting);
  const held = waiting.filter((w) => w.code === 'outflow-limit').length;
  if (!plan.build) return { kind: 'nothing', reason: held > 0 ? `${held} withdrawals held back by the outflow limit; nothing else to sweep or pay` : 'nothing to sweep or pay', waiting, ...(outflow ? { outflow } : {}) };

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
  return { kind: 'planned', version, waiting, ...(outflow ? { outflow } : {}) };
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
  const { plan, waiting, outflow } = planWithinOutflow(
    {
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
    },
    rules.outflow,
    rules.outflow ? await outflowEntries(tx, rules.outflow) : [],
  );
  if (!plan.build) return { kind: 'nothing', reason: 'no replacement possible at this rate', waiting, ...(outflow ? { outflow } : {}) };
  // Without a custody input the versions conflict only through shared deposits.
  if (!family.custodyInput && plan.included.deposits.length === 0) return { kind: 'nothing', reason: 'a replacement would spend nothing the original spends', waiting };
  const version = versionOf(plan.build, plan, { familyId, version: latest.version + 1, tipHeight: tip.height, reclaimScripts });
  await tx.putVersion(version);
  const kept = new Set(version.payouts.map((p) => p.withdrawalId));
  for (const w of waiting) {
    if (w.ref.type === 'withdrawal' && !kept.has(w.ref.id)) await releaseWithdrawal(tx, w.ref.id, `dropped from RBF replacement ${version.txid}: ${w.reason}`);
  }
  return { kind: 'planned', version, waiting, ...(outflow ? { outflow } : {}) };
}
