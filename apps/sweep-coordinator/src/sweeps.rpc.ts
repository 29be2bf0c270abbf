// Withdrawals, reserves and pipeline status over NATS request/reply (rpc.sweeps.*), for the api-gateway and the CLI.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { createZodDto, cursorPageQuery, DomainError, InjectConfig, pageOf, type CursorPage } from '@tapbridge/runtime/nest';
import { WITHDRAWAL_STATUSES, withdrawalView, type WithdrawalRecord } from '@tapbridge/sweeps';
import { z } from 'zod';
import type { SweepCoordinatorConfig } from './config.js';
import {
  EmptyRequest, ListWithdrawalsQuery, SweepRequest, WithdrawalRequest,
  type PipelineStatus, type ReservesReport, type SweepView, type WithdrawalView, type WithdrawalWithHistory,
} from './dto.js';
import { PrismaService } from './prisma.service.js';
import { Queries } from './queries.js';
import { ReservesService } from './reserves.service.js';
import { fromJson } from './store/record-json.js';

/** rpc.sweeps.withdrawal.by_status: one state's withdrawals in arrival (id) order, a page at a time; cursor = last id. */
export class WithdrawalsByStatusRequest extends createZodDto(
  cursorPageQuery(z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'cursor must be the nextCursor of a previous page'), { defaultLimit: 100, maxLimit: 500 }).extend({ status: z.enum(WITHDRAWAL_STATUSES) }),
) {}

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = {
  withdrawal: 'sweeps.withdrawal.get',
  withdrawalsBySender: 'sweeps.withdrawal.list',
  sweep: 'sweeps.sweep.get',
  reserves: 'sweeps.reserves.get',
  status: 'sweeps.status.get',
  withdrawalsByStatus: 'sweeps.withdrawal.by_status',
} as const;

@Controller()
export class SweepsRpcController {
  constructor(
    @Inject(Queries) private readonly queries: Queries,
    @Inject(ReservesService) private readonly reserves: ReservesService,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
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

  /** Keyset page over the (status, id) index; a plain read (no pipeline lock): a page may straddle a step. */
  @MessagePattern(NATS_API_SUBJECTS.withdrawalsByStatus)
  async withdrawalsByStatus(@Payload() { status, limit, cursor }: WithdrawalsByStatusRequest): Promise<CursorPage<WithdrawalView>> {
    const [rows, tip] = await Promise.all([
      this.prisma.withdrawal.findMany({ where: { status, ...(cursor ? { id: { gt: cursor } } : {}) }, orderBy: { id: 'asc' }, take: limit + 1, select: { data: true } }),
      this.prisma.chainBlock.findFirst({ where: { isTip: true }, select: { height: true } }),
    ]);
    return pageOf(rows, limit, (r) => withdrawalView(fromJson<WithdrawalRecord>(r.data), tip?.height ?? 0, this.config.WITHDRAWAL_STUCK_BLOCKS), (_r, w) => w.id);
  }
}
