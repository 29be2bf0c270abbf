// Issue 11 (rotation), wiring: with CUSTODY_ROTATION on, the coordinator consumes stake.epoch.started and records
// each epoch's custody decision (EpochCustodyStore). The first epoch whose set and threshold are the running group's
// is that group's epoch (its DKG already happened at first start). A changed set makes the epoch's DKG due: it is
// recorded and reported; running it needs signers that keep one share per epoch, not built yet (README).
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import { stakeEpochStarted, type DecodedEvent } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import type { CoordinatorConfig } from './config.js';
import { EPOCH_CUSTODY_CONSUMER, EpochCustodyStore, type EpochStarted } from './epoch-custody.js';
import { CoordinatorStore } from './store.js';

@Injectable()
export class EpochCustodyConsumer implements OnApplicationBootstrap {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: CoordinatorConfig,
    @Inject(EpochCustodyStore) private readonly epochs: EpochCustodyStore,
    @Inject(CoordinatorStore) private readonly store: CoordinatorStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.CUSTODY_ROTATION) return;
    await this.runtime.consume({
      durable: EPOCH_CUSTODY_CONSUMER,
      stream: 'STAKE',
      subject: stakeEpochStarted.subject,
      maxAckPending: 1,
      backoffMs: [500, 1_000, 2_000, 5_000, 10_000],
      handle: (e) => this.onEpoch(e),
    });
  }

  private async onEpoch(e: DecodedEvent): Promise<void> {
    const payload = e.payload as EpochStarted;
    const plan = await this.epochs.onEpochStarted(payload, e.id);
    if (plan === null || plan.action === 'ignore') {
      if (plan) this.runtime.logger.info({ epoch: payload.epoch, reason: plan.reason }, 'stake.epoch.started: custody unchanged');
      return;
    }
    if (plan.action === 'carry') {
      this.runtime.logger.info({ epoch: plan.epoch, from: plan.from }, 'stake.epoch.started: same set and threshold, custody carried');
      return;
    }
    // The running group (first-start DKG) is this epoch's when it has exactly this set and threshold.
    const group = await this.store.groupKey();
    const same = group && group.groupKey.t === plan.t && group.hostPubkeys.length === plan.hostPubkeys.length && group.hostPubkeys.every((k, i) => bytesToHex(k) === plan.hostPubkeys[i]);
    if (group && same) {
      await this.epochs.completeDkg(plan.epoch, bytesToHex(group.groupKey.xonly));
      this.runtime.logger.info({ epoch: plan.epoch, groupKey: bytesToHex(group.groupKey.xonly) }, 'stake.epoch.started: the running group key is this epoch\'s custody');
      return;
    }
    this.runtime.logger.warn(
      { epoch: plan.epoch, t: plan.t, n: plan.hostPubkeys.length, previous: plan.previous },
      'stake.epoch.started: the signer set or threshold changed, the epoch\'s ChillDKG is due (recorded in custody_epoch; the ceremony among a new set is not run yet: signers keep one share)',
    );
  }
}
