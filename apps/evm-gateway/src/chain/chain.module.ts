// The L2 chain: which chain (genesis), its Postgres store, the engine over it, the block loop and Ethereum JSON-RPC.
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BRIDGE_ADDRESS, EvmEngine, PostgresChainStore, startJsonRpcServer, type JsonRpcServer } from '@tapbridge/evm';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import type { EvmGatewayConfig } from '../config.js';
import { observeEngine, wsSlowConsumersDropped } from '../metrics.js';
import { PrismaService } from '../prisma.service.js';
import { chooseChain, DEV_ACCOUNT_BALANCE_WEI, type ChainChoice } from './chain.js';
import { assertChainIdentity, configuredChainIdentity } from './chain-identity.js';

/** The chain the gateway runs (chooseChain over the config): a ChainChoice. */
export const CHAIN_CHOICE = Symbol('CHAIN_CHOICE');

/** Opens the engine over the store, after checking that the database holds the configured chain. */
async function openEngine(config: EvmGatewayConfig, runtime: ServiceRuntime, chain: ChainChoice, store: PostgresChainStore, prisma: PrismaService): Promise<EvmEngine> {
  // Before the engine touches the store: a database created for another chain is refused, not extended.
  await assertChainIdentity(prisma, await configuredChainIdentity(chain.config));
  // Not mining yet: L2Node starts the block loop once metrics are attached, so the first block is measured too.
  const engine = await EvmEngine.open({
    store, config: chain.config, autoMine: false,
    callLimits: { rpcGasCap: BigInt(config.EVM_RPC_GAS_CAP), timeoutMs: config.EVM_RPC_EVM_TIMEOUT, workers: config.EVM_RPC_CALL_WORKERS },
  });
  engine.on('sequencerError', (err) => runtime.logger.error({ err }, 'block production failed; retrying'));
  return engine;
}

/**
 * Runs the chain while the app runs: the block loop and Ethereum JSON-RPC (HTTP and WebSocket on RPC_PORT) start
 * before REST and the consumers; JSON-RPC stops once the mint and burn loops have drained, the engine last.
 */
@Injectable()
export class L2Node implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private rpc: JsonRpcServer | undefined;
  private unobserve: (() => void) | undefined;

  constructor(
    @Inject(EvmEngine) private readonly engine: EvmEngine,
    @Inject(CHAIN_CHOICE) private readonly chain: ChainChoice,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: EvmGatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { engine, chain, config } = this;
    const logger = this.runtime.logger;
    this.unobserve = observeEngine(engine);
    engine.start();
    logger.info({ chainId: Number(engine.chainId), head: engine.headNumber.toString(), bridge: BRIDGE_ADDRESS, genesis: chain.kind }, 'EVM engine open');
    if (chain.kind === 'devnet') {
      logger.warn(
        { devAccounts: chain.devAccounts.map((a) => ({ address: a.address, privateKey: a.privateKey })), balanceWeiEach: DEV_ACCOUNT_BALANCE_WEI.toString() },
        'DEVNET genesis: these accounts were funded at genesis and their keys are public; never use them elsewhere',
      );
    }
    const finalityDepth = BigInt(config.EVM_FINALITY_DEPTH);
    this.rpc = await startJsonRpcServer({
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
    logger.info({ url: this.rpc.url, ws: this.rpc.wsUrl }, 'Ethereum JSON-RPC listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rpc?.close();
  }

  /** After every beforeApplicationShutdown: the mint consumer and the burn scanner no longer need blocks. */
  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
    this.unobserve?.();
  }
}

@Module({
  providers: [
    { provide: CHAIN_CHOICE, inject: [APP_CONFIG], useFactory: (config: EvmGatewayConfig): ChainChoice => chooseChain(config) },
    { provide: PostgresChainStore, inject: [RUNTIME], useFactory: (runtime: ServiceRuntime) => new PostgresChainStore(runtime.pool, runtime.schema) },
    { provide: EvmEngine, inject: [APP_CONFIG, RUNTIME, CHAIN_CHOICE, PostgresChainStore, PrismaService], useFactory: openEngine },
    L2Node,
  ],
  exports: [CHAIN_CHOICE, PostgresChainStore, EvmEngine],
})
export class ChainModule {}
