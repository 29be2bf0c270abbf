import { BadRequestException, Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { HeaderApi, HeaderApiError, MAX_RANGE } from './header-api.js';
import { ForkTipDto, HeaderDto, HeaderRangeDto, SyncStatusDto } from './header-dto.js';

/** HeaderApiError → the HTTP status it means. */
async function http<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HeaderApiError) throw err.code === 'not_found' ? new NotFoundException(err.message) : new BadRequestException(err.message);
    throw err;
  }
}

@ApiTags('headers')
@Controller()
export class HeadersController {
  constructor(@Inject(HeaderApi) private readonly api: HeaderApi) {}

  @Get('headers/tip')
  @ApiOperation({ summary: 'The tip of the validated best chain' })
  @ApiOkResponse({ type: HeaderDto })
  tip(): Promise<HeaderDto> {
    return http(() => this.api.tip());
  }

  @Get('headers/:heightOrHash')
  @ApiOperation({ summary: 'A best-chain header by height, or any stored header (best chain or fork) by hash' })
  @ApiParam({ name: 'heightOrHash', description: 'Block height, or block hash in display hex' })
  @ApiOkResponse({ type: HeaderDto })
  @ApiBadRequestResponse({ description: 'Neither a height nor a 64-digit hex hash' })
  @ApiNotFoundResponse({ description: 'No such header' })
  one(@Param('heightOrHash') key: string): Promise<HeaderDto> {
    return http(() => this.api.header(key));
  }

  @Get('headers')
  @ApiOperation({ summary: `Best-chain headers from..to inclusive, at most ${MAX_RANGE}` })
  @ApiQuery({ name: 'from', type: Number })
  @ApiQuery({ name: 'to', type: Number })
  @ApiOkResponse({ type: HeaderRangeDto })
  @ApiBadRequestResponse({ description: `Missing or malformed bounds, from > to, or more than ${MAX_RANGE} headers` })
  range(@Query('from') from?: string, @Query('to') to?: string): Promise<HeaderRangeDto> {
    return http(() => this.api.range(from, to));
  }

  @Get('forks')
  @ApiTags('sync')
  @ApiOperation({ summary: 'Known fork tips: stored branches off the best chain, newest first' })
  @ApiOkResponse({ type: [ForkTipDto] })
  forks(): Promise<ForkTipDto[]> {
    return http(() => this.api.forks());
  }

  @Get('sync')
  @ApiTags('sync')
  @ApiOperation({ summary: 'Sync state: our best tip and each source\u2019s claimed height, lag and last error' })
  @ApiOkResponse({ type: SyncStatusDto })
  status(): SyncStatusDto {
    return this.api.status();
  }
}
