import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from '@tapbridge/runtime/nest';
import {
  ChainDto, DepositAddressDto, DepositAddressRequestDto, DepositDto, DepositPageDto, DepositParams, DepositsQuery, FeesDto, PipelineDto, RegisterDepositDto,
  ReservesDto, SignerSetDto, SigningSessionPageDto, SigningSessionsQuery, WithdrawalDto, WithdrawalListDto, WithdrawalParams, WithdrawalsQuery,
} from './dto.js';
import { Reads } from './reads.service.js';

@Controller('v1')
export class ReadsController {
  constructor(@Inject(Reads) private readonly reads: Reads) {}

  @Post('deposit-addresses')
  @HttpCode(200)
  @ApiTags('deposits')
  @ApiOperation({ summary: 'A per-deposit P2TR address for a recipient, fee cap and reclaim key (as `tapbridge deposit address`), to the current custody key' })
  @ZodResponse({ status: 200, type: DepositAddressDto })
  depositAddress(@Body() body: DepositAddressRequestDto) {
    return this.reads.depositAddress(body);
  }

  @Post('deposits')
  @ApiTags('deposits')
  @ApiOperation({ summary: 'Register a deposit by its outpoint and the two leaf scripts (idempotent; answered by the deposit-indexer)' })
  @ZodResponse({ status: 201, type: DepositDto })
  register(@Body() body: RegisterDepositDto) {
    return this.reads.registerDeposit(body);
  }

  @Get('deposits/:txid/:vout')
  @ApiTags('deposits')
  @ApiOperation({ summary: 'A deposit\u2019s status and history (held_capacity: confirmed, waiting for stake capacity)' })
  @ZodResponse({ status: 200, type: DepositDto })
  deposit(@Param() p: DepositParams) {
    return this.reads.deposit(p.txid, p.vout);
  }

  @Get('deposits')
  @ApiTags('deposits')
  @ApiOperation({ summary: 'Deposits by EVM recipient or by Bitcoin address, newest first, a page at a time' })
  @ZodResponse({ status: 200, type: DepositPageDto })
  deposits(@Query() q: DepositsQuery) {
    return this.reads.deposits(q);
  }

  @Get('withdrawals/:id')
  @ApiTags('withdrawals')
  @ApiOperation({ summary: 'A withdrawal by its bridge id: status, payout, waiting reason, history' })
  @ZodResponse({ status: 200, type: WithdrawalDto })
  withdrawal(@Param() p: WithdrawalParams) {
    return this.reads.withdrawal(p.id);
  }

  @Get('withdrawals')
  @ApiTags('withdrawals')
  @ApiOperation({ summary: 'The withdrawals an EVM address burned for, or those in one state (arrival order, a page at a time)' })
  @ZodResponse({ status: 200, type: WithdrawalListDto })
  withdrawals(@Query() q: WithdrawalsQuery) {
    return this.reads.withdrawals(q);
  }

  @Get('reserves')
  @ApiTags('reserves')
  @ApiOperation({ summary: 'Proof of reserves: custody against L2 supply, pending withdrawals and fees paid' })
  @ZodResponse({ status: 200, type: ReservesDto })
  reserves() {
    return this.reads.reserves();
  }

  @Get('chain')
  @ApiTags('chain')
  @ApiOperation({ summary: 'Bitcoin tip (and each source\u2019s claim), L2 head and finality, the bridge address' })
  @ZodResponse({ status: 200, type: ChainDto })
  chain() {
    return this.reads.chain();
  }

  @Get('signers')
  @ApiTags('signers')
  @ApiOperation({ summary: 'Signer set health: group key, live and ready signers, misbehaviour' })
  @ZodResponse({ status: 200, type: SignerSetDto })
  signers() {
    return this.reads.signers();
  }

  @Get('signing-sessions')
  @ApiTags('signers')
  @ApiOperation({ summary: 'Signing sessions (signature requests): status, purpose, signers, attempts, newest first, a page at a time' })
  @ZodResponse({ status: 200, type: SigningSessionPageDto })
  signingSessions(@Query() q: SigningSessionsQuery) {
    return this.reads.signingSessions(q);
  }

  @Get('fees')
  @ApiTags('fees')
  @ApiOperation({ summary: 'Fees and capacity: sweep fee rate, outflow limit, L2 supply and stake capacity' })
  @ZodResponse({ status: 200, type: FeesDto })
  fees() {
    return this.reads.fees();
  }

  @Get('pipeline')
  @ApiTags('operations')
  @ApiOperation({ summary: 'Deposits per status (count, oldest) and the withdrawal pipeline (waiting, stuck): what the ops console shows' })
  @ZodResponse({ status: 200, type: PipelineDto })
  pipeline() {
    return this.reads.pipeline();
  }
}
