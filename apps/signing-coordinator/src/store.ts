// The coordinator's Postgres state (schema signing_coordinator): identity, group key, signature requests, ROAST
// sessions and every signer response. Misbehaviour is recorded with its outbox event in one transaction.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey } from '@tapbridge/frost';
import { enqueueEvent, qualified, signingMisbehaviour, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { generateHostKey, keyFileNeedsReseal, openKeyFile, pubsharesMismatch, sealKeyFile, type SigningRequestWire } from '@tapbridge/signing';

/** The coordinator is party 0: its key file says so in its authenticated header. */
const COORDINATOR_PARTY = 0;

/** The stored group key is inconsistent (a tampered or corrupted row): the coordinator must not start. */
export class StoredGroupKeyError extends Error {
  override readonly name = 'StoredGroupKeyError';
}

export interface CertifiedDkg {
  ceremonyId: string;
  t: number;
  hostPubkeys: Uint8Array[];
  recoveryData: Uint8Array;
}

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

  /**
   * The coordinator's host key: configured, or generated once and kept in its schema as an encrypted key file
   * (scrypt + AES-256-GCM under COORDINATOR_KEY_PASSPHRASE). A plain hex row written by an older version, or a file
   * sealed at an older scrypt cost, is re-encrypted on the spot.
   */
  async hostKey(o: { configured?: string | undefined; passphrase?: string | undefined }): Promise<{ seckey: Uint8Array; migrated: boolean }> {
    if (o.configured) return { seckey: hexToBytes(o.configured), migrated: false };
    const passphrase = o.passphrase;
    if (!passphrase) throw new Error('COORDINATOR_KEY_PASSPHRASE is required to keep the coordinator host key encrypted (or set COORDINATOR_HOST_KEY)');
    const seal = (seckey: Uint8Array) => sealKeyFile({ kind: 'host-key', signerIndex: COORDINATOR_PARTY, groupKey: null, secret: seckey, meta: { party: 'coordinator' } }, passphrase);
    const read = async () => (await this.pool.query<{ host_seckey: string }>(`SELECT host_seckey FROM ${this.t('identity')} WHERE id = 1`)).rows[0]?.host_seckey;
    let stored = await read();
    if (stored === undefined) {
      await this.pool.query(`INSERT INTO ${this.t('identity')} (id, host_seckey) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [await seal(generateHostKey())]);
      stored = (await read()) as string;
    }
    if (/^[0-9a-f]{64}$/.test(stored)) {
      // Written in plain text by an earlier version: encrypt it now (only if the row still holds that plain key).
      const seckey = hexToBytes(stored);
      await this.pool.query(`UPDATE ${this.t('identity')} SET host_seckey = $2 WHERE id = 1 AND host_seckey = $1`, [stored, await seal(seckey)]);
      return { seckey, migrated: true };
    }
    const { secret } = await openKeyFile(stored, passphrase, { kind: 'host-key', signerIndex: COORDINATOR_PARTY, source: `${this.t('identity')} host key` });
    if (keyFileNeedsReseal(stored)) await this.pool.query(`UPDATE ${this.t('identity')} SET host_seckey = $2 WHERE id = 1 AND host_seckey = $1`, [stored, await seal(secret)]);
    return { seckey: secret, migrated: false };
  }

  /** The group key from the DKG, checked on load: its public shares must interpolate to the threshold key. */
  async groupKey(): Promise<StoredGroupKey | undefined> {
    const { rows } = await this.pool.query<{ ceremony_id: string; thresh_pk: string; t: number; n: number; pubshares: string[]; host_pubkeys: string[]; recovery_data: string }>(
      `SELECT ceremony_id, thresh_pk, t, n, pubshares, host_pubkeys, recovery_data FROM ${this.t('group_key')} WHERE id = 1`,
    );
    const r = rows[0];
    if (!r) return undefined;
    let groupKey: GroupKey;
    try {
      groupKey = GroupKey.fromShares({ n: r.n, t: r.t, threshPk: hexToBytes(r.thresh_pk), pubshares: r.pubshares.map((p) => hexToBytes(p)) });
    } catch (err) {
      throw new StoredGroupKeyError(`the stored group key (${this.t('group_key')}) is malformed: ${(err as Error).message}`);
    }
    const mismatch = pubsharesMismatch(groupKey);
    if (mismatch) throw new StoredGroupKeyError(`the stored group key (${this.t('group_key')}) is inconsistent: ${mismatch}; refusing to start (restore the row from the DKG's recovery data)`);
    return {
      ceremonyId: r.ceremony_id,
      groupKey,
      hostPubkeys: r.host_pubkeys.map((p) => hexToBytes(p)),
      recoveryData: r.recovery_data,
    };
  }

  /** Records a certified DKG before its certificate is sent (see dkg_certified). */
  async saveCertifiedDkg(d: CertifiedDkg): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t('dkg_certified')} (id, ceremony_id, t, host_pubkeys, recovery_data) VALUES (1, $1, $2, $3::jsonb, $4)
       ON CONFLICT (id) DO UPDATE SET ceremony_id = EXCLUDED.ceremony_id, t = EXCLUDED.t, host_pubkeys = EXCLUDED.host_pubkeys, recovery_data = EXCLUDED.recovery_data, created_at = now()`,
      [d.ceremonyId, d.t, JSON.stringify(d.hostPubkeys.map(bytesToHex)), bytesToHex(d.recoveryData)],
    );
  }

  async certifiedDkg(): Promise<CertifiedDkg | undefined> {
    const { rows } = await this.pool.query<{ ceremony_id: string; t: number; host_pubkeys: string[]; recovery_data: string }>(`SELECT ceremony_id, t, host_pubkeys, recovery_data FROM ${this.t('dkg_certified')} WHERE id = 1`);
    const r = rows[0];
    return r ? { ceremonyId: r.ceremony_id, t: r.t, hostPubkeys: r.host_pubkeys.map((p) => hexToBytes(p)), recoveryData: hexToBytes(r.recovery_data) } : undefined;
  }

  /** Stores the confirmed group key and drops the certified-DKG record, in one transaction. */
  async saveGroupKey(g: StoredGroupKey): Promise<void> {
    await this.runtime.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${this.t('group_key')} (id, ceremony_id, thresh_pk, t, n, pubshares, host_pubkeys, recovery_data) VALUES (1, $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
        [g.ceremonyId, bytesToHex(g.groupKey.threshPk), g.groupKey.t, g.groupKey.n, JSON.stringify(g.groupKey.pubshares.map(bytesToHex)), JSON.stringify(g.hostPubkeys.map(bytesToHex)), g.recoveryData],
      );
      await tx.query(`DELETE FROM ${this.t('dkg_certified')}`);
    });
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
