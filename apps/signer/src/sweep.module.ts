// The sweep policy's view (issue 9) as providers: SignerSweepView (sweep-view.ts) built from the config, its light
// client started before the signer listens and stopped after it stops.
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SWEEP_RECLAIM_SAFETY_BLOCKS } from '@tapbridge/bitcoin';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import { OUTFLOW_WINDOW_MS, type SignerProtocol } from '@tapbridge/signing';
import type { SignerConfig } from './config.js';
import { PrismaService } from './prisma.service.js';
import { PostgresSignedSweepStore } from './signed-sweep-store.js';
import { SignerSweepView } from './sweep-view.js';

/**
 * The signer's group key as the sweep policy reads it. The policy is built before the protocol that holds the key
 * (the protocol needs the policy registry), so the protocol is attached here once it exists.
 */
@Injectable()
export class GroupKeyRef {
  #protocol: SignerProtocol | undefined;

  attach(protocol: SignerProtocol): void {
    this.#protocol = protocol;
  }

  xonly(): Uint8Array | undefined {
    return this.#protocol?.share?.groupKey.xonly;
  }
}

/** The view every input of a sweep is checked from, or null when BTC_SOURCES / EVM_RPC_URL are unset (regtest only). */
function sweepViewFor(config: SignerConfig, runtime: ServiceRuntime, groupKey: GroupKeyRef, prisma: PrismaService): SignerSweepView | null {
  if (!config.BTC_SOURCES || !config.EVM_RPC_URL) {
    // The config refuses this outside regtest.
    runtime.logger.warn('BTC_SOURCES / EVM_RPC_URL not set: no sweep policy, this signer refuses every sweep (regtest only)');
    return null;
  }
  return new SignerSweepView(
    {
      network: config.BITCOIN_NETWORK,
      sources: config.BTC_SOURCES,
      ...(config.HEADER_CHECKPOINT ? { checkpoint: config.HEADER_CHECKPOINT } : {}),
      pollIntervalMs: config.BTC_POLL_INTERVAL_MS,
      evmRpcUrl: config.EVM_RPC_URL,
      bridgeAddress: config.EVM_BRIDGE_ADDRESS,
      finalityDepth: BigInt(config.EVM_FINALITY_DEPTH),
      logRange: BigInt(config.EVM_LOG_RANGE),
      custody: { network: config.BITCOIN_NETWORK, recoveryKeys: config.CUSTODY_RECOVERY_KEYS, recoveryThreshold: config.CUSTODY_RECOVERY_THRESHOLD, recoveryLock: config.CUSTODY_RECOVERY_LOCK },
      rules: {
        depositConfirmations: config.DEPOSIT_CONFIRMATIONS,
        custodyConfirmations: config.SWEEP_CUSTODY_CONFIRMATIONS,
        minFeeRate: config.SWEEP_MIN_FEE_RATE,
        maxFeeRate: config.SWEEP_MAX_FEE_RATE,
        outflowLimitBps: config.SWEEP_OUTFLOW_LIMIT_BPS,
        outflowWindowMs: OUTFLOW_WINDOW_MS,
        opReturnMaxFeeSats: config.OP_RETURN_MAX_FEE_SATS,
        reclaimSafetyBlocks: SWEEP_RECLAIM_SAFETY_BLOCKS,
      },
      ...(config.DISBURSAL_REQUIRED
        ? {
            disbursal: {
              lockBlocks: config.DISBURSAL_LOCK_BLOCKS,
              lockToleranceBlocks: config.DISBURSAL_LOCK_TOLERANCE_BLOCKS,
              minFeeRate: config.DISBURSAL_MIN_FEE_RATE,
              maxFeeRate: config.DISBURSAL_MAX_FEE_RATE,
              maxCheckpointAgeBlocks: BigInt(config.DISBURSAL_MAX_CHECKPOINT_AGE_BLOCKS),
            },
          }
        : {}),
    },
    new PostgresSignedSweepStore(prisma),
    () => groupKey.xonly(),
    runtime.logger,
  );
}

/**
 * Runs the view's light client while the app runs. SweepModule is imported by SignerModule, so Nest starts it before
 * the signer listens and stops it after the signer has drained.
 */
@Injectable()
export class SweepViewLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(SignerSweepView) private readonly view: SignerSweepView | null) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.view?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.view?.stop();
  }
}

@Module({
  providers: [
    GroupKeyRef,
    { provide: SignerSweepView, inject: [APP_CONFIG, RUNTIME, GroupKeyRef, PrismaService], useFactory: sweepViewFor },
    SweepViewLoop,
  ],
  exports: [GroupKeyRef, SignerSweepView],
})
export class SweepModule {}
