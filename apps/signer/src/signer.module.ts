// One signer's providers, built by DI: its keys (SIGNER_DATA_DIR), the policies it signs under, the protocol
// (packages/signing SignerProtocol), the decision log, and SignerService, which serves the protocol on NATS from
// OnApplicationBootstrap and drains it in BeforeApplicationShutdown.
import { Module } from '@nestjs/common';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import { CHANNEL_PURPOSE, ChannelPolicy, DISBURSAL_PURPOSE, DevnetRawMessagePolicy, HeartbeatPolicy, PolicyRegistry, RegistryExpectedParticipants, RpcChannelView, RpcStakeRegistryView, SignerProtocol, StaticExpectedParticipants, SWEEP_PURPOSE, trustOnFirstUseAllowed, type KeyShare } from '@tapbridge/signing';
import type { SignerConfig } from './config.js';
import { SignerKeyStore } from './key-store.js';
import { DecisionLog, SignerService } from './signer-service.js';
import { PrismaService } from './prisma.service.js';
import { PostgresChannelSignedStore } from './signed-channel-store.js';
import { StatusController } from './status.controller.js';
import { SweepModule, GroupKeyRef } from './sweep.module.js';
import { SignerSweepView } from './sweep-view.js';

/** The signer's keys, loaded (or the host key created) before anything is served; a wrong passphrase stops the start. */
export class SignerKeys {
  constructor(
    readonly store: SignerKeyStore,
    readonly host: { seckey: Uint8Array; created: boolean },
    readonly share: KeyShare | undefined,
    /** The coordinator key: COORDINATOR_PUBKEY, or on regtest the one pinned on first use (none before that). */
    readonly coordinator: Uint8Array | undefined,
  ) {}

  static async load(config: SignerConfig, runtime: ServiceRuntime): Promise<SignerKeys> {
    const store = new SignerKeyStore(config.SIGNER_DATA_DIR, config.SIGNER_INDEX, config.SIGNER_KEY_PASSPHRASE);
    const host = await store.hostKey();
    const share = await store.share();
    // Outside regtest the config refuses to start without COORDINATOR_PUBKEY and the expected DKG participants.
    const coordinator = config.COORDINATOR_PUBKEY ? hexToBytes(config.COORDINATOR_PUBKEY) : trustOnFirstUseAllowed(config.BITCOIN_NETWORK) ? await store.coordinatorKey() : undefined;
    if (!coordinator) runtime.logger.warn('COORDINATOR_PUBKEY is not set: the coordinator key will be pinned on first use (regtest only)');
    return new SignerKeys(store, host, share, coordinator);
  }
}

/** The purposes this signer signs for, each with its policy; anything else is refused. */
function policiesFor(config: SignerConfig, runtime: ServiceRuntime, sweepView: SignerSweepView | null, groupKey: GroupKeyRef, prisma: PrismaService): PolicyRegistry {
  const policies = new PolicyRegistry().register('heartbeat', new HeartbeatPolicy());
  if (config.SIGNER_ALLOW_RAW_MESSAGES) {
    policies.register('message', new DevnetRawMessagePolicy());
    runtime.logger.warn('SIGNER_ALLOW_RAW_MESSAGES IS ON: this signer signs ANY 32-byte message for purpose "message", which may be a custody sighash (regtest only; refused on any other network)');
  }
  // The sweep policy (issue 9): every input of a sweep is checked from this signer's own view of Bitcoin and the L2.
  if (sweepView) policies.register(SWEEP_PURPOSE, sweepView.policy);
  // The emergency disbursal (issue 11): signed only as this signer rebuilds it; the sweep policy then requires it.
  if (sweepView?.disbursalPolicy) policies.register(DISBURSAL_PURPOSE, sweepView.disbursalPolicy);
  // The channel policy (issue 12): custody's half of a channel update only as the channel ledger executed it. The
  // highest-signed memory is in this signer's Postgres (signed_channel_state), so a restart cannot be used to have it
  // sign an older state again (packages/signing policy/channel.ts).
  if (config.SIGNER_CHANNEL_POLICY)
    policies.register(CHANNEL_PURPOSE, new ChannelPolicy({ groupKey: () => groupKey.xonly(), view: new RpcChannelView({ messaging: runtime.messaging }), signed: new PostgresChannelSignedStore(prisma), maxCustodyCloseFee: 10_000n }));
  return policies;
}

function protocolFor(config: SignerConfig, runtime: ServiceRuntime, keys: SignerKeys, policies: PolicyRegistry, decisions: DecisionLog, groupKey: GroupKeyRef): SignerProtocol {
  // Rotation (issue 11): the epoch's set from the stake registry, through this signer's own RPC view of it.
  const fromRegistry = config.SIGNER_PARTICIPANTS_FROM === 'registry';
  const expectedParticipants = fromRegistry
    ? new RegistryExpectedParticipants(new RpcStakeRegistryView({ messaging: runtime.messaging }))
    : StaticExpectedParticipants.fromConfig({ hostPubkeys: config.SIGNER_HOST_PUBKEYS, t: config.SIGNER_THRESHOLD, paramsHash: config.SIGNER_DKG_PARAMS_HASH });
  if (fromRegistry) runtime.logger.info('DKG participants are the current epoch\'s set from the stake registry (rpc.stake.epochs.current)');
  else if (config.SIGNER_HOST_PUBKEYS.length === 0 && !config.SIGNER_DKG_PARAMS_HASH)
    runtime.logger.warn('neither SIGNER_HOST_PUBKEYS nor SIGNER_DKG_PARAMS_HASH is set: this signer joins a DKG with any participant set (regtest only)');
  const protocol = new SignerProtocol({
    index: config.SIGNER_INDEX,
    n: config.SIGNER_COUNT,
    t: config.SIGNER_THRESHOLD,
    hostSeckey: keys.host.seckey,
    ...(keys.coordinator ? { coordinatorKey: keys.coordinator } : {}),
    trust: { expectedParticipants, allowTrustOnFirstUse: trustOnFirstUseAllowed(config.BITCOIN_NETWORK) },
    pinCoordinator: async (key) => {
      await keys.store.pinCoordinator(key);
      runtime.logger.warn({ coordinatorPubkey: Buffer.from(key).toString('hex') }, 'pinned the coordinator key on first use');
    },
    ...(keys.share ? { share: keys.share } : {}),
    policies,
    saveShare: (s) => keys.store.saveShare(s),
    onDecision: (d) => decisions.record(d),
    fault: config.SIGNER_FAULT,
  });
  groupKey.attach(protocol);
  runtime.logger.info({ hostKeyCreated: keys.host.created, hasShare: keys.share !== undefined }, 'keys loaded');
  return protocol;
}

@Module({
  imports: [SweepModule],
  controllers: [StatusController],
  providers: [
    { provide: SignerKeys, inject: [APP_CONFIG, RUNTIME], useFactory: SignerKeys.load },
    { provide: PolicyRegistry, inject: [APP_CONFIG, RUNTIME, SignerSweepView, GroupKeyRef, PrismaService], useFactory: policiesFor },
    DecisionLog,
    { provide: SignerProtocol, inject: [APP_CONFIG, RUNTIME, SignerKeys, PolicyRegistry, DecisionLog, GroupKeyRef], useFactory: protocolFor },
    SignerService,
  ],
})
export class SignerModule {}
