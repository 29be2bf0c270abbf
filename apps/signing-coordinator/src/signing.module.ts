// The coordinator's providers, built by DI: its store and identity, the signer network, the signing loop
// (packages/signing SigningDriver), the DKG runner and the API; CoordinatorLifecycle starts and drains them.
import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { hostPublicKey, SigningDriver } from '@tapbridge/signing';
import { CoordinatorApi } from './api.js';
import type { CoordinatorConfig } from './config.js';
import { custodyFor, type Custody } from './custody.js';
import { DkgRunner } from './dkg-runner.js';
import { EpochCustodyConsumer } from './epoch-custody.consumer.js';
import { EpochCustodyStore } from './epoch-custody.js';
import { MisbehaviourEvidence } from './evidence.js';
import { groupKeyReady } from './metrics.js';
import { PrismaService } from './prisma.service.js';
import { SignaturesController } from './signatures.controller.js';
import { SignerNetwork } from './signer-network.js';
import { SigningRpcController } from './signing.rpc.js';
import { UptimeRpcController } from './uptime.rpc.js';
import { signingObserver } from './signing-observer.js';
import { CoordinatorStore, type StoredGroupKey } from './store.js';

/** The coordinator's message-signing key (party 0): configured, or generated once and kept encrypted. */
export class CoordinatorIdentity {
  constructor(readonly hostSeckey: Uint8Array) {}

  static async load(store: CoordinatorStore, config: CoordinatorConfig, runtime: ServiceRuntime): Promise<CoordinatorIdentity> {
    const { seckey, migrated } = await store.hostKey({ configured: config.COORDINATOR_HOST_KEY, passphrase: config.COORDINATOR_KEY_PASSPHRASE });
    if (migrated) runtime.logger.warn('the coordinator host key was stored in plain text by an earlier version: re-encrypted under COORDINATOR_KEY_PASSPHRASE');
    runtime.logger.info({ coordinatorPubkey: bytesToHex(hostPublicKey(seckey)) }, 'coordinator host key (set it as COORDINATOR_PUBKEY on every signer)');
    return new CoordinatorIdentity(seckey);
  }
}

/** The group key found at start (none before the first DKG), checked against SIGNER_THRESHOLD/SIGNER_COUNT. */
export class StartupGroupKey {
  constructor(readonly group: StoredGroupKey | undefined) {}

  static async load(store: CoordinatorStore, config: CoordinatorConfig): Promise<StartupGroupKey> {
    const existing = await store.groupKey();
    if (existing && (existing.groupKey.n !== config.SIGNER_COUNT || existing.groupKey.t !== config.SIGNER_THRESHOLD))
      throw new Error(`the stored group key is ${existing.groupKey.t}-of-${existing.groupKey.n} but SIGNER_THRESHOLD/SIGNER_COUNT say ${config.SIGNER_THRESHOLD}-of-${config.SIGNER_COUNT}`);
    return new StartupGroupKey(existing);
  }
}

/** The custody output once a group key exists (the default tweak of every request, GET /custody). */
@Injectable()
export class CustodyState {
  current: Custody | undefined;
}

async function openSignerNetwork(runtime: ServiceRuntime, prisma: PrismaService, config: CoordinatorConfig, store: CoordinatorStore, identity: CoordinatorIdentity, startup: StartupGroupKey): Promise<SignerNetwork> {
  const network = new SignerNetwork(runtime, prisma, config.SIGNER_COUNT, identity.hostSeckey, {
    requestTimeoutMs: config.SIGNER_REQUEST_TIMEOUT_MS,
    livenessMs: config.SIGNER_LIVENESS_MS,
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
  });
  await network.load(startup.group !== undefined);
  if (!startup.group && config.SIGNER_HOST_PUBKEYS.length > 0) await network.pin(config.SIGNER_HOST_PUBKEYS.map((k) => hexToBytes(k)));
  else if (!startup.group) runtime.logger.warn('SIGNER_HOST_PUBKEYS is not set: signer host keys are pinned from their first announcements (regtest only)');
  network.onProtocolViolation = (signer, sessionId, detail) =>
    void store
      .recordMisbehaviour({ sessionId: `${sessionId}:${Date.now()}`, signerId: signer, reason: 'protocol_violation', detail: detail.slice(0, 500) })
      .catch((err: unknown) => runtime.logger.error({ err: (err as Error).message }, 'failed to record misbehaviour'));
  return network;
}

