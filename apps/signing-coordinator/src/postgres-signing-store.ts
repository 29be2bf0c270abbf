// SigningStore on Postgres (schema signing_coordinator): signature requests, ROAST sessions and every signer
// response; misbehaviour is recorded with its outbox event in one transaction. Held to InMemorySigningStore by the
// parity test (test/signing-store-parity.test.ts).
import { enqueueEvent, qualified, signingMisbehaviour } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import type { MisbehaviourContext, MisbehaviourEvent, NewRequest, RequestRow, RequestStatus, ResponseFields, ResponseKind, ResponseRow, SessionRow, SigningRequestWire, SigningStore } from '@tapbridge/signing';

/** What the store needs of the service runtime: its pool, its schema and transactions. */
export type SigningStoreDatabase = Pick<ServiceRuntime, 'pool' | 'schema' | 'transaction'>;

interface RawRequest {
  id: string;
  purpose: string;
  request: SigningRequestWire;
  message: string;
  output_key: string;
  status: RequestStatus;
  attempt: number;
  signature: string | null;
  signers: number[] | null;
  error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

const toRequest = (r: RawRequest): RequestRow => ({
  id: r.id,
  purpose: r.purpose,
  request: r.request,
  message: r.message,
  outputKey: r.output_key,
  status: r.status,
  attempt: r.attempt,
  signature: r.signature,
  signers: r.signers,
  error: r.error,
  createdAt: r.created_at,
  completedAt: r.completed_at,
});

export class PostgresSigningStore implements SigningStore {
  constructor(private readonly db: SigningStoreDatabase) {}

  private t(table: string): string {
    return qualified(this.db.schema, table);
  }

  private get pool() {
    return this.db.pool;
  }

  async createRequest(r: NewRequest): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t('signature_request')} (id, purpose, request, message, output_key, status) VALUES ($1, $2, $3::jsonb, $4, $5, 'pending')`, [
      r.id,
      r.purpose,
      JSON.stringify(r.request),
      r.message,
      r.outputKey,
    ]);
  }

  async request(id: string): Promise<RequestRow | undefined> {
    const { rows } = await this.pool.query<RawRequest>(`SELECT * FROM ${this.t('signature_request')} WHERE id = $1`, [id]);
    return rows[0] ? toRequest(rows[0]) : undefined;
  }

  async requests(limit: number, status?: RequestStatus): Promise<RequestRow[]> {
    const { rows } = await this.pool.query<RawRequest>(
      `SELECT * FROM ${this.t('signature_request')} ${status ? 'WHERE status = $2' : ''} ORDER BY created_at DESC LIMIT $1`,
      status ? [limit, status] : [limit],
    );
    return rows.map(toRequest);
  }

  async pendingIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.t('signature_request')} WHERE status = 'pending' ORDER BY created_at`);
    return rows.map((r) => r.id);
  }

  async nextAttempt(id: string): Promise<number> {
    // One statement: the increment and the pending check cannot be split by a concurrent outcome.
    const { rows } = await this.pool.query<{ attempt: number }>(`UPDATE ${this.t('signature_request')} SET attempt = attempt + 1, updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING attempt`, [id]);
    if (!rows[0]) throw new Error(`request ${id} is not pending`);
    return rows[0].attempt;
  }

  async complete(id: string, signature: string, signers: number[]): Promise<void> {
    await this.pool.query(`UPDATE ${this.t('signature_request')} SET status = 'signed', signature = $2, signers = $3, updated_at = now(), completed_at = now() WHERE id = $1 AND status = 'pending'`, [id, signature, signers]);
  }

  async fail(id: string, error: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.t('signature_request')} SET status = 'failed', error = $2, updated_at = now(), completed_at = now() WHERE id = $1 AND status = 'pending'`, [id, error]);
  }

  async recordSession(id: string, attempt: number, roastSession: number, signers: number[], pubnonces: string[], aggnonce: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t('roast_session')} (request_id, attempt, roast_session, signers, pubnonces, aggnonce) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, [
      id,
      attempt,
      roastSession,
      signers,
      pubnonces,
      aggnonce,
    ]);
  }

  async recordResponse(id: string, attempt: number, signer: number, kind: ResponseKind, fields: ResponseFields = {}): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t('signer_response')} (request_id, attempt, signer, kind, roast_session, pubnonce, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      id,
      attempt,
      signer,
      kind,
      fields.roastSession ?? null,
      fields.pubnonce ?? null,
      fields.detail ?? null,
    ]);
  }

  async recordMisbehaviour(event: MisbehaviourEvent, context?: MisbehaviourContext): Promise<void> {
    await this.db.transaction(async (tx) => {
      const fresh = await enqueueEvent(tx, this.db.schema, signingMisbehaviour, event);
      if (!fresh) return;
      const summary = `${event.reason}: ${event.detail}`;
      // Only a pinned signer has a row, and only a pinned signer's messages are authentic enough to blame it.
      await tx.query(`UPDATE ${this.t('signer')} SET misbehaviour_count = misbehaviour_count + 1, last_misbehaviour = $2 WHERE index = $1`, [event.signerId, summary.slice(0, 500)]);
      if (context)
        await tx.query(`INSERT INTO ${this.t('signer_response')} (request_id, attempt, signer, kind, roast_session, detail) VALUES ($1, $2, $3, 'misbehaviour', $4, $5)`, [
          context.requestId,
          context.attempt,
          event.signerId,
          context.roastSession ?? null,
          summary,
        ]);
    });
  }

  async sessions(id: string): Promise<SessionRow[]> {
    const { rows } = await this.pool.query<{ attempt: number; roast_session: number; signers: number[]; pubnonces: string[]; started_at: Date }>(
      `SELECT attempt, roast_session, signers, pubnonces, started_at FROM ${this.t('roast_session')} WHERE request_id = $1 ORDER BY attempt, roast_session`,
      [id],
    );
    return rows.map((r) => ({ attempt: r.attempt, roastSession: r.roast_session, signers: r.signers, pubnonces: r.pubnonces, startedAt: r.started_at }));
  }

  async responses(id: string): Promise<ResponseRow[]> {
    const { rows } = await this.pool.query<{ attempt: number; signer: number; kind: ResponseKind; roast_session: number | null; pubnonce: string | null; detail: string | null; created_at: Date }>(
      `SELECT attempt, signer, kind, roast_session, pubnonce, detail, created_at FROM ${this.t('signer_response')} WHERE request_id = $1 ORDER BY id`,
      [id],
    );
    return rows.map((r) => ({ attempt: r.attempt, signer: r.signer, kind: r.kind, roastSession: r.roast_session, pubnonce: r.pubnonce, detail: r.detail, at: r.created_at }));
  }

  async misbehaviourCounts(): Promise<Map<number, { count: number; last: string | null }>> {
    const { rows } = await this.pool.query<{ index: number; misbehaviour_count: number; last_misbehaviour: string | null }>(`SELECT index, misbehaviour_count, last_misbehaviour FROM ${this.t('signer')}`);
    return new Map(rows.map((r) => [r.index, { count: r.misbehaviour_count, last: r.last_misbehaviour }]));
  }
}
