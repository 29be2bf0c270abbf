// The coordinator's API over NATS request/reply (rpc.signing.*), for services that do not speak HTTP to it. Same
// answers and error codes as REST (api.ts); requests are validated by the global zod pipe.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { createZodDto, cursorPageQuery, pageOf, type CursorPage } from '@tapbridge/runtime/nest';
import { sessionId } from '@tapbridge/signing';
import { z } from 'zod';
import { ApiError, CoordinatorApi } from './api.js';
import type { Custody } from './custody.js';
import { CreateSignatureDto, EmptyRequest, GetSignatureRequest, type SignatureSummary, type SignatureView, type SignerView } from './dto.js';
import { PrismaService } from './prisma.service.js';

/** rpc.signing.sessions.list: signature requests newest first, a page at a time; cursor = the last id of a page. */
export class SessionsPageRequest extends createZodDto(
  cursorPageQuery(sessionId, { defaultLimit: 50, maxLimit: 500 }).extend({ status: z.enum(['pending', 'signed', 'failed']).optional() }),
) {}

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions list these subjects). */
export const NATS_API_SUBJECTS = {
  create: 'signing.signatures.create',
  get: 'signing.signatures.get',
  signers: 'signing.signers.list',
  custody: 'signing.custody.get',
  sessions: 'signing.sessions.list',
} as const;

@Controller()
export class SigningRpcController {
  constructor(
    @Inject(CoordinatorApi) private readonly api: CoordinatorApi,
    @Inject(PrismaService) private readonly prisma: PrismaService,
  ) {}

  @MessagePattern(NATS_API_SUBJECTS.create)
  create(@Payload() body: CreateSignatureDto): Promise<{ id: string; status: string }> {
    return this.api.createSignature(body);
  }

  @MessagePattern(NATS_API_SUBJECTS.get)
  get(@Payload() request: GetSignatureRequest): Promise<SignatureView> {
    return this.api.signature(request.id);
  }

  @MessagePattern(NATS_API_SUBJECTS.signers)
  signers(@Payload() _request: EmptyRequest): Promise<SignerView[]> {
    return this.api.signers();
  }

  @MessagePattern(NATS_API_SUBJECTS.custody)
  custody(@Payload() _request: EmptyRequest): Custody {
    return this.api.custodyView();
  }

  /**
   * Prisma's cursor pagination compares against the cursor row's own (created_at, id), so rows created in the same
   * millisecond (created_at keeps microseconds) are neither skipped nor repeated. An unknown cursor is a 400.
   */
  @MessagePattern(NATS_API_SUBJECTS.sessions)
  async sessions(@Payload() { limit, status, cursor }: SessionsPageRequest): Promise<CursorPage<SignatureSummary>> {
    if (cursor !== undefined && !(await this.prisma.signatureRequest.findUnique({ where: { id: cursor }, select: { id: true } })))
      throw new ApiError(400, 'invalid_request', 'cursor must be the nextCursor of a previous page');
    const rows = await this.prisma.signatureRequest.findMany({
      where: status ? { status } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      ...(cursor !== undefined ? { cursor: { id: cursor }, skip: 1 } : {}),
      take: limit + 1,
      select: { id: true, status: true, purpose: true, message: true, outputKey: true, signature: true, signers: true, attempt: true, error: true, createdAt: true, completedAt: true },
    });
    const summary = (r: (typeof rows)[number]): SignatureSummary => ({
      ...r,
      status: r.status as SignatureSummary['status'],
      // A NULL int[] reads as []; a signature always has at least one signer.
      signers: r.signers.length > 0 ? r.signers : null,
      createdAt: r.createdAt.toISOString(),
      completedAt: r.completedAt?.toISOString() ?? null,
    });
    return pageOf(rows, limit, summary, (r) => r.id);
  }
}
