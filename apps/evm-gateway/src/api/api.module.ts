import { Module } from '@nestjs/common';
import { ChainModule } from '../chain/chain.module.js';
import { GatewayController } from './gateway.controller.js';
import { GatewayQueries } from './gateway-queries.js';
import { GatewayRpcController } from './gateway.rpc.js';

/** The read API: REST (/chain, /mints, /withdrawals) and rpc.evm.*, both over GatewayQueries. */
@Module({
  imports: [ChainModule],
  controllers: [GatewayController, GatewayRpcController],
  providers: [GatewayQueries],
})
export class ApiModule {}
