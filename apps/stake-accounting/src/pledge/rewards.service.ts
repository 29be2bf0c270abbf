/**
 * Per-epoch rewards, run by a BullMQ repeatable job: every finished epoch (a newer one has started) without a
 * reward_run is paid in epoch order. The split is packages/stake's splitRewards over the epoch's set (members and
 * self bonds as chosen at its start; each member's delegations as indexed when the run happens, since the epoch
 * row keeps only their total); the pot is the epoch's fee income plus the dust the
 * fee pot carries. The run commits its reward_run row (the claim: a retried or repeated job finds it) and its ledger
 * transaction reward:<epoch> together, so a crash or a second worker pays nothing twice.
 *
 * Each member's uptime is the share of the coordinator's heartbeat probes it answered during the epoch (uptime.ts,
 * rpc.signing.uptime.get); if the coordinator cannot say, the run fails and is tried again on the next tick.
 * The fee income is measured on the L2 (fee-income.ts: what the coinbase collected during the epoch). Rewards are
 * owed in the ledger (reward:<address>) and credited on the L2 by SystemCallPublisher's creditRewards system call.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { JobQueue, redisConnection } from '@tapbridge/jobs';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { accounts, rewardTransaction, splitRewards, type RewardSigner } from '@tapbridge/stake';
import type { StakeAccountingConfig } from '../config.js';
import { StakeState } from '../indexing/stake-state.js';
import { PostgresLedger } from '../ledger/postgres-ledger.js';
import { withTransaction } from '@tapbridge/messaging';
import type { UptimeSource } from './uptime.js';

/** Where an epoch's fee income comes from (wei). */
export interface FeeIncome {
  forEpoch(epoch: number): Promise<bigint>;
}
export const FEE_INCOME = Symbol('FEE_INCOME');

interface StoredMember {
  address: string;
  hostPubkey: string;
  selfBond: string;
  delegated: string;
}

export class RewardRunner {
  constructor(
    private readonly o: { pool: ServiceRuntime['pool']; schema: string; ledger: PostgresLedger; income: FeeIncome; uptime: UptimeSource; commissionBps: number; state: StakeState },
  ) {}

  private t(table: string): string {
    return `"${this.o.schema}"."${table}"`;
  }

  /** Pays every finished, unpaid epoch in order; returns the epochs paid by this call. */
  async runDue(): Promise<number[]> {
    // An epoch runs from its start to the next one's (both as stake-accounting started them).
    const due = await this.o.pool.query<{ epoch: number; members: StoredMember[]; started_at: Date; ended_at: Date }>(
      `SELECT e.epoch, e.members, e.created_at AS started_at, (SELECT min(n.created_at) FROM ${this.t('epoch')} n WHERE n.epoch > e.epoch) AS ended_at
       FROM ${this.t('epoch')} e
       WHERE e.epoch < (SELECT max(epoch) FROM ${this.t('epoch')}) AND NOT EXISTS (SELECT 1 FROM ${this.t('reward_run')} r WHERE r.epoch = e.epoch)
       ORDER BY e.epoch`,
    );
    const paid: number[] = [];
    for (const row of due.rows) if (await this.pay(row.epoch, row.members, { from: row.started_at, to: row.ended_at })) paid.push(row.epoch);
    return paid;
  }

  async pay(epoch: number, members: StoredMember[], window: { from: Date; to: Date }): Promise<boolean> {
    const income = await this.o.income.forEpoch(epoch);
    // Measured, never assumed: a member without probes in the window counts 0 (uptime.ts).
    const uptime = await this.o.uptime.forWindow(window.from, window.to);
    const book = this.o.state.indexed;
    const signers: RewardSigner[] = members.map((m) => {
      const delegations = [...book.delegations.values()].filter((d) => d.signer === m.address).map((d) => ({ delegator: d.delegator, amount: d.amount }));
      return { address: m.address, selfBond: BigInt(m.selfBond), delegations, uptimeBps: uptime.get(m.hostPubkey.toLowerCase()) ?? 0 };
    });
    // Raw SQL: the claim (ON CONFLICT) and the ledger entry must commit on one pg transaction, after the pot is locked.
    return withTransaction(this.o.pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`stake-rewards:${this.o.schema}`]);
      const exists = await tx.query(`SELECT 1 FROM ${this.t('reward_run')} WHERE epoch = $1`, [epoch]);
      if ((exists.rowCount ?? 0) > 0) return false;
      const carried = await this.o.ledger.balance(accounts.feePot, 'WEI', tx);
      const split = splitRewards({ bridgeFeesWei: income, gasFeesWei: 0n, carriedWei: carried, commissionBps: this.o.commissionBps, signers });
      await tx.query(`INSERT INTO ${this.t('reward_run')} (epoch, income_wei, paid_wei, undistributed_wei, payouts) VALUES ($1, $2, $3, $4, $5::jsonb)`, [
        epoch,
        income.toString(),
        split.paid.toString(),
        split.undistributed.toString(),
        JSON.stringify(Object.fromEntries([...split.payouts].map(([a, v]) => [a, v.toString()]))),
      ]);
      if (income > 0n || split.paid > 0n) await this.o.ledger.postIn(tx, rewardTransaction(epoch, income, split));
      return true;
    });
  }
}

@Injectable()
export class RewardJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private queue: JobQueue<{ kind: 'rewards' }> | undefined;

  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(RewardRunner) private readonly runner: RewardRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const queue = new JobQueue<{ kind: 'rewards' }>('stake-rewards', { connection: redisConnection(this.config.REDIS_URL), prefix: `${this.config.STREAM_PREFIX}:bull`, logger: this.runtime.logger });
    this.queue = queue;
    queue.work(async () => {
      const paid = await this.runner.runDue();
      if (paid.length > 0) this.runtime.logger.info({ epochs: paid }, 'epoch rewards recorded');
    });
    await queue.schedule('stake-rewards-every', { everyMs: this.config.REWARD_INTERVAL_MS }, { name: 'rewards', data: { kind: 'rewards' } });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue?.close();
  }
}
