import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ChainSourceError } from '@tapbridge/chain-source';
import { DepositRegistrationError, type RegistrationErrorCode } from '@tapbridge/deposits';
import { ApiProblem, DomainError, ZodResponse, ZodSerializerDto } from '@tapbridge/runtime/nest';
import {
  CustodyUtxosDto, DepositPageDto, DepositParams, DepositWithHistoryDto, ListDepositsQuery, MAX_VOUT, RegisterDepositDto,
  type CustodyUtxos, type DepositPage, type DepositWithHistory,
} from './deposit-dto.js';
import { DepositQueries } from './deposit-queries.js';
import { DepositService, TransactionNotFoundError } from './deposit-service.js';

/** The one thing used of the Express response: the status code (201 created, 200 repeat). */
interface StatusResponse {
  status(code: number): unknown;
}

const BAD_REQUEST: ReadonlySet<RegistrationErrorCode> = new Set(['bad-request', 'bad-deposit-script', 'bad-reclaim-script']);

/**
 * Registration outcomes → problem+json (ProblemFilter), with the rule's code: malformed input 400, a well-formed
 * deposit that breaks a rule 422, another registration 409, an unknown transaction 404, a failing source 502.
 */
export function registrationError(e: unknown): unknown {
  if (e instanceof DepositRegistrationError)
    return new DomainError(e.code, e.message, BAD_REQUEST.has(e.code) ? 400 : e.code === 'conflict' ? 409 : 422);
  if (e instanceof TransactionNotFoundError) return new DomainError('tx-not-found', e.message, 404);
  if (e instanceof ChainSourceError) return new DomainError('chain-source', e.message, 502);
  return e;
}

@ApiTags('deposits')
@Controller()
export class DepositsController {
  constructor(
    @Inject(DepositService) private readonly service: DepositService,
    @Inject(DepositQueries) private readonly queries: DepositQueries,
  ) {}

  @Post('deposits')
  @ApiOperation({ summary: 'Register a deposit: the outpoint and the two leaf scripts its P2TR address commits to (idempotent)' })
  @ZodSerializerDto(DepositWithHistoryDto)
  @ApiCreatedResponse({ type: DepositWithHistoryDto.Output, description: 'Registered' })
  @ApiOkResponse({ type: DepositWithHistoryDto.Output, description: 'Already registered with the same scripts' })
  @ApiProblem(400, 'Malformed body, or a script that does not fit its template (the message names the rule)')
  @ApiProblem(404, 'No chain source knows the transaction')
  @ApiProblem(409, 'The outpoint is registered with other scripts')
  @ApiProblem(422, 'Deposit leaf names another group key; output missing or not the P2TR of the scripts; dust; max fee not below the amount')
  @ApiProblem(502, 'The chain sources failed')
  async register(@Body() body: RegisterDepositDto, @Res({ passthrough: true }) res: StatusResponse): Promise<DepositWithHistory> {
    let created: boolean;
    try {
      created = (await this.service.register(body)).created;
    } catch (e) {
      throw registrationError(e);
    }
    res.status(created ? 201 : 200);
    return (await this.queries.one(body.txid.toLowerCase(), body.vout))!;
  }

  @Get('deposits/:txid/:vout')
  @ApiOperation({ summary: 'A deposit with its status history' })
  @ZodResponse({ status: 200, type: DepositWithHistoryDto })
  @ApiProblem(404, 'Not registered and not seen as a simple-form deposit')
  @ApiProblem(400, 'txid is not 64 hex characters, or vout is not an output index')
  @ApiParam({ name: 'txid', description: 'Deposit transaction id, display hex' })
  @ApiParam({ name: 'vout', description: `Output index (0..${MAX_VOUT})` })
  async one(@Param() { txid, vout }: DepositParams): Promise<DepositWithHistory> {
    const found = await this.queries.one(txid, vout);
    if (!found) throw new DomainError('not_found', `no deposit ${txid}:${vout}`);
    return found;
  }

  @Get('deposits')
  @ApiOperation({ summary: 'Deposits, newest first, by recipient and/or status, one page at a time' })
  @ZodResponse({ status: 200, type: DepositPageDto })
  list(@Query() q: ListDepositsQuery): Promise<DepositPage> {
    return this.queries.list({
      limit: q.limit,
      ...(q.recipient ? { recipient: q.recipient } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  }

  @Get('custody/utxos')
  @ApiTags('custody')
  @ApiOperation({ summary: 'The custody UTXO set: unspent outputs paying the custody address on the indexer\u2019s best chain' })
  @ZodResponse({ status: 200, type: CustodyUtxosDto })
  custody(): Promise<CustodyUtxos> {
    return this.queries.custodyUtxos();
  }
}
