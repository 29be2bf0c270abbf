import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, DomainError, ZodResponse } from '@tapbridge/runtime/nest';
import {
  ListWithdrawalsQuery, PsbtDto, ReservesDto, StatusDto, SweepDto, TxidParams, WithdrawalIdParams, WithdrawalListDto, WithdrawalWithHistoryDto,
  type PipelineStatus, type PsbtView, type ReservesReport, type SweepView, type WithdrawalView, type WithdrawalWithHistory,
} from './dto.js';
import { Queries } from './queries.js';
import { ReservesService } from './reserves.service.js';

@ApiTags('withdrawals')
@Controller('withdrawals')
export class WithdrawalsController {
  constructor(@Inject(Queries) private readonly queries: Queries) {}

  @Get(':id')
  @ApiOperation({ summary: 'A withdrawal: status, payout txid and vout, amount received, waiting reason, history' })
  @ZodResponse({ status: 200, type: WithdrawalWithHistoryDto })
  @ApiProblem(400, 'Not a withdrawal id')
  @ApiProblem(404, 'The pipeline has not received it (not final on the L2 yet?)')
  async one(@Param() { id }: WithdrawalIdParams): Promise<WithdrawalWithHistory> {
    const found = await this.queries.withdrawal(id);
    if (!found) throw new DomainError('not_found', `no withdrawal ${id}`);
    return found;
  }

  @Get()
  @ApiOperation({ summary: 'A sender\u2019s withdrawals, by id' })
  @ZodResponse({ status: 200, type: WithdrawalListDto })
  @ApiProblem(400, 'sender is not a 0x-prefixed 20-byte address')
  list(@Query() { sender }: ListWithdrawalsQuery): Promise<WithdrawalView[]> {
    return this.queries.withdrawalsBySender(sender);
  }
}

@ApiTags('sweeps')
@Controller()
export class SweepsController {
  constructor(
    @Inject(Queries) private readonly queries: Queries,
    @Inject(ReservesService) private readonly reserves: ReservesService,
  ) {}

  @Get('sweeps/:txid')
  @ApiOperation({ summary: 'A sweep version: the withdrawal ids it pays in order (checkable against its OP_RETURN), payouts, deposits, fee, status' })
  @ZodResponse({ status: 200, type: SweepDto })
  @ApiProblem(400, 'txid is not 64 hex characters')
  @ApiProblem(404, 'Not a sweep of this pipeline')
  async sweep(@Param() { txid }: TxidParams): Promise<SweepView> {
    const found = await this.queries.sweep(txid);
    if (!found) throw new DomainError('not_found', `no sweep ${txid}`);
    return found;
  }

  @Get('sweeps/:txid/psbt')
  @ApiOperation({ summary: 'The unsigned sweep as a PSBT, to inspect in any wallet tool' })
  @ZodResponse({ status: 200, type: PsbtDto })
  @ApiProblem(400, 'txid is not 64 hex characters')
  @ApiProblem(404, 'Not a sweep of this pipeline')
  async psbt(@Param() { txid }: TxidParams): Promise<PsbtView> {
    const found = await this.queries.psbt(txid);
    if (!found) throw new DomainError('not_found', `no sweep ${txid}`);
    return found;
  }

  @Get('reserves')
  @ApiOperation({ summary: 'Proof of reserves: custody UTXOs with merkle proofs, L2 supply, pending withdrawals, fees paid, and the invariant' })
  @ZodResponse({ status: 200, type: ReservesDto })
  reservesReport(): Promise<ReservesReport> {
    return this.reserves.report();
  }

  @Get('status')
  @ApiOperation({ summary: 'The pipeline: idle, a sweep in flight, or halted (with why); waiting and stuck withdrawals' })
  @ZodResponse({ status: 200, type: StatusDto })
  status(): Promise<PipelineStatus> {
    return this.queries.status();
  }
}
