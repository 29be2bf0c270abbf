// The coordinator's Postgres state (schema signing_coordinator): identity, group key, signature requests, ROAST
// sessions and every signer response. Misbehaviour is recorded with its outbox event in one transaction.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey } from '@tapbridge/frost';
import { enqueueEvent, qualified, signingMisbehaviour, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { generateHostKey, type SigningRequestWire } from '@tapbridge/signing';

export interface StoredGroupKey {
  ceremonyId: string;
  groupKey: GroupKey;
  hostPubkeys: Uint8Array[];
  recoveryData: string;
}

export type RequestStatus = 'pending' | 'signed' | 'failed';

export interface RequestRow {
  id: string;
  purpose: string;
  request: SigningRequestWire;
  message: string;
  outputKey: string;
  status: RequestStatus;
  attempt: number;
  signature: string | null;
  signers: number[] | null;
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export type ResponseKind = 'nonce' | 'partial' | 'refusal' | 'misbehaviour' | 'error' | 'timeout';

export interface ResponseRow {
  attempt: number;
  signer: number;
  kind: ResponseKind;
  roastSession: number | null;
  pubnonce: string | null;
  detail: string | null;
  at: Date;
}

export interface SessionRow {
  attempt: number;
  roastSession: number;
  signers: number[];
  pubnonces: string[];
  startedAt: Date;
}

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

export class CoordinatorStore {
  constructor(private readonly runtime: ServiceRuntime) {}

  private t(table: string): string {
    return qualified(this.runtime.schema, table);
  }

  private get pool() {
    return this.runtime.pool;
  }

  /** The coordinator's host key: configured, or generated once and kept. */
  async hostKey(configured?: string): Promise<Uint8Array> {
    if (configured) return hexToBytes(configured);
    await this.pool.query(`INSERT INTO ${this.t('identity')} (id, host_seckey) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [bytesToHex(generateHostKey())]);
    const { rows } = await this.pool.query<{ host_seckey: string }>(`SELECT host_seckey FROM ${this.t('identity')} WHERE id = 1`);
    return hexToBytes((rows[0] as { host_seckey: string }).host_seckey);
  }

  async groupKey(): Promise<StoredGroupKey | undefined> {
    const { rows } = await this.pool.query<{ ceremony_id: string; thresh_pk: string; t: number; n: number; pubshares: string[]; host_pubkeys: string[]; recovery_data: string }>(
      `SELECT ceremony_id, thresh_pk, t, n, pubshares, host_pubkeys, recovery_data FROM ${this.t('group_key')} WHERE id = 1`,
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      ceremonyId: r.ceremony_id,
      groupKey: GroupKey.fromShares({ n: r.n, t: r.t, threshPk: hexToBytes(r.thresh_pk), pubshares: r.pubshares.map((p) => hexToBytes(p)) }),
      hostPubkeys: r.host_pubkeys.map((p) => hexToBytes(p)),
      recoveryData: r.recovery_data,
    };
  }

  async saveGroupKey(g: StoredGroupKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t('group_key')} (id, ceremony_id, thresh_pk, t, n, pubshares, host_pubkeys, recovery_data) VALUES (1, $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
      [g.ceremonyId, bytesToHex(g.groupKey.threshPk), g.groupKey.t, g.groupKey.n, JSON.stringify(g.groupKey.pubshares.map(bytesToHex)), JSON.stringify(g.hostPubkeys.map(bytesToHex)), g.recoveryData],
    );
  }

  async createRequest(r: { id: string; purpose: string; request: SigningRequestWire; message: string; outputKey: string }): Promise<void> {
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

  /** Starts the next attempt; returns its number. */
  async nextAttempt(id: string): Promise<number> {
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

  async recordResponse(id: string, attempt: number, signer: number, kind: ResponseKind, fields: { roastSession?: number; pubnonce?: string; detail?: string } = {}): Promise<void> {
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

  /** Counts the misbehaviour and writes the signing.misbehaviour event in the same transaction. */
  async recordMisbehaviour(event: EventPayload<typeof signingMisbehaviour>, response?: { requestId: string; attempt: number; roastSession?: number }): Promise<void> {
    await this.runtime.transaction(async (tx) => {
      const fresh = await enqueueEvent(tx, this.runtime.schema, signingMisbehaviour, event);
      if (!fresh) return;
      await tx.query(`UPDATE ${this.t('signer')} SET misbehaviour_count = misbehaviour_count + 1, last_misbehaviour = $2 WHERE index = $1`, [event.signerId, `${event.reason}: ${event.detail}`.slice(0, 500)]);
      if (response)
        await tx.query(`INSERT INTO ${this.t('signer_response')} (request_id, attempt, signer, kind, roast_session, detail) VALUES ($1, $2, $3, 'misbehaviour', $4, $5)`, [
          response.requestId,
          response.attempt,
          event.signerId,
          response.roastSession ?? null,
          `${event.reason}: ${event.detail}`,
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
