import { BadRequestException, Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { HeaderSync } from '@tapbridge/light-client';
import { ForkTipDto, HeaderDto, HeaderRangeDto, SyncStatusDto } from './header-dto.js';
import { HeaderQueries } from './header-queries.js';

export const HEADER_SYNC = Symbol('HEADER_SYNC');
/** Largest span GET /headers serves in one response. */
export const MAX_RANGE = 2_000;

const HEIGHT = /^(0|[1-9][0-9]{0,9})$/;
const HASH = /^[0-9a-fA-F]{64}$/;

function parseHeight(value: string | undefined, name: string): number {
  if (value === undefined || value === '') throw new BadRequestException(`${name} is required`);
  if (!HEIGHT.test(value) || Number(value) > 0x7fffffff) throw new BadRequestException(`${name} must be a block height (a whole number ≥ 0), got "${value.slice(0, 80)}"`);
  return Number(value);
}

@ApiTags('headers')
@Controller()
export class HeadersController {
  constructor(
    @Inject(HeaderQueries) private readonly queries: HeaderQueries,
    @Inject(HEADER_SYNC) private readonly sync: HeaderSync,
  ) {}

  @Get('headers/tip')
  @ApiOperation({ summary: 'The tip of the validated best chain' })
  @ApiOkResponse({ type: HeaderDto })
  async tip(): Promise<HeaderDto> {
    const tip = await this.queries.tip();
    if (!tip) throw new NotFoundException('no headers stored yet');
    return tip;
  }

  @Get('headers/:heightOrHash')
  @ApiOperation({ summary: 'A best-chain header by height, or any stored header (best chain or fork) by hash' })
  @ApiParam({ name: 'heightOrHash', description: 'Block height, or block hash in display hex' })
  @ApiOkResponse({ type: HeaderDto })
  @ApiBadRequestResponse({ description: 'Neither a height nor a 64-digit hex hash' })
  @ApiNotFoundResponse({ description: 'No such header' })
  async one(@Param('heightOrHash') key: string): Promise<HeaderDto> {
    let found: HeaderDto | undefined;
    if (HASH.test(key)) found = await this.queries.byHash(key);
    else found = await this.queries.byHeight(parseHeight(key, 'height'));
    if (!found) throw new NotFoundException(`no header ${HASH.test(key) ? 'with hash' : 'on the best chain at height'} ${key}`);
    return found;
  }

  @Get('headers')
  @ApiOperation({ summary: `Best-chain headers from..to inclusive, at most ${MAX_RANGE}` })
  @ApiQuery({ name: 'from', type: Number })
  @ApiQuery({ name: 'to', type: Number })
  @ApiOkResponse({ type: HeaderRangeDto })
  @ApiBadRequestResponse({ description: `Missing or malformed bounds, from > to, or more than ${MAX_RANGE} headers` })
  async range(@Query('from') fromRaw?: string, @Query('to') toRaw?: string): Promise<HeaderRangeDto> {
    const from = parseHeight(fromRaw, 'from');
    const to = parseHeight(toRaw, 'to');
    if (to < from) throw new BadRequestException(`to (${to}) is below from (${from})`);
    if (to - from + 1 > MAX_RANGE) throw new BadRequestException(`at most ${MAX_RANGE} headers per request, asked for ${to - from + 1}`);
    return { from, to, headers: await this.queries.range(from, to) };
  }

  @Get('forks')
  @ApiTags('sync')
  @ApiOperation({ summary: 'Known fork tips: stored branches off the best chain, newest first' })
  @ApiOkResponse({ type: [ForkTipDto] })
  forks(): Promise<ForkTipDto[]> {
    return this.queries.forkTips();
  }

  @Get('sync')
  @ApiTags('sync')
  @ApiOperation({ summary: 'Sync state: our best tip and each source\u2019s claimed height, lag and last error' })
  @ApiOkResponse({ type: SyncStatusDto })
  status(): SyncStatusDto {
    const s = this.sync.status();
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      network: s.network,
      bestHeight: s.tip.height,
      bestHash: s.tip.hash,
      rootHeight: s.root.height,
      sources: s.sources.map((src) => ({
        name: src.name,
        ...(src.tip ? { height: src.tip.height, hash: src.tip.hash } : {}),
        ...(src.lag !== undefined ? { lag: src.lag } : {}),
        ...(src.lastPolledAt !== undefined ? { lastPolledAt: iso(src.lastPolledAt) } : {}),
        ...(src.lastError !== undefined ? { lastError: src.lastError, lastErrorAt: iso(src.lastErrorAt) } : {}),
        strikes: src.strikes,
        ...(src.skippedUntil !== undefined && src.skippedUntil > Date.now() ? { skippedUntil: iso(src.skippedUntil) } : {}),
      })),
    };
  }
}
