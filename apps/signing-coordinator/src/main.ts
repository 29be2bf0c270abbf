import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { hostPublicKey, SigningDriver } from '@tapbridge/signing';
import { CoordinatorApi } from './api.js';
import { AppModule } from './app.module.js';
import { coordinatorConfig } from './config.js';
import { custodyFor, type Custody } from './custody.js';
import { DkgRunner } from './dkg-runner.js';
import { groupKeyReady } from './metrics.js';
import { serveCoordinatorApi } from './nats-api.js';
import { SignerNetwork } from './signer-network.js';
import { signingObserver } from './signing-observer.js';
import { CoordinatorStore, type StoredGroupKey } from './store.js';

const logger = createLogger('signing-coordinator');
try {
  const config = loadConfig(coordinatorConfig);
  logger.info({ config: describeConfig(coordinatorConfig, config) }, 'configuration loaded');
  const runtime = await ServiceRuntime.startService({ service: 'signing-coordinator', config, logger, mainModuleUrl: import.meta.url });
  const store = new CoordinatorStore(runtime);
  const { seckey: hostSeckey, migrated } = await store.hostKey({ configured: config.COORDINATOR_HOST_KEY, passphrase: config.COORDINATOR_KEY_PASSPHRASE });
  if (migrated) logger.warn('the coordinator host key was stored in plain text by an earlier version: re-encrypted under COORDINATOR_KEY_PASSPHRASE');
  logger.info({ coordinatorPubkey: bytesToHex(hostPublicKey(hostSeckey)) }, 'coordinator host key (set it as COORDINATOR_PUBKEY on every signer)');
  const network = new SignerNetwork(runtime, config.SIGNER_COUNT, hostSeckey, {
    requestTimeoutMs: config.SIGNER_REQUEST_TIMEOUT_MS,
    livenessMs: config.SIGNER_LIVENESS_MS,
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
  });
  const existing = await store.groupKey();
  if (existing && (existing.groupKey.n !== config.SIGNER_COUNT || existing.groupKey.t !== config.SIGNER_THRESHOLD))
    throw new Error(`the stored group key is ${existing.groupKey.t}-of-${existing.groupKey.n} but SIGNER_THRESHOLD/SIGNER_COUNT say ${config.SIGNER_THRESHOLD}-of-${config.SIGNER_COUNT}`);
  await network.load(existing !== undefined);
  if (!existing && config.SIGNER_HOST_PUBKEYS.length > 0) await network.pin(config.SIGNER_HOST_PUBKEYS.map((k) => hexToBytes(k)));
  else if (!existing) logger.warn('SIGNER_HOST_PUBKEYS is not set: signer host keys are pinned from their first announcements (regtest only)');
  network.onProtocolViolation = (signer, sessionId, detail) =>
    void store
      .recordMisbehaviour({ sessionId: `${sessionId}:${Date.now()}`, signerId: signer, reason: 'protocol_violation', detail: detail.slice(0, 500) })
      .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'failed to record misbehaviour'));

  let custody: Custody | undefined;
  const settings = { network: config.BITCOIN_NETWORK, recoveryKeys: config.CUSTODY_RECOVERY_KEYS, recoveryThreshold: config.CUSTODY_RECOVERY_THRESHOLD, recoveryLock: config.CUSTODY_RECOVERY_LOCK };
  const signing = new SigningDriver({
    store: store.signing,
    transport: network,
    observer: signingObserver(logger),
    defaultTweak: () => custody?.tweak,
    signingTimeoutMs: config.SIGNING_TIMEOUT_MS,
    stallMs: config.ATTEMPT_STALL_MS,
    retryMs: config.SIGNER_RETRY_MS,
  });
  const useGroup = async (group: StoredGroupKey) => {
    custody = custodyFor(group.groupKey.xonly, settings);
    signing.setGroupKey(group.groupKey);
    groupKeyReady.set(1);
    logger.info({ groupKey: custody.groupKey, outputKey: custody.outputKey, address: custody.address, network: custody.network, recoveryLeaf: custody.recoveryLeaf !== null }, `custody address: ${custody.address}`);
    await signing.resumePending();
  };
  const api = new CoordinatorApi(signing, store.signing, network, () => custody);
  const dkg = new DkgRunner({ network, store, logger, t: config.SIGNER_THRESHOLD, coordinatorSeckey: hostSeckey, roundTimeoutMs: Math.max(10_000, config.SIGNER_REQUEST_TIMEOUT_MS) });
  let natsApi: Array<{ unsubscribe(): void }> = [];
  await bootstrapService({
    module: AppModule.forRoot(runtime, api) as never,
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge signing-coordinator',
    description: 'DKG on first start, ROAST threshold signing sessions, custody address; API over REST and NATS (rpc.signing.*)',
    onListening: async () => {
      network.start();
      natsApi = serveCoordinatorApi(runtime.messaging, api);
      if (existing) await useGroup(existing);
      else
        void dkg
          .run()
          .then((group) => (group ? useGroup(group) : undefined))
          .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'DKG loop failed'));
    },
    onShutdown: async () => {
      dkg.stop();
      for (const s of natsApi) s.unsubscribe();
      network.stop();
      await signing.stop();
    },
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
