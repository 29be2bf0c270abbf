import { Module } from '@nestjs/common';
import { PledgeModule } from '../pledge/pledge.module.js';
import { StakeController } from './stake.controller.js';
import { StakeApi } from './stake-api.js';
import { StakeRpcController } from './stake.rpc.js';

/** The read API: REST and rpc.stake.*, both over StakeApi. */
@Module({ imports: [PledgeModule], controllers: [StakeController, StakeRpcController], providers: [StakeApi] })
export class ApiModule {}
