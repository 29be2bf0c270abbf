// The read API over NATS request/reply (rpc.btc.headers.*), for services that ask rather than call HTTP
// (the deposit-indexer, the coordinators, operators' tools). Same answers and errors as REST (header-api.ts).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { HeaderApi } from './header-api.js';
import { EmptyRequest, GetHeaderRequest, RangeRequest, type ForkTip, type HeaderRange, type HeaderView, type SyncStatus } from './header-dto.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = {
  tip: 'btc.headers.tip',
  get: 'btc.headers.get',
  range: 'btc.headers.range',
  forks: 'btc.headers.forks',
  sync: 'btc.headers.sync',
} as const;

@Controller()
export class HeadersRpcController {
  constructor(@Inject(HeaderApi) private readonly api: HeaderApi) {}

  @MessagePattern(NATS_API_SUBJECTS.tip)
  tip(@Payload() _request: EmptyRequest): Promise<HeaderView> {
    return this.api.tip();
  }

  @MessagePattern(NATS_API_SUBJECTS.get)
  get(@Payload() request: GetHeaderRequest): Promise<HeaderView> {
    return this.api.header(request.heightOrHash);
  }

  @MessagePattern(NATS_API_SUBJECTS.range)
  range(@Payload() request: RangeRequest): Promise<HeaderRange> {
    return this.api.range(request.from, request.to);
  }

  @MessagePattern(NATS_API_SUBJECTS.forks)
  forks(@Payload() _request: EmptyRequest): Promise<ForkTip[]> {
    return this.api.forks();
  }

  @MessagePattern(NATS_API_SUBJECTS.sync)
  sync(@Payload() _request: EmptyRequest): SyncStatus {
    return this.api.status();
  }
}
