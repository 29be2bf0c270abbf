// Read-only queries over NATS request/reply (rpc.deposits.*) for services that do not speak HTTP to the indexer:
// the sweep-coordinator asks how to spend a confirmed deposit and what the custody UTXO set is; the api-gateway
// registers deposits and lists them for its public API.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError } from '@tapbridge/runtime/nest';
import { EmptyRequest, ListDepositsRequest, OutpointRequest, RegisterDepositDto, type CustodyUtxos, type DepositPage, type DepositWithHistory } from './deposit-dto.js';
import { DepositQueries } from './deposit-queries.js';
import { DepositService } from './deposit-service.js';
import { registrationError } from './deposits.controller.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = {
  deposit: 'deposits.deposit.get',
  custody: 'deposits.custody.utxos',
  register: 'deposits.deposit.register',
  list: 'deposits.deposit.list',
} as const;

@Controller()
export class DepositsRpcController {
  constructor(
    @Inject(DepositQueries) private readonly queries: DepositQueries,
    @Inject(DepositService) private readonly service: DepositService,
  ) {}

  @MessagePattern(NATS_API_SUBJECTS.deposit)
  async deposit(@Payload() { txid, vout }: OutpointRequest): Promise<DepositWithHistory> {
    const found = await this.queries.one(txid, vout);
    if (!found) throw new DomainError('not_found', `no deposit ${txid}:${vout}`);
    return found;
  }

  /** As POST /deposits (idempotent), answering the deposit; the rule's code comes back as the error code. */
  @MessagePattern(NATS_API_SUBJECTS.register)
  async register(@Payload() body: RegisterDepositDto): Promise<DepositWithHistory> {
    try {
      await this.service.register(body);
    } catch (e) {
      throw registrationError(e);
    }
    return (await this.queries.one(body.txid.toLowerCase(), body.vout))!;
  }

  @MessagePattern(NATS_API_SUBJECTS.list)
  list(@Payload() q: ListDepositsRequest): Promise<DepositPage> {
    return this.queries.list({
      limit: q.limit,
      ...(q.recipient ? { recipient: q.recipient } : {}),
      ...(q.scriptPubKey ? { scriptPubKey: q.scriptPubKey } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  }

  @MessagePattern(NATS_API_SUBJECTS.custody)
  custody(@Payload() _request: EmptyRequest): Promise<CustodyUtxos> {
    return this.queries.custodyUtxos();
  }
}
