// The read side of the API: withdrawal statuses, sweeps with the ids they pay, the pipeline's status.
import { Inject, Injectable } from '@nestjs/common';
import { bytesToHex, sweepPsbt, withdrawalIdsDigest } from '@tapbridge/bitcoin';
import { OUTFLOW_WAITING_PREFIX, stuckWithdrawals, withdrawalView } from '@tapbridge/sweeps';
import { OUTFLOW_WINDOW_MS } from '@tapbridge/signing';
import { BitcoinService } from './bitcoin.service.js';
import { InjectConfig } from '@tapbridge/runtime/nest';
import type { SweepCoordinatorConfig } from './config.js';
import { CustodyService } from './custody.service.js';
import type { PipelineStatus, PsbtView, SweepView, WithdrawalView, WithdrawalWithHistory } from './dto.js';
import { PipelineService } from './pipeline.service.js';
import { PostgresSweepStore } from './store/postgres-store.js';

@Injectable()
export class Queries {
  constructor(
    @Inject(PostgresSweepStore) private readonly store: PostgresSweepStore,
    @Inject(BitcoinService) private readonly bitcoin: BitcoinService,
    @Inject(CustodyService) private readonly custody: CustodyService,
    @Inject(PipelineService) private readonly pipeline: PipelineService,
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
  ) {}

  async withdrawal(id: bigint): Promise<WithdrawalWithHistory | undefined> {
    return this.store.transaction(async (tx) => {
      const w = await tx.getWithdrawal(id);
      if (!w) return undefined;
      const tip = await tx.tip();
      const history = await tx.historyOf(id);
      return { ...withdrawalView(w, tip?.height ?? 0, this.config.WITHDRAWAL_STUCK_BLOCKS), history: history.map((h) => ({ status: h.status, detail: h.detail, ...(h.sweepTxid ? { sweepTxid: h.sweepTxid } : {}) })) };
    });
  }

  async withdrawalsBySender(sender: string): Promise<WithdrawalView[]> {
    return this.store.transaction(async (tx) => {
      const tip = await tx.tip();
      return (await tx.withdrawalsBySender(sender)).map((w) => withdrawalView(w, tip?.height ?? 0, this.config.WITHDRAWAL_STUCK_BLOCKS));
    });
  }

  async sweep(txid: string, withMempool = true): Promise<SweepView | undefined> {
    const found = await this.store.transaction(async (tx) => {
      const v = await tx.getVersion(txid);
      if (!v) return undefined;
      const family = (await tx.getFamily(v.familyId))!;
      const later = (await tx.versionsOf(v.familyId)).find((o) => o.version > v.version && (o.status === 'broadcast' || o.status === 'confirmed'));
      return { v, family, later, tip: await tx.tip() };
    });
    if (!found) return undefined;
    const { v, family, later, tip } = found;
    const ids = v.payouts.map((p) => p.withdrawalId);
    const status = withMempool && (v.status === 'broadcast' || v.status === 'replaced') ? await this.bitcoin.txStatus(v.txid) : undefined;
    return {
      txid: v.txid,
      familyId: v.familyId,
      version: v.version,
      status: v.status,
      withdrawalIds: ids.map(String),
      commitmentDigest: bytesToHex(withdrawalIdsDigest(ids)),
      payouts: v.payouts.map((p) => ({ withdrawalId: p.withdrawalId.toString(), vout: p.vout, scriptPubKey: p.scriptPubKey, amountSats: p.amountSats.toString(), feeShareSats: p.feeShareSats.toString(), paidSats: (p.amountSats - p.feeShareSats).toString() })),
      deposits: v.deposits.map((d) => ({ txid: d.txid, vout: d.vout, amountSats: d.amountSats.toString(), feeShareSats: d.feeShareSats.toString() })),
      custodyInput: family.custodyInput ? { txid: family.custodyInput.txid, vout: family.custodyInput.vout } : null,
      custodyOutputSats: v.custodyOutputSats.toString(),
      feeSats: v.feeSats.toString(),
      feeRateSatPerVb: v.feeRateSatPerVb,
      vsize: v.vsize,
      plannedAtHeight: v.plannedAtHeight,
      broadcastAtHeight: v.broadcastAtHeight ?? null,
      block: v.confirmedBlock ?? null,
      confirmations: v.confirmedBlock && tip ? tip.height - v.confirmedBlock.height + 1 : 0,
      replacedBy: later?.txid ?? null,
      signingNote: v.signingNote ?? null,
      mempool: status ? { inMempool: status.inMempool, confirmed: status.confirmed } : null,
      rawTransaction: v.signedHex ?? null,
    };
  }

  /** The unsigned sweep as a PSBT (BIP174/BIP371 fields: witnessUtxo, tapInternalKey, tapMerkleRoot, tapLeafScript). */
  async psbt(txid: string): Promise<PsbtView | undefined> {
    const v = await this.store.transaction((tx) => tx.getVersion(txid));
    if (!v) return undefined;
    const custody = await this.custody.get();
    return { psbt: sweepPsbt(v, { custodyInternalKey: custody.groupKey, ...(custody.merkleRoot ? { custodyMerkleRoot: custody.merkleRoot } : {}) }) };
  }

  private outflowStatus(held: string[]) {
    const last = this.pipeline.outflow;
    return {
      limitBps: this.config.SWEEP_OUTFLOW_LIMIT_BPS,
      windowHours: OUTFLOW_WINDOW_MS / 3600_000,
      heldBack: held,
      lastPlan: last
        ? { at: last.at, reserveSats: last.reserveSats.toString(), limitSats: last.limitSats.toString(), paidOutInWindowSats: last.othersSats.toString(), headroomSats: last.headroomSats.toString(), plannedPayoutSats: last.payoutSats.toString() }
        : null,
    };
  }

  async status(): Promise<PipelineStatus> {
    return this.store.transaction(async (tx) => {
      const tip = await tx.tip();
      const halt = await tx.halt();
      const active = await tx.familiesByStatus('active');
      const inFlight = [];
      for (const f of active) {
        const versions = await tx.versionsOf(f.id);
        inFlight.push({ familyId: f.id, versions: versions.map((v) => ({ txid: v.txid, version: v.version, status: v.status, feeSats: v.feeSats.toString(), payouts: v.payouts.length })) });
      }
      const waiting = await tx.withdrawalsByStatus(['final']);
      return {
        status: halt ? 'halted' : inFlight.length > 0 ? 'sweep-in-flight' : 'idle',
        halted: halt ?? null,
        tip: tip ? { hash: tip.hash, height: tip.height } : null,
        feeRateSatPerVb: this.bitcoin.cachedFeeRate ?? null,
        custody: this.custody.current()?.address ?? null,
        inFlight,
        waitingWithdrawals: waiting.length,
        stuckWithdrawals: stuckWithdrawals(waiting, tip?.height ?? 0, this.config.WITHDRAWAL_STUCK_BLOCKS).map((w) => w.id.toString()),
        outflow: this.outflowStatus(waiting.filter((w) => w.waitingReason?.startsWith(OUTFLOW_WAITING_PREFIX)).map((w) => w.id.toString())),
        waitingReasons: Object.entries(waiting.reduce<Record<string, number>>((acc, w) => ({ ...acc, [w.waitingReason ?? 'unknown']: (acc[w.waitingReason ?? 'unknown'] ?? 0) + 1 }), {})).map(([reason, count]) => ({ reason, count })),
      };
    });
  }
}
