/**
 * stake-accounting's decisions for the L2, published as stake.system.call (the evm-gateway's sequencer applies each
 * to the staking contract once per decision id: packages/evm system-calls.ts). Every round it (re)enqueues, through
 * the outbox, one event per decided slash (slash table) and per paid epoch (reward_run); the outbox's event id is
 * the decision id, so a decision is published once however many rounds see it, and a crash between deciding and
 * publishing is covered by the next round. Unbonding releases (unbonding_release, decided by
 * UnbondingReleaseService) go out the same way, as releaseUnbonding(below), id release:<below>.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { systemCallId, systemCallJson, type SystemCall } from '@tapbridge/evm';
import { enqueueEvent, stakeSystemCall, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { evidenceIdHash } from '@tapbridge/stake';
import { z } from 'zod';
import type { StakeAccountingConfig } from '../config.js';
import { PrismaService } from '../prisma.service.js';

const debits = z.array(z.object({ kind: z.enum(['self', 'delegation', 'unbonding']), owner: z.string(), unbondingId: z.string().optional(), amount: z.string() }));
const payouts = z.record(z.string(), z.string());

/** The slash call of a stored slash decision (its debits as planned). */
export function slashCall(row: { evidenceId: string; signer: string; debits: unknown }): SystemCall {
  const d = debits.parse(row.debits);
  const of = (kind: string) => d.filter((x) => x.kind === kind);
  return {
    kind: 'slash', evidenceIdHash: evidenceIdHash(row.evidenceId), signer: row.signer,
    selfAmount: of('self').reduce((a, x) => a + BigInt(x.amount), 0n),
    delegators: of('delegation').map((x) => x.owner), delegatorAmounts: of('delegation').map((x) => BigInt(x.amount)),
    unbondingIds: of('unbonding').map((x) => BigInt(x.unbondingId ?? '0')), unbondingAmounts: of('unbonding').map((x) => BigInt(x.amount)),
  };
}

/** The reward credit of a paid epoch: its payouts, funded with exactly their sum. */
export function rewardCall(row: { epoch: number; payouts: unknown }): SystemCall {
  const p = Object.entries(payouts.parse(row.payouts)).filter(([, v]) => v !== '0');
  const amounts = p.map(([, v]) => BigInt(v));
  return { kind: 'credit_rewards', epoch: BigInt(row.epoch), recipients: p.map(([a]) => a), amounts, valueWei: amounts.reduce((a, b) => a + b, 0n) };
}

/** The release of every unbonding entry with id < below. */
export function releaseCall(row: { below: { toFixed(): string } | string | bigint }): SystemCall {
  const below = typeof row.below === 'object' ? row.below.toFixed() : row.below;
  return { kind: 'release_unbonding', below: BigInt(below) };
}

@Injectable()
export class SystemCallPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectConfig() private readonly config: StakeAccountingConfig,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(PrismaService) private readonly prisma: PrismaService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running = this.publish().catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'publishing stake system calls failed; retried'));
    }, this.config.CAPACITY_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Enqueues every decision not yet in the outbox; returns how many were new. */
  async publish(): Promise<number> {
    const [slashes, releases, runs] = await Promise.all([
      this.prisma.slash.findMany({ select: { evidenceId: true, signer: true, debits: true }, orderBy: { createdAt: 'asc' } }),
      this.prisma.unbondingRelease.findMany({ select: { below: true }, orderBy: { below: 'asc' } }),
      this.prisma.rewardRun.findMany({ select: { epoch: true, payouts: true }, orderBy: { epoch: 'asc' } }),
    ]);
    const payloads: EventPayload<typeof stakeSystemCall>[] = [];
    for (const call of [...slashes.map(slashCall), ...releases.map(releaseCall), ...runs.map(rewardCall)]) {
      try {
        // The wire form of a stake call, checked against stake.system.call's schema (the L2 has other system calls too).
        payloads.push(stakeSystemCall.schema.parse(systemCallJson(call)));
      } catch (err) {
        // e.g. an epoch paying more recipients than one call may carry: the contract takes one credit per epoch.
        this.runtime.logger.error({ alert: 'stake_system_call_unpublishable', id: systemCallId(call), err: (err as Error).message }, 'ALERT: a stake decision cannot be sent to the L2');
      }
    }
    let fresh = 0;
    await this.runtime.transaction(async (tx) => {
      for (const payload of payloads) if (await enqueueEvent(tx, this.runtime.schema, stakeSystemCall, payload)) fresh++;
    });
    if (fresh > 0) this.runtime.logger.info({ published: fresh }, 'stake system calls published');
    return fresh;
  }
}
