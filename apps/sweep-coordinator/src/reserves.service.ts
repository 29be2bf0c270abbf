// Proof of reserves and the invariant custody = L2 supply + pending withdrawals − fees paid, checked on a schedule
// and after every block, exported as metrics (infra/prometheus rules alert when it breaks).
import { Inject, Injectable, Logger } from '@nestjs/common';
import { computeReserves, currentCustody, OUTFLOW_WAITING_PREFIX, stuckWithdrawals, WITHDRAWAL_STATUSES, type Reserves } from '@tapbridge/sweeps';
import { BitcoinService } from './bitcoin.service.js';
import { InjectConfig } from '@tapbridge/runtime/nest';
import type { SweepCoordinatorConfig } from './config.js';
import { pipelineHalted, reservesCustody, reservesDiscrepancy, reservesHold, reservesSupply, withdrawalsByStatus, withdrawalsHeldByOutflow, withdrawalsStuck } from './metrics.js';
import type { ReservesReport } from './dto.js';
import { Peers } from './peers.js';
import { PostgresSweepStore } from './store/postgres-store.js';

@Injectable()
export class ReservesService {
  private readonly logger = new Logger('Reserves');

  constructor(
    @Inject(PostgresSweepStore) private readonly store: PostgresSweepStore,
    @Inject(Peers) private readonly peers: Peers,
    @Inject(BitcoinService) private readonly bitcoin: BitcoinService,
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
  ) {}

  /** Computes the invariant and exports it; throws when the L2 supply cannot be had (the metric is then left as is). */
  async check(): Promise<Reserves> {
    await this.refreshGauges();
    const l2 = await this.peers.l2Supply();
    // Custody as the deposit-indexer sees it on its own validated chain (every output paying the custody script:
    // our sweeps' change and simple-form deposits), plus the deposits still at their own addresses. Only when the
    // indexer cannot be asked does the pipeline's own record stand in.
    const indexer = await this.peers.indexerCustody().catch(() => undefined);
    const r = await this.store.transaction(async (tx) =>
      computeReserves({
        ...(indexer
          ? { custodyUtxo: { txid: '', vout: 0, value: BigInt(indexer.totalSats) } }
          : await currentCustody(tx).then((c) => (c ? { custodyUtxo: c } : {}))),
        unsweptDeposits: (await tx.depositsByState(['available', 'in-sweep'])).filter((d) => !indexer || d.spend?.kind !== 'custody-key-path'),
        l2,
        paidWithdrawals: await tx.withdrawalsByStatus(['confirmed', 'paid']),
        feesPaidSats: await tx.feesPaidSats(),
      }),
    );
    reservesDiscrepancy.set(Number(r.discrepancySats));
    reservesHold.set(r.holds ? 1 : 0);
    reservesCustody.set(Number(r.custodySats));
    reservesSupply.set(Number(r.l2SupplySats));
    if (!r.holds) this.logger.warn(`reserves invariant off by ${r.discrepancySats} sat (custody ${r.custodySats}, L2 ${r.l2SupplySats}, pending ${r.pendingWithdrawalsSats}, fees ${r.feesPaidSats})`);
    return r;
  }

  async refreshGauges(): Promise<void> {
    const { tip, all, halt } = await this.store.transaction(async (tx) => ({ tip: await tx.tip(), all: await tx.withdrawalsByStatus(WITHDRAWAL_STATUSES), halt: await tx.halt() }));
    for (const s of WITHDRAWAL_STATUSES) withdrawalsByStatus.set({ status: s }, all.filter((w) => w.status === s).length);
    withdrawalsStuck.set(stuckWithdrawals(all, tip?.height ?? 0, this.config.WITHDRAWAL_STUCK_BLOCKS).length);
    withdrawalsHeldByOutflow.set(all.filter((w) => w.status === 'final' && w.waitingReason?.startsWith(OUTFLOW_WAITING_PREFIX)).length);
    pipelineHalted.set(halt ? 1 : 0);
  }

  /** GET /reserves: every custody UTXO with its merkle proof, and the invariant's terms. */
  async report(): Promise<ReservesReport> {
    const { custody, deposits, feesPaid } = await this.store.transaction(async (tx) => ({
      custody: await currentCustody(tx),
      deposits: await tx.depositsByState(['available', 'in-sweep']),
      feesPaid: await tx.feesPaidSats(),
    }));
    const utxos: ReservesReport['custody']['utxos'] = [];
    if (custody) {
      const proof = await this.bitcoin.merkleProof(custody.txid, custody.block.hash);
      utxos.push({ kind: 'custody', txid: custody.txid, vout: custody.vout, amountSats: custody.value.toString(), blockHash: custody.block.hash, blockHeight: custody.block.height, merkleProof: proof ?? null });
    }
    for (const d of deposits) utxos.push({ kind: 'deposit', txid: d.txid, vout: d.vout, amountSats: d.amountSats.toString(), blockHash: d.blockHash, blockHeight: d.blockHeight, merkleProof: d.merkleProof });
    const total = utxos.reduce((s, u) => s + BigInt(u.amountSats), 0n);
    let r: Reserves | undefined;
    try {
      r = await this.check();
    } catch (err) {
      this.logger.warn(`L2 supply unavailable: ${(err as Error).message}`);
    }
    const indexer = await this.peers.indexerCustody().catch(() => undefined);
    return {
      custody: { totalSats: total.toString(), utxos },
      l2SupplySats: r ? r.l2SupplySats.toString() : null,
      pendingWithdrawalsSats: r ? r.pendingWithdrawalsSats.toString() : null,
      feesPaidSats: feesPaid.toString(),
      discrepancySats: r ? r.discrepancySats.toString() : null,
      invariantHolds: r ? r.holds : null,
      invariant: 'custody = L2 supply (mints − final burns) + pending withdrawals (final burns not yet paid) − fees paid by custody',
      ...(indexer ? { indexerCustody: { totalSats: indexer.totalSats, utxos: indexer.utxos.length } } : {}),
      checkedAt: new Date().toISOString(),
    };
  }
}
