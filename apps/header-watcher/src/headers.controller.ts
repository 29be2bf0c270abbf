import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblem, ZodResponse } from '@tapbridge/runtime/nest';
import { HeaderApi, MAX_RANGE } from './header-api.js';
import { ForkTipDto, HeaderDto, HeaderRangeDto, RangeQuery, SyncStatusDto, type ForkTip, type HeaderRange, type HeaderView, type SyncStatus } from './header-dto.js';

@ApiTags('headers')
@Controller()
export class HeadersController {
  constructor(@Inject(HeaderApi) private readonly api: HeaderApi) {}

  @Get('headers/tip')
  @ApiOperation({ summary: 'The tip of the validated best chain' })
  @ZodResponse({ status: 200, type: HeaderDto })
  @ApiProblem(404, 'No headers stored yet')
  tip(): Promise<HeaderView> {
    return this.api.tip();
  }

  @Get('headers/:heightOrHash')
  @ApiOperation({ summary: 'A best-chain header by height, or any stored header (best chain or fork) by hash' })
  @ApiParam({ name: 'heightOrHash', description: 'Block height, or block hash in display hex' })
  @ZodResponse({ status: 200, type: HeaderDto })
  @ApiProblem(400, 'Neither a height nor a 64-digit hex hash')
  @ApiProblem(404, 'No such header')
  one(@Param('heightOrHash') key: string): Promise<HeaderView> {
    return this.api.header(key);
  }

  @Get('headers')
  @ApiOperation({ summary: `Best-chain headers from..to inclusive, at most ${MAX_RANGE}` })
  @ZodResponse({ status: 200, type: HeaderRangeDto })
  @ApiProblem(400, `Missing or malformed bounds, from > to, or more than ${MAX_RANGE} headers`)
  range(@Query() query: RangeQuery): Promise<HeaderRange> {
    return this.api.range(query.from, query.to);
  }

  @Get('forks')
  @ApiTags('sync')
  @ApiOperation({ summary: 'Known fork tips: stored branches off the best chain, newest first' })
  @ZodResponse({ status: 200, type: [ForkTipDto] })
  forks(): Promise<ForkTip[]> {
    return this.api.forks();
  }

  @Get('sync')
  @ApiTags('sync')
  @ApiOperation({ summary: 'Sync state: our best tip and each source\u2019s claimed height, lag and last error' })
  @ZodResponse({ status: 200, type: SyncStatusDto })
  status(): SyncStatus {
    return this.api.status();
  }
}
