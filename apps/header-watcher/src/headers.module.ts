import { Module } from '@nestjs/common';
import { HeaderApi } from './header-api.js';
import { HeaderQueries } from './header-queries.js';
import { HeadersController } from './headers.controller.js';
import { HeadersRpcController } from './headers.rpc.js';
import { SyncModule } from './sync.module.js';

/** The read API: REST (/headers, /forks, /sync) and rpc.btc.headers.*, both over HeaderApi. */
@Module({
  imports: [SyncModule],
  controllers: [HeadersController, HeadersRpcController],
  providers: [HeaderQueries, HeaderApi],
})
export class HeadersModule {}
