/**
 * Slashing on proof only. A signing.misbehaviour report is recorded whatever it says; it becomes a slash only when it
 * carries evidence that packages/stake's verifyEvidence accepts, signed by the host key of a bonded signer (the
 * signing-coordinator attaches it to invalid-partial-signature reports; a report without it stays 'unproven').
 *
 * A slash is decided once per evidence id (the slash table's key; a replayed report or the same offence packaged
 * again is a 'duplicate'), jails the signer for JAIL_EPOCHS epochs after the current one at once (it leaves the next
 * set), and keeps the evidence so GET /slashes/:id serves it for offline checking. The stake moves when the staking
 * contract's StakeSlashed logs are indexed (the sequencer's system slash call, slashCallArgs of the decision); until
 * then the decided debits count as pending (StakeState): the signer's stake, collateral and the next set drop at once,
 * and not a second time when the L2's logs arrive.
 */
import { Inject, Injectable } from '@nestjs/common';
import { claimEvent, prismaExecutor, signingMisbehaviour, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { evidenceIdHash, planSlash, signerByHostKey, verifyEvidence, type PendingSlash, type SlashingConfig } from '@tapbridge/stake';
import type { StakeAccountingConfig } from '../config.js';
import { metrics } from '../metrics.js';
import { StakeState } from '../indexing/stake-state.js';
import { PrismaService } from '../prisma.service.js';
import { EpochsService } from './epochs.service.js';

export const MISBEHAVIOUR_CONSUMER = 'stake-accounting-misbehaviour';
type Report = EventPayload<typeof signingMisbehaviour>;
export type ReportOutcome = { status: 'unproven' | 'slash_planned' | 'duplicate' | 'rejected'; reason: string; evidenceId?: string } | { status: 'replayed' };

@Injectable()
export class SlashingService {
  readonly slashingConfig: SlashingConfig;

  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(StakeState) private readonly state: StakeState,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(EpochsService) private readonly epochs: EpochsService,
  ) {
    this.slashingConfig = {
      rateBps: { invalid_partial_signature: config.SLASH_RATE_INVALID_PARTIAL_BPS, equivocation: config.SLASH_RATE_EQUIVOCATION_BPS, liveness: config.SLASH_RATE_LIVENESS_BPS },
      jailEpochs: config.JAIL_EPOCHS,
    };
  }

  /** Handles one report (exactly once per event id: the inbox claim commits with what it records). */
  async onReport(report: Report, eventId: string): Promise<ReportOutcome> {
    const decision = await this.decide(report);
    const outcome = await this.prisma.$transaction(async (tx): Promise<ReportOutcome> => {
      if (!(await claimEvent(prismaExecutor(tx), this.runtime.schema, MISBEHAVIOUR_CONSUMER, eventId))) return { status: 'replayed' };
      let result: ReportOutcome = decision.outcome;
      if (decision.slash) {
        // The evidence id is the slash's key: a second report of the same offence finds it taken.
        // Raw SQL: an advisory lock per signer (Prisma has none), so the jail check below and the insert are serialised.
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`stake-slash:${decision.slash.signer}`}))::text`;
        const taken = await tx.slash.findUnique({ where: { evidenceId: decision.slash.evidenceId }, select: { evidenceId: true } });
        // One slash per jail term, checked in the table too (two reports decided concurrently, or before a restart,
        // must not both slash): a fault repeated over many sessions before the signer leaves the set costs one slash.
        const jailed = taken ? null : await tx.slash.findFirst({ where: { signer: decision.slash.signer, jailedUntilEpoch: { gt: decision.slash.epoch } }, select: { evidenceId: true } });
        if (taken) result = { status: 'duplicate', reason: 'this evidence id was already slashed', evidenceId: decision.slash.evidenceId };
        else if (jailed) result = { status: 'rejected', reason: `the signer is already jailed for an earlier offence (${jailed.evidenceId})`, evidenceId: decision.slash.evidenceId };
        else await tx.slash.create({ data: decision.slash });
      }
      await tx.misbehaviourReport.create({
        data: { eventId, sessionId: report.sessionId, signerIndex: report.signerId, reason: report.reason, detail: report.detail, status: result.status === 'replayed' ? 'duplicate' : result.status, statusReason: 'reason' in result ? result.reason : '', evidenceId: 'evidenceId' in result ? (result.evidenceId ?? null) : null },
      });
      return result;
    });
    if (outcome.status === 'slash_planned' && decision.slash) {
      this.state.jail(decision.slash.signer, decision.slash.jailedUntilEpoch);
      // Counts from now on (collateral, epochs, the API) until the L2 applies it: see StakeState.
      this.state.slashDecided({ evidenceIdHash: decision.slash.evidenceIdHash, signer: decision.slash.signer, debits: decision.pending });
    }
    if (outcome.status !== 'replayed') metrics.reports.inc({ status: outcome.status });
    if (outcome.status === 'slash_planned' && decision.slash) metrics.slashes.inc({ offence: decision.slash.offence });
    this.runtime.logger[outcome.status === 'slash_planned' ? 'warn' : 'info']({ eventId, signerIndex: report.signerId, reason: report.reason, ...outcome }, 'misbehaviour report handled');
    return outcome;
  }

  private async decide(report: Report): Promise<{ outcome: ReportOutcome; slash?: Parameters<PrismaService['slash']['create']>[0]['data']; pending: PendingSlash['debits'] }> {
    if (report.evidence === undefined) return { outcome: { status: 'unproven', reason: 'the report carries no evidence; nothing is slashed without proof' }, pending: [] };
    const verdict = verifyEvidence(report.evidence, {
      ...(this.config.COORDINATOR_PUBKEY ? { coordinatorHostPubkey: this.config.COORDINATOR_PUBKEY } : {}),
      liveness: { windowSize: this.config.LIVENESS_WINDOW, maxMisses: this.config.LIVENESS_MAX_MISSES },
    });
    if (!verdict.valid) return { outcome: { status: 'rejected', reason: `evidence does not verify: ${verdict.reason}` }, pending: [] };
    // A liveness record is the coordinator's word alone: without a trusted coordinator key anyone could write one.
    if (verdict.offence === 'liveness' && !this.config.COORDINATOR_PUBKEY) return { outcome: { status: 'rejected', reason: 'liveness evidence needs COORDINATOR_PUBKEY (the trusted coordinator key)', evidenceId: verdict.evidenceId }, pending: [] };
    const book = this.state.book;
    const signer = signerByHostKey(book, verdict.signerHostPubkey);
    if (signer === undefined) return { outcome: { status: 'rejected', reason: `host key ${verdict.signerHostPubkey} is not bonded`, evidenceId: verdict.evidenceId }, pending: [] };
    const epoch = (await this.epochs.currentEpoch()) ?? 0;
    const slashed = new Set((await this.prisma.slash.findMany({ where: { evidenceId: verdict.evidenceId }, select: { evidenceId: true } })).map((s) => s.evidenceId));
    const plan = planSlash(this.slashingConfig, book, { evidenceId: verdict.evidenceId, offence: verdict.offence, signer: signer.address, epoch }, slashed, BigInt(Math.floor(Date.now() / 1000)));
    if (plan.status === 'duplicate') return { outcome: { status: 'duplicate', reason: 'this evidence id was already slashed', evidenceId: verdict.evidenceId }, pending: [] };
    if (plan.status !== 'slash') return { outcome: { status: 'rejected', reason: plan.status === 'already_jailed' ? 'the signer is already jailed for an earlier offence' : 'unknown signer', evidenceId: verdict.evidenceId }, pending: [] };
    return {
      pending: plan.debits,
      outcome: { status: 'slash_planned', reason: verdict.summary, evidenceId: verdict.evidenceId },
      slash: {
        evidenceId: verdict.evidenceId,
        evidenceIdHash: evidenceIdHash(verdict.evidenceId),
        offence: verdict.offence,
        signer: signer.address,
        hostPubkey: signer.hostPubkey,
        epoch,
        jailedUntilEpoch: plan.jailedUntilEpoch,
        plannedTotal: plan.total.toString(),
        debits: plan.debits.map((d) => ({ kind: d.kind, owner: d.owner, ...(d.unbondingId !== undefined ? { unbondingId: d.unbondingId.toString() } : {}), before: d.before.toString(), amount: d.amount.toString() })),
        evidence: report.evidence as object,
      },
    };
  }
}
