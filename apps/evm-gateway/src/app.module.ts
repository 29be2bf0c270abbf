import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { ConfigModule, PrismaModule, RuntimeModule } from '@tapbridge/runtime/nest';
import { ApiModule } from './api/api.module.js';
import { ChainModule } from './chain/chain.module.js';
import { evmGatewayConfig, type EvmGatewayConfig } from './config.js';
import { MintModule } from './mint/mint.module.js';
import { StakeModule } from './stake/stake.module.js';
import { ChannelLedgerModule } from './channels/channel-ledger.module.js';
import { PrismaService } from './prisma.service.js';
import { WithdrawalsModule } from './withdrawals/withdrawals.module.js';

@Module({})
export class AppModule {
  static forRoot(config: EvmGatewayConfig, runtime: ServiceRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime), ConfigModule.forRoot(evmGatewayConfig, config), PrismaModule.forRoot(PrismaService), ChainModule, MintModule, StakeModule, ChannelLedgerModule, WithdrawalsModule, ApiModule],
    };
  }
}
