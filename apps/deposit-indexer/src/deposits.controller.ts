import {
  BadGatewayException,
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiParam, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { ChainSourceError } from '@tapbridge/chain-source';
import { DepositRegistrationError, type DepositStatus, type RegistrationErrorCode } from '@tapbridge/deposits';
import type { z } from 'zod';
import { CustodyUtxosDto, DepositPageDto, DepositWithHistoryDto, MAX_VOUT, RegisterDepositDto, depositParams, listDepositsQuery, registerDepositBody } from './deposit-dto.js';
import { DepositQueries } from './deposit-queries.js';
import { DepositService, TransactionNotFoundError } from './deposit-service.js';

/** The one thing used of the Express response: the status code (201 created, 200 repeat). */
interface StatusResponse {
  status(code: number): unknown;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
  return r.data;
}

const BAD_REQUEST: ReadonlySet<RegistrationErrorCode> = new Set(['bad-request', 'bad-deposit-script', 'bad-reclaim-script']);

/** Registration rules → HTTP: malformed input 400, a well-formed deposit that breaks a rule 422, another registration 409. */
function httpError(e: unknown): HttpException {
  if (e instanceof DepositRegistrationError) {
    const body = { code: e.code, message: e.message };
    if (BAD_REQUEST.has(e.code)) return new BadRequestException({ statusCode: 400, error: 'Bad Request', ...body });
    if (e.code === 'conflict') return new ConflictException({ statusCode: 409, error: 'Conflict', ...body });
    return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', ...body });
  }
  if (e instanceof TransactionNotFoundError) return new NotFoundException({ statusCode: 404, error: 'Not Found', code: 'tx-not-found', message: e.message });
  if (e instanceof ChainSourceError) return new BadGatewayException({ statusCode: 502, error: 'Bad Gateway', code: 'chain-source', message: e.message });
  throw e;
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
  @ApiBody({ type: RegisterDepositDto })
  @ApiCreatedResponse({ type: DepositWithHistoryDto, description: 'Registered' })
  @ApiOkResponse({ type: DepositWithHistoryDto, description: 'Already registered with the same scripts' })
  @ApiBadRequestResponse({ description: 'Malformed body, or a script that does not fit its template (the message names the rule)' })
  @ApiNotFoundResponse({ description: 'No chain source knows the transaction' })
  @ApiConflictResponse({ description: 'The outpoint is registered with other scripts' })
  @ApiUnprocessableEntityResponse({ description: 'Deposit leaf names another group key; output missing or not the P2TR of the scripts; dust; max fee not below the amount' })
  async register(@Body() raw: unknown, @Res({ passthrough: true }) res: StatusResponse): Promise<DepositWithHistoryDto> {
    const body = parse(registerDepositBody, raw);
    let created: boolean;
    try {
      created = (await this.service.register(body)).created;
    } catch (e) {
      throw httpError(e);
    }
    res.status(created ? 201 : 200);
    return (await this.queries.one(body.txid.toLowerCase(), body.vout))!;
  }

  @Get('deposits/:txid/:vout')
  @ApiOperation({ summary: 'A deposit with its status history' })
  @ApiOkResponse({ type: DepositWithHistoryDto })
  @ApiNotFoundResponse({ description: 'Not registered and not seen as a simple-form deposit' })
  @ApiBadRequestResponse({ description: 'txid is not 64 hex characters, or vout is not an output index' })
  @ApiParam({ name: 'txid', description: 'Deposit transaction id, display hex' })
  @ApiParam({ name: 'vout', description: `Output index (0..${MAX_VOUT})` })
  async one(@Param() raw: Record<string, unknown>): Promise<DepositWithHistoryDto> {
    const { txid, vout } = parse(depositParams, raw);
    const found = await this.queries.one(txid, vout);
    if (!found) throw new NotFoundException(`no deposit ${txid}:${vout}`);
    return found;
  }

  @Get('deposits')
  @ApiOperation({ summary: 'Deposits, newest first, by recipient and/or status, one page at a time' })
  @ApiOkResponse({ type: DepositPageDto })
  async list(@Query() raw: Record<string, unknown>): Promise<DepositPageDto> {
    const q = parse(listDepositsQuery, raw);
    return this.queries.list({
      limit: q.limit,
      ...(q.recipient ? { recipient: q.recipient } : {}),
      ...(q.status ? { status: q.status as DepositStatus } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  }

  @Get('custody/utxos')
  @ApiTags('custody')
  @ApiOperation({ summary: 'The custody UTXO set: unspent outputs paying the custody address on the indexer\u2019s best chain' })
  @ApiOkResponse({ type: CustodyUtxosDto })
  custody(): Promise<CustodyUtxosDto> {
    return this.queries.custodyUtxos();
  }
}
