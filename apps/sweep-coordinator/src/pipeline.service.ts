// The pipeline's loop, one pass at a time (a BullMQ worker with concurrency 1 runs it): finish what is in flight
// (ask for signatures, poll them, assemble and verify, broadcast), else plan the next sweep. Every step reads the
// persisted state and writes its result before the next side effect, so a pass interrupted anywhere (a crash, a
// restart) is resumed by the next one, and nothing is asked for, signed or sent twice in a way that could pay twice.
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  clearSignatureRequest, completeSigning, pendingSteps, planNextSweep, planReplacement, recordBroadcast, recordSignature, recordSignatureRequest,
  sighashRequest, sweepRequestContext, type PlanOutflow, type PlanOutcome, type PlanningRules, type SweepFamily, type SweepVersion,
} from '@tapbridge/sweeps';
import { OUTFLOW_WINDOW_MS } from '@tapbridge/signing';
import { BitcoinService } from './bitcoin.service.js';
import { InjectConfig } from '@tapbridge/runtime/nest';
import type { SweepCoordinatorConfig } from './config.js';
import { CrashPoints } from './crash-points.js';
import { CustodyService } from './custody.service.js';
import { DisbursalService } from './escape/disbursal.service.js';
import { outflowHeadroom, outflowLimit, signatureRefusals, sweepsBroadcast } from './metrics.js';
import { Peers } from './peers.js';
import { PostgresSweepStore } from './store/postgres-store.js';

@Injectable()
export class PipelineService {
  private readonly logger = new Logger('Pipeline');

  constructor(
    @Inject(PostgresSweepStore) private readonly store: PostgresSweepStore,
    @Inject(BitcoinService) private readonly bitcoin: BitcoinService,
    @Inject(CustodyService) private readonly custody: CustodyService,
    @Inject(Peers) private readonly peers: Peers,
    @Inject(CrashPoints) private readonly crash: CrashPoints,
    @Inject(DisbursalService) private readonly disbursals: DisbursalService,
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
  ) {}

  private async rules(): Promise<PlanningRules> {
    const custody = await this.custody.get();
    return {
      network: this.config.BITCOIN_NETWORK,
      custodyScriptPubKey: custody.scriptPubKey,
      feeRateSatPerVb: await this.bitcoin.feeRate(),
      limits: { maxDeposits: this.config.SWEEP_MAX_DEPOSITS, maxWithdrawals: this.config.SWEEP_MAX_WITHDRAWALS },
      rbfAfterBlocks: this.config.RBF_AFTER_BLOCKS,
      incrementalRelaySatPerVb: this.config.INCREMENTAL_RELAY_SAT_VB,
      outflow: { limitBps: this.config.SWEEP_OUTFLOW_LIMIT_BPS, windowMs: OUTFLOW_WINDOW_MS, now: new Date() },
    };
  }

  private lastOutflow: (PlanOutflow & { at: string }) | undefined;

  /** The outflow limit as the last planning pass saw it (for /status). */
  get outflow(): (PlanOutflow & { at: string }) | undefined {
    return this.lastOutflow;
  }

  private noteOutflow(outcome: PlanOutcome): void {
    if (!outcome.outflow) return;
    this.lastOutflow = { ...outcome.outflow, at: new Date().toISOString() };
    outflowHeadroom.set(Number(outcome.outflow.headroomSats));
    outflowLimit.set(Number(outcome.outflow.limitSats));
    if (outcome.outflow.deferred > 0)
      this.logger.warn(`outflow limit: ${outcome.outflow.deferred} withdrawals held back (limit ${outcome.outflow.limitSats} sat of reserve ${outcome.outflow.reserveSats} sat, ${outcome.outflow.othersSats} sat already out in the window)`);
  }

  /** One pass: progress every family in flight; plan the next one when none is. */
  async advance(): Promise<void> {
    const steps = await this.store.transaction((tx) => pendingSteps(tx));
    for (const step of steps) {
      if (step.kind === 'sign') await this.sign(step.family, step.version);
      else if (step.kind === 'broadcast') await this.broadcast(step.version);
    }
    if (steps.length > 0) return;
    const rules = { ...(await this.rules()), ...(await this.sweepableDeposits()) };
    const outcome = await this.store.transaction((tx) => planNextSweep(tx, rules));
    this.noteOutflow(outcome);
    if (outcome.kind === 'nothing') {
      if (outcome.waiting.length > 0) this.logger.log(`nothing planned (${outcome.reason}); ${outcome.waiting.length} requests waiting`);
      return;
    }
    const v = outcome.version;
    this.logger.log(`planned sweep ${v.txid} (family ${v.familyId}): ${v.inputs.length} inputs, ${v.payouts.length} payouts, fee ${v.feeSats} sat at ${v.feeRateSatPerVb.toFixed(3)} sat/vB; ${outcome.waiting.length} waiting`);
    this.crash.reached('after-plan', { txid: v.txid });
    const family = await this.store.transaction((tx) => tx.getFamily(v.familyId));
    await this.sign(family!, v);
  }

  /**
   * With capacity enforced on the L2 (EVM_MINT_CAPACITY=stake), only deposits it has minted may be swept: a deposit
   * held for capacity is not minted and must stay reclaimable by its owner. If the evm-gateway cannot say, no deposit
   * is swept this pass (withdrawals are still paid from custody).
   */
  private async sweepableDeposits(): Promise<Pick<PlanningRules, 'sweepableDeposits'>> {
    const available = await this.store.transaction((tx) => tx.depositsByState(['available']));
    if (available.length === 0) return {};
    const ids = available.map((d) => `${d.txid}:${d.vout}`);
    try {
      const { enforced, states } = await this.peers.depositMintStates(ids);
      if (!enforced) return {};
      const minted = ids.filter((id) => states[id] === 'minted');
      if (minted.length < ids.length) this.logger.log(`${ids.length - minted.length} deposits not swept: not minted on the L2 yet (held for capacity or not processed)`);
      return { sweepableDeposits: new Set(minted) };
    } catch (err) {
      this.logger.warn(`the evm-gateway did not say which deposits are minted (${(err as Error).message}): no deposit is swept this pass`);
      return { sweepableDeposits: new Set() };
    }
  }