/** Starts the signer network and the DKG or the signing of pending requests; drains them on shutdown. */
@Injectable()
export class CoordinatorLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: CoordinatorConfig,
    @Inject(SignerNetwork) private readonly network: SignerNetwork,
    @Inject(SigningDriver) private readonly signing: SigningDriver,
    @Inject(DkgRunner) private readonly dkg: DkgRunner,
    @Inject(StartupGroupKey) private readonly startup: StartupGroupKey,
    @Inject(CustodyState) private readonly custody: CustodyState,
    @Inject(MisbehaviourEvidence) private readonly evidence: MisbehaviourEvidence,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.network.start();
    if (this.startup.group) await this.useGroup(this.startup.group);
    else
      void this.dkg
        .run()
        .then((group) => (group ? this.useGroup(group) : undefined))
        .catch((err: unknown) => this.runtime.logger.error({ err: (err as Error).message }, 'DKG loop failed'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.dkg.stop();
    this.network.stop();
    await this.signing.stop();
  }

  private async useGroup(group: StoredGroupKey): Promise<void> {
    const c = this.config;
    const custody = custodyFor(group.groupKey.xonly, { network: c.BITCOIN_NETWORK, recoveryKeys: c.CUSTODY_RECOVERY_KEYS, recoveryThreshold: c.CUSTODY_RECOVERY_THRESHOLD, recoveryLock: c.CUSTODY_RECOVERY_LOCK });
    this.custody.current = custody;
    this.signing.setGroupKey(group.groupKey);
    groupKeyReady.set(1);
    this.runtime.logger.info(
      { groupKey: custody.groupKey, outputKey: custody.outputKey, address: custody.address, network: custody.network, recoveryLeaf: custody.recoveryLeaf !== null },
      `custody address: ${custody.address}`,
    );
    // Not awaited: asking signers for attestations missing from an older group key must not hold up signing.
    void this.evidence.useGroup(group).catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'could not load the DKG attestations'));
    await this.signing.resumePending();
  }
}

@Module({
  controllers: [SignaturesController, SigningRpcController, UptimeRpcController],
  providers: [
    {
      provide: CoordinatorStore,
      inject: [PrismaService, RUNTIME],
      useFactory: (prisma: PrismaService, runtime: ServiceRuntime) => new CoordinatorStore({ prisma, schema: runtime.schema, afterCommit: () => runtime.relay.wake() }),
    },
    { provide: CoordinatorIdentity, inject: [CoordinatorStore, APP_CONFIG, RUNTIME], useFactory: CoordinatorIdentity.load },
    { provide: StartupGroupKey, inject: [CoordinatorStore, APP_CONFIG], useFactory: StartupGroupKey.load },
    { provide: SignerNetwork, inject: [RUNTIME, PrismaService, APP_CONFIG, CoordinatorStore, CoordinatorIdentity, StartupGroupKey], useFactory: openSignerNetwork },
    CustodyState,
    {
      provide: MisbehaviourEvidence,
      inject: [CoordinatorStore, SignerNetwork, CoordinatorIdentity, RUNTIME],
      useFactory: (store: CoordinatorStore, network: SignerNetwork, identity: CoordinatorIdentity, runtime: ServiceRuntime) => new MisbehaviourEvidence(store, network, identity.hostSeckey, runtime.logger),
    },
    {
      provide: SigningDriver,
      inject: [APP_CONFIG, RUNTIME, CoordinatorStore, SignerNetwork, CustodyState, MisbehaviourEvidence],
      useFactory: (config: CoordinatorConfig, runtime: ServiceRuntime, store: CoordinatorStore, network: SignerNetwork, custody: CustodyState, evidence: MisbehaviourEvidence) =>
        new SigningDriver({
          evidence: (x) => evidence.build(x),
          store: store.signing,
          transport: network,
          observer: signingObserver(runtime.logger),
          defaultTweak: () => custody.current?.tweak,
          signingTimeoutMs: config.SIGNING_TIMEOUT_MS,
          stallMs: config.ATTEMPT_STALL_MS,
          retryMs: config.SIGNER_RETRY_MS,
        }),
    },
    {
      provide: DkgRunner,
      inject: [APP_CONFIG, RUNTIME, CoordinatorStore, SignerNetwork, CoordinatorIdentity],
      useFactory: (config: CoordinatorConfig, runtime: ServiceRuntime, store: CoordinatorStore, network: SignerNetwork, identity: CoordinatorIdentity) =>
        new DkgRunner({ network, store, logger: runtime.logger, t: config.SIGNER_THRESHOLD, coordinatorSeckey: identity.hostSeckey, roundTimeoutMs: Math.max(10_000, config.SIGNER_REQUEST_TIMEOUT_MS) }),
    },
    {
      provide: CoordinatorApi,
      inject: [SigningDriver, CoordinatorStore, SignerNetwork, CustodyState],
      useFactory: (signing: SigningDriver, store: CoordinatorStore, network: SignerNetwork, custody: CustodyState) => new CoordinatorApi(signing, store.signing, network, () => custody.current),
    },
    CoordinatorLifecycle,
    {
      provide: EpochCustodyStore,
      inject: [PrismaService, RUNTIME],
      useFactory: (prisma: PrismaService, runtime: ServiceRuntime) => new EpochCustodyStore({ prisma, schema: runtime.schema }),
    },
    EpochCustodyConsumer,
  ],
})
export class SigningModule {}
