// SigningStore on Postgres (schema signing_coordinator) through Prisma: signature requests, ROAST sessions and every
// signer response; misbehaviour is recorded with its outbox event in one transaction. Held to InMemorySigningStore by
// the parity test (test/signing-store-parity.test.ts).
import { enqueueEvent, prismaExecutor, signingMisbehaviour } from '@tapbridge/messaging';
import type { MisbehaviourContext, MisbehaviourEvent, NewRequest, RequestRow, RequestStatus, ResponseFields, ResponseKind, ResponseRow, SessionRow, SigningRequestWire, SigningStore } from '@tapbridge/signing';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

export interface PostgresSigningStoreOptions {
  prisma: PrismaClient;
  /** The schema the client's models live in (serviceSchema('signing-coordinator')): where the outbox is. */
  schema: string;
  /** After a transaction that wrote an outbox event commits: the app wakes the outbox relay, so it leaves at once. */
  afterCommit?: () => void;
}

/** A short transaction, but on a loaded machine it can wait for a connection: Prisma's 2 s / 5 s defaults are tight. */
export const TRANSACTION_OPTIONS = { maxWait: 60_000, timeout: 60_000 } as const;

const toRequest = (r: Prisma.SignatureRequestGetPayload<object>): RequestRow => ({
  id: r.id,
  purpose: r.purpose,
  request: r.request as unknown as SigningRequestWire,
  message: r.message,
  outputKey: r.outputKey,
  status: r.status as RequestStatus,
  attempt: r.attempt,
  signature: r.signature,
  // NULL until signed, and Prisma reads a NULL int[] as []; a signature always has at least t ≥ 1 signers.
  signers: r.signers.length > 0 ? r.signers : null,
  error: r.error,
  createdAt: r.createdAt,
  completedAt: r.completedAt,
});

export class PostgresSigningStore implements SigningStore {
  constructor(private readonly o: PostgresSigningStoreOptions) {}

  private get prisma(): PrismaClient {
    return this.o.prisma;
  }

  async createRequest(r: NewRequest): Promise<void> {
    await this.prisma.signatureRequest.create({
      data: { id: r.id, purpose: r.purpose, request: r.request as unknown as Prisma.InputJsonObject, message: r.message, outputKey: r.outputKey, status: 'pending' },
    });
  }

  async request(id: string): Promise<RequestRow | undefined> {
    const row = await this.prisma.signatureRequest.findUnique({ where: { id } });
    return row ? toRequest(row) : undefined;
  }

  async requests(limit: number, status?: RequestStatus): Promise<RequestRow[]> {
    const rows = await this.prisma.signatureRequest.findMany({ where: status ? { status } : {}, orderBy: { createdAt: 'desc' }, take: limit });
    return rows.map(toRequest);
  }

  async pendingIds(): Promise<string[]> {
    const rows = await this.prisma.signatureRequest.findMany({ where: { status: 'pending' }, orderBy: { createdAt: 'asc' }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async nextAttempt(id: string): Promise<number> {
    // One UPDATE … RETURNING: the increment and the pending check cannot be split by a concurrent outcome.
    const [row] = await this.prisma.signatureRequest.updateManyAndReturn({
      where: { id, status: 'pending' },
      data: { attempt: { increment: 1 }, updatedAt: new Date() },
      select: { attempt: true },
    });
    if (!row) throw new Error(`request ${id} is not pending`);
    return row.attempt;
  }

  async complete(id: string, signature: string, signers: number[]): Promise<void> {
    const now = new Date();
    await this.prisma.signatureRequest.updateMany({ where: { id, status: 'pending' }, data: { status: 'signed', signature, signers, updatedAt: now, completedAt: now } });
  }

  async fail(id: string, error: string): Promise<void> {
    const now = new Date();
    await this.prisma.signatureRequest.updateMany({ where: { id, status: 'pending' }, data: { status: 'failed', error, updatedAt: now, completedAt: now } });
  }

  async recordSession(id: string, attempt: number, roastSession: number, signers: number[], pubnonces: string[], aggnonce: string): Promise<void> {
    // skipDuplicates is ON CONFLICT DO NOTHING: a session recorded again after a crash keeps its first row.
    await this.prisma.roastSession.createMany({ data: [{ requestId: id, attempt, roastSession, signers, pubnonces, aggnonce }], skipDuplicates: true });
  }

  async recordResponse(id: string, attempt: number, signer: number, kind: ResponseKind, fields: ResponseFields = {}): Promise<void> {
    await this.prisma.signerResponse.createMany({
      data: [{ requestId: id, attempt, signer, kind, roastSession: fields.roastSession ?? null, pubnonce: fields.pubnonce ?? null, detail: fields.detail ?? null }],
    });
  }

  async recordMisbehaviour(event: MisbehaviourEvent, context?: MisbehaviourContext): Promise<void> {
    const fresh = await this.prisma.$transaction(async (tx) => {
      // Raw SQL (packages/messaging): the outbox insert is ON CONFLICT (event_id) DO NOTHING, so a repeat counts once.
      if (!(await enqueueEvent(prismaExecutor(tx), this.o.schema, signingMisbehaviour, event))) return false;
      const summary = `${event.reason}: ${event.detail}`;
      // Only a pinned signer has a row, and only a pinned signer's messages are authentic enough to blame it.
      await tx.signer.updateMany({ where: { index: event.signerId }, data: { misbehaviourCount: { increment: 1 }, lastMisbehaviour: summary.slice(0, 500) } });
      if (context)
        await tx.signerResponse.createMany({
          data: [{ requestId: context.requestId, attempt: context.attempt, signer: event.signerId, kind: 'misbehaviour', roastSession: context.roastSession ?? null, detail: summary }],
        });
      return true;
    }, TRANSACTION_OPTIONS);
    if (fresh) this.o.afterCommit?.();
  }

  async sessions(id: string): Promise<SessionRow[]> {
    const rows = await this.prisma.roastSession.findMany({
      where: { requestId: id },
      orderBy: [{ attempt: 'asc' }, { roastSession: 'asc' }],
      select: { attempt: true, roastSession: true, signers: true, pubnonces: true, startedAt: true },
    });
    return rows.map((r) => ({ attempt: r.attempt, roastSession: r.roastSession, signers: r.signers, pubnonces: r.pubnonces, startedAt: r.startedAt }));
  }

  async responses(id: string): Promise<ResponseRow[]> {
    const rows = await this.prisma.signerResponse.findMany({
      where: { requestId: id },
      orderBy: { id: 'asc' },
      select: { attempt: true, signer: true, kind: true, roastSession: true, pubnonce: true, detail: true, createdAt: true },
    });
    return rows.map((r) => ({ attempt: r.attempt, signer: r.signer, kind: r.kind as ResponseKind, roastSession: r.roastSession, pubnonce: r.pubnonce, detail: r.detail, at: r.createdAt }));
  }

  async misbehaviourCounts(): Promise<Map<number, { count: number; last: string | null }>> {
    const rows = await this.prisma.signer.findMany({ select: { index: true, misbehaviourCount: true, lastMisbehaviour: true } });
    return new Map(rows.map((r) => [r.index, { count: r.misbehaviourCount, last: r.lastMisbehaviour }]));
  }
}
