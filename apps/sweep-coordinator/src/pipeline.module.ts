import { Module } from '@nestjs/common';
import { BitcoinService } from './bitcoin.service.js';
import { CrashPoints } from './crash-points.js';
import { CustodyService } from './custody.service.js';
import { DisbursalService } from './escape/disbursal.service.js';
import { IntakeConsumers } from './intake.consumers.js';
import { JobsService } from './jobs.service.js';
import { Peers } from './peers.js';
import { PipelineService } from './pipeline.service.js';
import { ReservesService } from './reserves.service.js';
import { sweepStoreProvider } from './sweep-store.js';
import { PostgresSweepStore } from './store/postgres-store.js';

/**
 * The pipeline: intake consumers (withdrawals, deposits, headers) feed the store; BullMQ jobs drive it (plan, sign,
 * broadcast, bump, rebroadcast) and the reserves check. Its peers are the other services, asked over rpc.*.
 */
@Module({
  providers: [sweepStoreProvider, BitcoinService, Peers, CustodyService, CrashPoints, DisbursalService, PipelineService, ReservesService, JobsService, IntakeConsumers],
  exports: [PostgresSweepStore, BitcoinService, CustodyService, PipelineService, ReservesService, DisbursalService],
})
export class PipelineModule {}
