import { Module } from '@nestjs/common';
import { CapacityStatus } from './capacity-status.js';
import { DepositQueries } from './deposit-queries.js';
import { DepositService } from './deposit-service.js';
import { DepositsController } from './deposits.controller.js';
import { DepositsRpcController } from './deposits.rpc.js';
import { IndexingModule } from './indexing.module.js';

/** Registration and the read API: REST (/deposits, /custody/utxos) and rpc.deposits.*. */
@Module({
  imports: [IndexingModule],
  controllers: [DepositsController, DepositsRpcController],
  providers: [CapacityStatus, DepositQueries, DepositService],
})
export class DepositsModule {}
