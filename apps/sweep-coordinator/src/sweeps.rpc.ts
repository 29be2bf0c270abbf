// Withdrawals, reserves and pipeline status over NATS request/reply (rpc.sweeps.*), for the api-gateway and the CLI.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError } from '@tapbridge/runtime/nest';
import {
  EmptyRequest, ListWithdrawalsQuery, SweepRequest, WithdrawalRequest,
  type PipelineStatus, type ReservesReport, type SweepView, type WithdrawalView, type WithdrawalWithHistory,
} from './dto.js';
import { Queries } from './queries.js';
import { ReservesService } from './reserves.service.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = {
  withdrawal: 'sweeps.withdrawal.get',
  withdrawalsBySender: 'sweeps.withdrawal.list',
  sweep: 'sweeps.sweep.get',
  reserves: 'sweeps.reserves.get',
  status: 'sweeps.status.get',
} as const;

@Controller()
export class SweepsRpcController {
  constructor(
    @Inject(Queries) private readonly queries: Queries,
    @Inject(ReservesService) private readonly reserves: ReservesService,
  ) {}

  @MessagePattern(NATS_API_SUBJECTS.withdrawal)
  async withdrawal(@Payload() { id }: WithdrawalRequest): Promise<WithdrawalWithHistory> {
    const found = await this.queries.withdrawal(id);
    if (!found) throw new DomainError('not_found', `no withdrawal ${id}`);
    return found;
  }

  @MessagePattern(NATS_API_SUBJECTS.sweep)
  async sweep(@Payload() { txid }: SweepRequest): Promise<SweepView> {
    // Over RPC the sweep comes without the chain sources' mempool view (no outbound call per request).
    const found = await this.queries.sweep(txid, false);
    if (!found) throw new DomainError('not_found', `no sweep ${txid}`);
    return found;
  }

  @MessagePattern(NATS_API_SUBJECTS.withdrawalsBySender)
  withdrawalsBySender(@Payload() { sender }: ListWithdrawalsQuery): Promise<WithdrawalView[]> {
    return this.queries.withdrawalsBySender(sender);
  }

  @MessagePattern(NATS_API_SUBJECTS.reserves)
  reservesReport(@Payload() _request: EmptyRequest): Promise<ReservesReport> {
    return this.reserves.report();
  }

  @MessagePattern(NATS_API_SUBJECTS.status)
  status(@Payload() _request: EmptyRequest): Promise<PipelineStatus> {
    return this.queries.status();
  }
}
