import { Module } from '@nestjs/common';
import { PipelineModule } from './pipeline.module.js';
import { Queries } from './queries.js';
import { SweepsController, WithdrawalsController } from './sweeps.controller.js';
import { SweepsRpcController } from './sweeps.rpc.js';

/** The read API: REST (/withdrawals, /sweeps, /reserves, /status) and rpc.sweeps.*. */
@Module({
  imports: [PipelineModule],
  controllers: [WithdrawalsController, SweepsController, SweepsRpcController],
  providers: [Queries],
})
export class SweepsModule {}
