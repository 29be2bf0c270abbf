import { Module } from '@nestjs/common';
import { CustodyDesk } from '@tapbridge/channels';
import { hexToBytes } from '@tapbridge/bitcoin';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { APP_CONFIG, RUNTIME } from '@tapbridge/runtime/nest';
import type { ChannelServiceConfig } from '../config.js';
import { ChannelsApi } from './channels-api.js';
import { ChannelsController } from './channels.controller.js';
import { ChannelsRpcController } from './channels.rpc.js';
import { CustodyTermsSource } from './custody-terms.js';
import { FundingProver } from './funding-prover.js';
import { CoordinatorGroupSigner } from './group-signer.js';
import { L2Ledger } from './l2-ledger.js';
import { PrismaChannelStore } from './prisma-channel-store.js';
import { WatchService } from './watch.service.js';

@Module({
  providers: [
    PrismaChannelStore,
    {
      provide: CustodyTermsSource,
      inject: [APP_CONFIG, RUNTIME],
      useFactory: (config: ChannelServiceConfig, runtime: ServiceRuntime) => new CustodyTermsSource({ messaging: runtime.messaging, config }),
    },
    {
      provide: FundingProver,
      inject: [APP_CONFIG, RUNTIME],
      useFactory: (config: ChannelServiceConfig, runtime: ServiceRuntime) =>
        new FundingProver({ network: config.BITCOIN_NETWORK, sources: config.BTC_SOURCES, minConfirmations: config.CHANNEL_MIN_CONFIRMATIONS, pollMs: Math.min(config.WATCH_INTERVAL_MS, 2_000), logger: runtime.logger }),
    },
    {
      provide: CoordinatorGroupSigner,
      inject: [APP_CONFIG, RUNTIME],
      useFactory: (config: ChannelServiceConfig, runtime: ServiceRuntime) => new CoordinatorGroupSigner({ messaging: runtime.messaging, rpcTimeoutMs: config.RPC_TIMEOUT_MS, signingTimeoutMs: config.SIGNING_TIMEOUT_MS }),
    },
    {
      provide: L2Ledger,
      inject: [APP_CONFIG, RUNTIME],
      useFactory: (config: ChannelServiceConfig, runtime: ServiceRuntime) => new L2Ledger({ messaging: runtime.messaging, rpcTimeoutMs: config.RPC_TIMEOUT_MS }),
    },
    {
      provide: CustodyDesk,
      inject: [APP_CONFIG, PrismaChannelStore, CoordinatorGroupSigner, CustodyTermsSource, FundingProver, L2Ledger],
      useFactory: (config: ChannelServiceConfig, store: PrismaChannelStore, signer: CoordinatorGroupSigner, terms: CustodyTermsSource, prover: FundingProver, l2: L2Ledger) =>
        new CustodyDesk({
          store, sign: (r) => signer.sign(r), terms: () => terms.terms(), seedSecret: hexToBytes(config.CHANNEL_SEED_SECRET), proveFunding: (p) => prover.prove(p),
          l2Settled: (channelId, stateNumber) => l2.settled(channelId, stateNumber),
        }),
    },
    ChannelsApi,
    WatchService,
  ],
  controllers: [ChannelsController, ChannelsRpcController],
  exports: [WatchService, CustodyDesk],
})
export class ChannelsModule {}