  /** K blocks without a confirmation: replace (RBF) the newest version of each family in flight. */
  async bump(): Promise<void> {
    const families = await this.store.transaction((tx) => tx.familiesByStatus('active'));
    for (const family of families) {
      const rules = await this.rules();
      const outcome = await this.store.transaction((tx) => planReplacement(tx, family.id, rules));
      this.noteOutflow(outcome);
      if (outcome.kind === 'nothing') continue;
      const v = outcome.version;
      this.logger.log(`planned RBF replacement ${v.txid} (family ${family.id}, version ${v.version}): fee ${v.feeSats} sat at ${v.feeRateSatPerVb.toFixed(3)} sat/vB, ${v.payouts.length} payouts`);
      this.crash.reached('after-rbf-plan', { txid: v.txid });
      await this.sign(family, v);
    }
  }

  /** Sends the newest broadcast version of each family in flight again (mempools forget; a reorg brings it back). */
  async rebroadcast(): Promise<void> {
    const steps = await this.store.transaction((tx) => pendingSteps(tx));
    for (const s of steps) {
      if (s.kind !== 'track' || s.version.status !== 'broadcast' || !s.version.signedHex) continue;
      const out = await this.bitcoin.broadcast(s.version.signedHex);
      if (out.accepted.length > 0) sweepsBroadcast.inc({ kind: 'rebroadcast' });
      this.logger.log(`rebroadcast ${s.version.txid}: accepted by [${out.accepted.join(', ')}]${out.refused.length ? `, refused by ${JSON.stringify(out.refused)}` : ''}`);
    }
  }

  private async sign(family: SweepFamily, version: SweepVersion): Promise<void> {
    const custody = await this.custody.get();
    const keys = await this.custody.keys();
    // Issue 11: no input of a sweep is asked for before the disbursal of the custody output it creates is signed.
    const disbursal = this.disbursals.enabled ? await this.disbursals.ensureSigned(version) : undefined;
    if (this.disbursals.enabled && !disbursal) return;
    const context = { ...sweepRequestContext(version, family.custodyInput ? 0 : undefined), ...(disbursal ? { disbursal } : {}) };
    let v = version;
    let asked = 0;
    for (let i = 0; i < v.inputs.length; i++) {
      const input = v.inputs[i]!;
      if (input.signature) continue;
      if (!input.signatureRequestId) {
        const tweak = input.kind === 'deposit-leaf' ? { kind: 'none' as const } : custody.tweak;
        const id = await this.peers.requestSignature(sighashRequest(v, i), tweak, context);
        await this.store.transaction((tx) => recordSignatureRequest(tx, v.txid, i, id, new Date()));
        asked++;
        if (asked === 1) this.crash.reached('mid-signing', { txid: v.txid, inputIndex: i, requestId: id });
        continue;
      }
      const status = await this.peers.signature(input.signatureRequestId);
      if (status.status === 'signed' && status.signature) {
        const ok = await this.store.transaction((tx) => recordSignature(tx, v.txid, i, status.signature!, keys, new Date()));
        if (!ok) {
          this.logger.error(`signature ${input.signatureRequestId} for ${v.txid} input ${i} does not verify; asking again`);
          await this.store.transaction((tx) => clearSignatureRequest(tx, v.txid, i, `input ${i}: the returned signature did not verify`, new Date()));
        }
      } else if (status.status === 'failed') {
        signatureRefusals.inc();
        const note = `input ${i}: ${status.error ?? 'failed'}${status.refusals.length ? `; refusals: ${status.refusals.map((r) => `signer ${r.signer}: ${r.reason}`).join('; ')}` : ''}`;
        this.logger.warn(`signature request ${input.signatureRequestId} for ${v.txid} failed (${note}); asking again`);
        await this.store.transaction((tx) => clearSignatureRequest(tx, v.txid, i, note, new Date()));
      }
    }
    v = (await this.store.transaction((tx) => tx.getVersion(version.txid)))!;
    if (v.inputs.some((i) => !i.signature)) return;
    const signed = await this.store.transaction((tx) => completeSigning(tx, v.txid, keys));
    this.logger.log(`sweep ${signed.txid} signed: every signature verified locally; persisted before broadcast`);
    this.crash.reached('after-sign', { txid: signed.txid });
    await this.broadcast(signed);
  }

  private async broadcast(v: SweepVersion): Promise<void> {
    const out = await this.bitcoin.broadcast(v.signedHex!);
    if (out.accepted.length === 0) {
      this.logger.warn(`no source took ${v.txid} yet: ${JSON.stringify(out.refused)}`);
      return;
    }
    this.crash.reached('after-broadcast', { txid: v.txid });
    const tip = await this.store.transaction((tx) => tx.tip());
    await this.store.transaction((tx) => recordBroadcast(tx, v.txid, tip?.height ?? v.plannedAtHeight));
    sweepsBroadcast.inc({ kind: v.version === 0 ? 'new' : 'replacement' });
    this.logger.log(`sweep ${v.txid} broadcast (version ${v.version}): accepted by [${out.accepted.join(', ')}]`);
  }
}
