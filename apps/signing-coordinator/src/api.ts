// The coordinator's API as plain functions over the signing driver and store, shared by REST and NATS request/reply.
import {
  GroupKeyNotReadyError,
  sessionId,
  SigningRequestError,
  type RequestRow,
  type SigningDriver,
  type SigningStore,
} from '@tapbridge/signing';
import { DomainError } from '@tapbridge/runtime/nest';
import { createSignatureSchema, type SignatureSummary, type SignatureView, type SignerView } from './dto.js';
import type { Custody } from './custody.js';
import type { SignerNetwork } from './signer-network.js';

/** A refused API call: problem+json over REST, `{ ok: false, error: { code } }` over rpc.signing.* (ProblemFilter). */
export class ApiError extends DomainError {
  override name = 'ApiError';
  constructor(status: 400 | 404 | 503, code: string, message: string) {
    super(code, message, status);
  }
}

export class CoordinatorApi {
  constructor(
    private readonly signing: Pick<SigningDriver, 'submit'>,
    private readonly store: Pick<SigningStore, 'request' | 'requests' | 'sessions' | 'responses' | 'misbehaviourCounts'>,
    private readonly network: SignerNetwork,
    private readonly custody: () => Custody | undefined,
  ) {}

  async createSignature(input: unknown): Promise<{ id: string; status: RequestRow['status'] }> {
    const parsed = createSignatureSchema.safeParse(input);
    if (!parsed.success) throw new ApiError(400, 'invalid_request', parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
    const b = parsed.data;
    const payload = b.message !== undefined ? { kind: 'message' as const, message: b.message } : { kind: 'taproot-sighash' as const, ...(b.sighash as NonNullable<typeof b.sighash>) };
    try {
      const row = await this.signing.submit({ purpose: b.purpose, payload, ...(b.tweak ? { tweak: b.tweak } : {}), ...(b.context ? { context: b.context } : {}) });
      return { id: row.id, status: row.status };
    } catch (err) {
      if (err instanceof GroupKeyNotReadyError) throw new ApiError(503, 'not_ready', err.message);
      if (err instanceof SigningRequestError) throw new ApiError(400, 'invalid_request', err.message);
      throw err;
    }
  }

  async signature(id: string): Promise<SignatureView> {
    // Request ids are the signing protocol's session ids; anything else (a NUL byte made Postgres answer 500) is a 400.
    if (!sessionId.safeParse(id).success) throw new ApiError(400, 'invalid_request', 'id must be a signature request id (1-128 characters of [A-Za-z0-9:._/#-])');
    const row = await this.store.request(id);
    if (!row) throw new ApiError(404, 'not_found', `no signature request ${id}`);
    const [sessions, responses] = await Promise.all([this.store.sessions(id), this.store.responses(id)]);
    return {
      ...this.summary(row),
      refusals: responses.filter((r) => r.kind === 'refusal').map((r) => ({ signer: r.signer, attempt: r.attempt, reason: r.detail ?? '' })),
      misbehaviour: responses.filter((r) => r.kind === 'misbehaviour').map((r) => ({ signer: r.signer, attempt: r.attempt, detail: r.detail ?? '' })),
      sessions: sessions.map((s) => ({ attempt: s.attempt, roastSession: s.roastSession, signers: s.signers, pubnonces: s.pubnonces })),
      responses: responses.map((r) => ({ ...r, at: r.at.toISOString() })),
    };
  }

  async sessions(limit = 100): Promise<SignatureSummary[]> {
    return (await this.store.requests(Math.min(Math.max(1, limit), 1_000))).map((r) => this.summary(r));
  }

  async signers(): Promise<SignerView[]> {
    const counts = await this.store.misbehaviourCounts();
    const live = new Set(this.network.live());
    return Array.from({ length: this.network.n }, (_, i) => {
      const info = this.network.info(i + 1);
      const c = counts.get(i + 1);
      return { ...info, lastSeen: info.lastSeen?.toISOString() ?? null, live: live.has(i + 1), misbehaviourCount: c?.count ?? 0, lastMisbehaviour: c?.last ?? null };
    });
  }

  custodyView(): Custody {
    const c = this.custody();
    if (!c) throw new ApiError(503, 'not_ready', 'no group key yet: the DKG has not completed');
    return c;
  }

  private summary(row: RequestRow): SignatureSummary {
    return {
      id: row.id,
      status: row.status,
      purpose: row.purpose,
      message: row.message,
      outputKey: row.outputKey,
      signature: row.signature,
      signers: row.signers,
      attempt: row.attempt,
      error: row.error,
      createdAt: row.createdAt.toISOString(),
      completedAt: row.completedAt?.toISOString() ?? null,
    };
  }
}

