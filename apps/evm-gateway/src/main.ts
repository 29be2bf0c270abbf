import { describeConfig, loadConfig } from '@tapbridge/config';
import { BRIDGE_ADDRESS, EvmEngine, MAX_MINTS_PER_BLOCK, PostgresChainStore, startJsonRpcServer } from '@tapbridge/evm';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { AppModule } from './app.module.js';
import { chooseChain, DEV_ACCOUNT_BALANCE_WEI } from './chain.js';
import { assertChainIdentity, configuredChainIdentity } from './chain-identity.js';
import { evmGatewayConfig } from './config.js';
import { DepositMinter, MINT_CONSUMER } from './deposit-minter.js';
import { CoordinatorCustody, NatsHeaderChain } from './deposit-proof.js';
import { GatewayQueries } from './gateway-queries.js';
import { observeEngine, wsSlowConsumersDropped } from './metrics.js';
import { serveGatewayQueries } from './nats-api.js';
import { WithdrawalFinalizer } from './withdrawal-finalizer.js';

const logger = createLogger('evm-gateway');
/**
 * How long a delivered deposit event may stay unacked before JetStream redelivers it. The consumer keeps what it holds
 * alive meanwhile (working), so this only bounds how long a crashed process holds the stream.
 */
const MINT_ACK_WAIT_MS = 5_000;
/** Deposit events handed over at once: a Bitcoin block's deposits, credited in one L2 block (MAX_MINTS_PER_BLOCK). */
const MINT_BATCH = MAX_MINTS_PER_BLOCK;
try {
  const config = loadConfig(evmGatewayConfig);
  logger.info({ config: describeConfig(evmGatewayConfig, config) }, 'configuration loaded');
  const chain = chooseChain(config);
  const runtime = await ServiceRuntime.startService({ service: 'evm-gateway', config, logger, mainModuleUrl: import.meta.url });
  // Before the engine touches the store: a database created for another chain is refused, not extended.
  await assertChainIdentity(runtime.pool, runtime.schema, await configuredChainIdentity(chain.config));
  const store = new PostgresChainStore(runtime.pool, runtime.schema);
  // The block loop starts only once metrics are attached, so the first block is measured too.
  const engine = await EvmEngine.open({
    store, config: chain.config, autoMine: false,
    callLimits: { rpcGasCap: BigInt(config.EVM_RPC_GAS_CAP), timeoutMs: config.EVM_RPC_EVM_TIMEOUT, workers: config.EVM_RPC_CALL_WORKERS },
  });
  engine.on('sequencerError', (err) => logger.error({ err }, 'block production failed; retrying'));
  const unobserve = observeEngine(engine);
  engine.start();
  logger.info({ chainId: Number(engine.chainId), head: engine.headNumber.toString(), bridge: BRIDGE_ADDRESS, genesis: chain.kind }, 'EVM engine open');
  if (chain.kind === 'devnet') {
    logger.warn(
      {
        devAccounts: chain.devAccounts.map((a) => ({ address: a.address, privateKey: a.privateKey })),
        balanceWeiEach: DEV_ACCOUNT_BALANCE_WEI.toString(),
      },
      'DEVNET genesis: these accounts were funded at genesis and their keys are public; never use them elsewhere',
    );
  }

  const finalityDepth = BigInt(config.EVM_FINALITY_DEPTH);
  const rpc = await startJsonRpcServer({
    engine,
    onSlowConsumer: (info) => {
      wsSlowConsumersDropped.inc();
      logger.warn(info, 'WebSocket consumer disconnected: its send buffer overflowed (it stopped reading)');
    },
    port: config.RPC_PORT,
    host: config.RPC_HOST,
    rpc: {
      limits: {
        maxRequestBytes: config.EVM_RPC_MAX_BODY_BYTES, maxBatchLength: config.EVM_RPC_MAX_BATCH,
        maxSubscriptionsPerConnection: config.EVM_WS_MAX_SUBSCRIPTIONS, maxWsBufferedBytes: config.EVM_WS_MAX_BUFFERED_BYTES,
      },
      // "finalized" over JSON-RPC means what the burn scanner treats as final.
      safeDepth: finalityDepth,
      finalizedDepth: finalityDepth,
      clientVersion: 'tapbridge-evm-gateway/0.1.0',
    },
  });
  logger.info({ url: rpc.url, ws: rpc.wsUrl }, 'Ethereum JSON-RPC listening');

  const minter = new DepositMinter({
    engine, schema: runtime.schema, pool: runtime.pool, transaction: (fn) => runtime.transaction(fn), logger,
    // Short enough that a check (one or two requests) ends well inside the ack wait.
    headers: new NatsHeaderChain(runtime.messaging, 2_000),
    custody: new CoordinatorCustody(runtime.messaging, 2_000, 30_000, (custody, previous) =>
      logger.info({ groupKey: custody.groupKey, scriptPubKey: custody.scriptPubKey, previousGroupKey: previous?.groupKey }, 'custody learned from the signing-coordinator: deposits must be locked to it')),
    minConfirmations: config.EVM_DEPOSIT_MIN_CONFIRMATIONS,
    acceptUnprovenDeposits: config.EVM_ACCEPT_UNPROVEN_DEPOSITS,
  });
  // The "no longer backed" gauge reflects the store from the start (0 on a healthy chain), not only after an event.
  await minter.refreshUnbacked();
  const finalizer = new WithdrawalFinalizer({ engine, schema: runtime.schema, transaction: (fn) => runtime.transaction(fn), logger, finalityDepth });
  const queries = new GatewayQueries({ engine, store, pool: runtime.pool, schema: runtime.schema, finalityDepth, genesis: chain.kind });

  let natsApi: Array<{ unsubscribe(): void }> = [];
  await bootstrapService({
    module: AppModule.forRoot(runtime, queries) as never,
    runtime,
    port: config.HTTP_PORT,
    title: 'tapbridge evm-gateway',
    description:
      'Layer 2 EVM: deposits minted from deposit.confirmed, burns published as withdrawal.requested once final. ' +
      `Ethereum JSON-RPC (HTTP and WebSocket) is on port ${config.RPC_PORT}.`,
    onListening: async () => {
      natsApi = serveGatewayQueries(runtime.messaging, runtime.pool, runtime.schema, () => queries.chain());
      finalizer.start();
      // In batches, in stream order: the deposits that arrive together (a Bitcoin block's) are credited in one L2
      // block and acked after it commits; a deposit.reorged is applied only after the confirmations before it
      // (DepositMinter.handleBatch). After a crash the consumer lets the unacked events come back first.
      await runtime.consume({
        durable: MINT_CONSUMER, stream: 'DEPOSIT', subject: 'deposit.>', maxAckPending: 2 * MINT_BATCH, ackWaitMs: MINT_ACK_WAIT_MS,
        // A header-watcher that is behind or restarting, or a coordinator that does not know the custody yet, delays
        // the check; retry for about ten minutes before dead-lettering. A false event is dead-lettered at once.
        maxDeliver: 25, backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000],
        // A burst (the indexer's relay publishing a block's events back to back) ends when it goes quiet for 100 ms.
        batch: { maxEvents: MINT_BATCH, quietMs: 100, maxWaitMs: 5_000 },
        handleBatch: (events) => minter.handleBatch(events),
      });
    },
    onShutdown: async () => {
      for (const s of natsApi) s.unsubscribe();
      await rpc.close();
      await finalizer.stop();
      await engine.close();
      unobserve();
    },
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'start-up failed');
  process.exit(1);
}
