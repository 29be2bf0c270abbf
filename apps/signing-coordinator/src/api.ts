// The coordinator's API as plain functions over the signing driver and store, shared by REST and NATS request/reply.
import {
  GroupKeyNotReadyError,
  purposeSchema,
  requestContextSchema,
  sessionId,
  SigningRequestError,
  taprootSighashPayloadSchema,
  tweakSchema,
  type RequestRow,
  type SigningDriver,
  type SigningStore,
} from '@tapbridge/signing';
import { z } from 'zod';
import type { Custody } from './custody.js';
import type { SignerNetwork } from './signer-network.js';

/**
 * POST /signatures: a raw message or a sighash request, the purpose, and optionally the tweak. Unknown fields are
 * refused (as POST /deposits does), so a misspelt field is an error rather than silently ignored.
 */
export const createSignatureSchema = z
  .object({
    message: z.string().regex(/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/, 'message must be 32 bytes (or a 16-byte heartbeat) of lowercase hex').optional(),
    sighash: taprootSighashPayloadSchema.omit({ kind: true }).strict().optional(),
    purpose: purposeSchema,
    tweak: tweakSchema.optional(),
    /** Facts the purpose's policy checks (packages/signing requestContextSchema), e.g. a sweep's paid ids. */
    context: requestContextSchema.optional(),
  })
  .strict()
  .refine((b) => (b.message === undefined) !== (b.sighash === undefined), { message: 'give exactly one of message or sighash' });
export type CreateSignature = z.infer<typeof createSignatureSchema>;

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 404 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SignatureView {
  id: string;
  status: RequestRow['status'];
  purpose: string;
  message: string;
  outputKey: string;
  signature: string | null;
  signers: number[] | null;
  attempt: number;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
  refusals: Array<{ signer: number; attempt: number; reason: string }>;
  misbehaviour: Array<{ signer: number; attempt: number; detail: string }>;
  sessions: Array<{ attempt: number; roastSession: number; signers: number[]; pubnonces: string[] }>;
  responses: Array<{ attempt: number; signer: number; kind: string; roastSession: number | null; pubnonce: string | null; detail: string | null; at: string }>;
}

export interface SignerView {
  index: number;
  hostPubkey: string | null;
  live: boolean;
  lastSeen: string | null;
  ready: boolean;
  groupKey: string | null;
  misbehaviourCount: number;
  lastMisbehaviour: string | null;
}

export class CoordinatorApi {
  constructor(
    private readonly signing: Pick<SigningDriver, 'submit'>,
    private readonly store: Pick<SigningStore, 'request' | 'requests' | 'sessions' | 'responses' | 'misbehaviourCounts'>,
    private readonly network: SignerNetwork,
    private readonly custody: () => Custody | undefined,
  ) {}

  async createSignature(input: unknown): Promise<{ id: string; status: string }> {
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

  async sessions(limit = 100): Promise<Array<Omit<SignatureView, 'refusals' | 'misbehaviour' | 'sessions' | 'responses'>>> {
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

  private summary(row: RequestRow) {
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

