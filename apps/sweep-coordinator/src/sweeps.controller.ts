import { BadRequestException, Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { listWithdrawalsQuery, PsbtDto, ReservesDto, StatusDto, SweepDto, txidParam, withdrawalIdParam, WithdrawalDto, WithdrawalWithHistoryDto } from './dto.js';
import { Queries } from './queries.js';
import { ReservesService } from './reserves.service.js';

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`) });
  return r.data;
}

@ApiTags('withdrawals')
@Controller('withdrawals')
export class WithdrawalsController {
  constructor(private readonly queries: Queries) {}

  @Get(':id')
  @ApiOperation({ summary: 'A withdrawal: status, payout txid and vout, amount received, waiting reason, history' })
  @ApiOkResponse({ type: WithdrawalWithHistoryDto })
  @ApiBadRequestResponse({ description: 'Not a withdrawal id' })
  @ApiNotFoundResponse({ description: 'The pipeline has not received it (not final on the L2 yet?)' })
  async one(@Param('id') raw: string): Promise<WithdrawalWithHistoryDto> {
    const id = parse(withdrawalIdParam, raw);
    const found = await this.queries.withdrawal(id);
    if (!found) throw new NotFoundException(`no withdrawal ${id}`);
    return found;
  }

  @Get()
  @ApiOperation({ summary: 'A sender\u2019s withdrawals, by id' })
  @ApiOkResponse({ type: [WithdrawalDto] })
  list(@Query() raw: Record<string, unknown>): Promise<WithdrawalDto[]> {
    return this.queries.withdrawalsBySender(parse(listWithdrawalsQuery, raw).sender);
  }
}

@ApiTags('sweeps')
@Controller()
export class SweepsController {
  constructor(
    private readonly queries: Queries,
    private readonly reserves: ReservesService,
  ) {}

  @Get('sweeps/:txid')
  @ApiOperation({ summary: 'A sweep version: the withdrawal ids it pays in order (checkable against its OP_RETURN), payouts, deposits, fee, status' })
  @ApiOkResponse({ type: SweepDto })
  @ApiNotFoundResponse({ description: 'Not a sweep of this pipeline' })
  async sweep(@Param('txid') raw: string): Promise<SweepDto> {
    const found = await this.queries.sweep(parse(txidParam, raw));
    if (!found) throw new NotFoundException(`no sweep ${raw}`);
    return found;
  }

  @Get('sweeps/:txid/psbt')
  @ApiOperation({ summary: 'The unsigned sweep as a PSBT, to inspect in any wallet tool' })
  @ApiOkResponse({ type: PsbtDto })
  @ApiNotFoundResponse({ description: 'Not a sweep of this pipeline' })
  async psbt(@Param('txid') raw: string): Promise<PsbtDto> {
    const found = await this.queries.psbt(parse(txidParam, raw));
    if (!found) throw new NotFoundException(`no sweep ${raw}`);
    return found;
  }

  @Get('reserves')
  @ApiOperation({ summary: 'Proof of reserves: custody UTXOs with merkle proofs, L2 supply, pending withdrawals, fees paid, and the invariant' })
  @ApiOkResponse({ type: ReservesDto })
  reservesReport(): Promise<ReservesDto> {
    return this.reserves.report();
  }

  @Get('status')
  @ApiOperation({ summary: 'The pipeline: idle, a sweep in flight, or halted (with why); waiting and stuck withdrawals' })
  @ApiOkResponse({ type: StatusDto })
  status(): Promise<StatusDto> {
    return this.queries.status();
  }
}
