import { hexToBytes } from '@noble/hashes/utils.js';
import { describeConfig, loadConfig } from '@tapbridge/config';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { SWEEP_RECLAIM_SAFETY_BLOCKS } from '@tapbridge/bitcoin';
import { DevnetRawMessagePolicy, HeartbeatPolicy, OUTFLOW_WINDOW_MS, PolicyRegistry, SignerProtocol, StaticExpectedParticipants, SWEEP_PURPOSE, trustOnFirstUseAllowed } from '@tapbridge/signing';
import { AppModule } from './app.module.js';
import { signerConfig } from './config.js';
import { SignerKeyStore } from './key-store.js';
import { DecisionLog, SignerService } from './signer-service.js';
import { SignerSweepView } from './sweep-view.js';

const logger = createLogger('signer');
try {
  const config = loadConfig(signerConfig);
  const index = config.SIGNER_INDEX;
  logger.info({ config: describeConfig(signerConfig, config) }, 'configuration loaded');
  if (config.SIGNER_FAULT !== 'none') logger.warn({ fault: config.SIGNER_FAULT }, 'TEST FAULT INJECTION ENABLED: this signer misbehaves on purpose');

  const keys = new SignerKeyStore(config.SIGNER_DATA_DIR, index, config.SIGNER_KEY_PASSPHRASE);
  const host = await keys.hostKey();
  const share = await keys.share();
  // Outside regtest the config refuses to start without COORDINATOR_PUBKEY and the expected DKG participants.
  const allowTrustOnFirstUse = trustOnFirstUseAllowed(config.BITCOIN_NETWORK);
  const pinned = config.COORDINATOR_PUBKEY ? hexToBytes(config.COORDINATOR_PUBKEY) : allowTrustOnFirstUse ? await keys.coordinatorKey() : undefined;
  if (!pinned) logger.warn('COORDINATOR_PUBKEY is not set: the coordinator key will be pinned on first use (regtest only)');
  const expectedParticipants = StaticExpectedParticipants.fromConfig({ hostPubkeys: config.SIGNER_HOST_PUBKEYS, t: config.SIGNER_THRESHOLD, paramsHash: config.SIGNER_DKG_PARAMS_HASH });
  if (config.SIGNER_HOST_PUBKEYS.length === 0 && !config.SIGNER_DKG_PARAMS_HASH)
    logger.warn('neither SIGNER_HOST_PUBKEYS nor SIGNER_DKG_PARAMS_HASH is set: this signer joins a DKG with any participant set (regtest only)');

  const policies = new PolicyRegistry().register('heartbeat', new HeartbeatPolicy());
  if (config.SIGNER_ALLOW_RAW_MESSAGES) {
    policies.register('message', new DevnetRawMessagePolicy());
    logger.warn('SIGNER_ALLOW_RAW_MESSAGES IS ON: this signer signs ANY 32-byte message for purpose "message", which may be a custody sighash (regtest only; refused on any other network)');
  }

  const runtime = await ServiceRuntime.startService({ service: 'signer', instance: String(index), config, logger, mainModuleUrl: import.meta.url });
  const decisions = new DecisionLog(runtime);
  // The sweep policy (issue 9): every input of a sweep is checked from this signer's own view of Bitcoin and the L2.
  let sweepView: SignerSweepView | undefined;
  if (config.BTC_SOURCES && config.EVM_RPC_URL) {
    sweepView = new SignerSweepView(
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
      },
      runtime.pool,
      runtime.schema,
      () => protocol.share?.groupKey.xonly,
      logger,
    );
    policies.register(SWEEP_PURPOSE, sweepView.policy);
    await sweepView.start();
  } else {
    // The config refuses this outside regtest.
    logger.warn('BTC_SOURCES / EVM_RPC_URL not set: no sweep policy, this signer refuses every sweep (regtest only)');
  }
  const protocol = new SignerProtocol({
    index,
    n: config.SIGNER_COUNT,
    t: config.SIGNER_THRESHOLD,
    hostSeckey: host.seckey,
    ...(pinned ? { coordinatorKey: pinned } : {}),
    trust: { expectedParticipants, allowTrustOnFirstUse },
    pinCoordinator: async (key) => {
      await keys.pinCoordinator(key);
      logger.warn({ coordinatorPubkey: Buffer.from(key).toString('hex') }, 'pinned the coordinator key on first use');
    },
    ...(share ? { share } : {}),
    policies,
    saveShare: (s) => keys.saveShare(s),
    onDecision: (d) => decisions.record(d),
    fault: config.SIGNER_FAULT,
  });
  const signer = new SignerService(runtime, protocol, index, config.ANNOUNCE_INTERVAL_MS);
  logger.info({ hostKeyCreated: host.created, hasShare: share !== undefined }, 'keys loaded');
  await bootstrapService({
    module: AppModule.forRoot(runtime, protocol, { index, n: config.SIGNER_COUNT, t: config.SIGNER_THRESHOLD, purposes: policies.purposes(), ...(sweepView ? { sweep: () => sweepView.status() } : {}) }) as never,
    runtime,
    port: config.HTTP_PORT ?? 4100 + index,
    title: `tapbridge signer ${index}`,
    description: 'One FROST signer: DKG and ROAST signing over NATS, a policy check before every partial signature',
    onListening: () => signer.start(),
    onShutdown: async () => {
      await signer.stop();
      await sweepView?.stop();
    },
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
