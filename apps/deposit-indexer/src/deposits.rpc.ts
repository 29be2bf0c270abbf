// Read-only queries over NATS request/reply (rpc.deposits.*) for services that do not speak HTTP to the indexer:
// the sweep-coordinator asks how to spend a confirmed deposit and what the custody UTXO set is.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError } from '@tapbridge/runtime/nest';
import { EmptyRequest, OutpointRequest, type CustodyUtxos, type DepositWithHistory } from './deposit-dto.js';
import { DepositQueries } from './deposit-queries.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = {
  deposit: 'deposits.deposit.get',
  custody: 'deposits.custody.utxos',
} as const;

@Controller()
export class DepositsRpcController {
  constructor(@Inject(DepositQueries) private readonly queries: DepositQueries) {}

  @MessagePattern(NATS_API_SUBJECTS.deposit)
  async deposit(@Payload() { txid, vout }: OutpointRequest): Promise<DepositWithHistory> {
    const found = await this.queries.one(txid, vout);
    if (!found) throw new DomainError('not_found', `no deposit ${txid}:${vout}`);
    return found;
  }

  @MessagePattern(NATS_API_SUBJECTS.custody)
  custody(@Payload() _request: EmptyRequest): Promise<CustodyUtxos> {
    return this.queries.custodyUtxos();
  }
}
