// SigningStore in memory: the reference implementation, for the signing loop's unit tests and the Postgres parity
// test. Same rules as the Postgres store: only pending requests change, sessions are recorded once, a misbehaviour
// event id is recorded once.
import { signingMisbehaviour } from '@tapbridge/messaging';
import type { MisbehaviourContext, MisbehaviourEvent, NewRequest, RequestRow, RequestStatus, ResponseFields, ResponseKind, ResponseRow, SessionRow, SigningStore } from './store.js';

interface StoredSession extends SessionRow {
  requestId: string;
  aggnonce: string;
}

export class InMemorySigningStore implements SigningStore {
  readonly #requests = new Map<string, RequestRow>();
  readonly #sessions: StoredSession[] = [];
  readonly #responses: Array<ResponseRow & { requestId: string }> = [];
  readonly #misbehaviour = new Map<number, { count: number; last: string | null }>();
  /** The events a Postgres store would have put in its outbox, in order. */
  readonly outbox: Array<{ id: string; subject: string; payload: MisbehaviourEvent }> = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  async createRequest(r: NewRequest): Promise<void> {
    if (this.#requests.has(r.id)) throw new Error(`signature request ${r.id} exists already`);
    this.#requests.set(r.id, { ...r, request: structuredClone(r.request), status: 'pending', attempt: 0, signature: null, signers: null, error: null, createdAt: this.now(), completedAt: null });
  }

  async request(id: string): Promise<RequestRow | undefined> {
    const r = this.#requests.get(id);
    return r ? structuredClone(r) : undefined;
  }

  async requests(limit: number, status?: RequestStatus): Promise<RequestRow[]> {
    return [...this.#requests.values()]
      .filter((r) => status === undefined || r.status === status)
      .reverse()
      .slice(0, limit)
      .map((r) => structuredClone(r));
  }

  async pendingIds(): Promise<string[]> {
    return [...this.#requests.values()].filter((r) => r.status === 'pending').map((r) => r.id);
  }

  async nextAttempt(id: string): Promise<number> {
    const r = this.#requests.get(id);
    if (r?.status !== 'pending') throw new Error(`request ${id} is not pending`);
    r.attempt += 1;
    return r.attempt;
  }

  async complete(id: string, signature: string, signers: number[]): Promise<void> {
    this.#finish(id, { status: 'signed', signature, signers: [...signers] });
  }

  async fail(id: string, error: string): Promise<void> {
    this.#finish(id, { status: 'failed', error });
  }

  #finish(id: string, change: Partial<RequestRow>): void {
    const r = this.#requests.get(id);
    if (r?.status === 'pending') Object.assign(r, change, { completedAt: this.now() });
  }

  async recordSession(id: string, attempt: number, roastSession: number, signers: number[], pubnonces: string[], aggnonce: string): Promise<void> {
    if (this.#sessions.some((s) => s.requestId === id && s.attempt === attempt && s.roastSession === roastSession)) return;
    this.#sessions.push({ requestId: id, attempt, roastSession, signers: [...signers], pubnonces: [...pubnonces], aggnonce, startedAt: this.now() });
  }

  async recordResponse(id: string, attempt: number, signer: number, kind: ResponseKind, fields: ResponseFields = {}): Promise<void> {
    this.#responses.push({ requestId: id, attempt, signer, kind, roastSession: fields.roastSession ?? null, pubnonce: fields.pubnonce ?? null, detail: fields.detail ?? null, at: this.now() });
  }

  async recordMisbehaviour(event: MisbehaviourEvent, context?: MisbehaviourContext): Promise<void> {
    const valid = signingMisbehaviour.schema.parse(event);
    const id = signingMisbehaviour.id(valid);
    if (this.outbox.some((e) => e.id === id)) return;
    this.outbox.push({ id, subject: signingMisbehaviour.subject, payload: valid });
    const summary = `${event.reason}: ${event.detail}`;
    const counted = this.#misbehaviour.get(event.signerId);
    this.#misbehaviour.set(event.signerId, { count: (counted?.count ?? 0) + 1, last: summary.slice(0, 500) });
    if (context) this.#responses.push({ requestId: context.requestId, attempt: context.attempt, signer: event.signerId, kind: 'misbehaviour', roastSession: context.roastSession ?? null, pubnonce: null, detail: summary, at: this.now() });
  }

  async sessions(id: string): Promise<SessionRow[]> {
    return this.#sessions
      .filter((s) => s.requestId === id)
      .sort((a, b) => a.attempt - b.attempt || a.roastSession - b.roastSession)
      .map(({ attempt, roastSession, signers, pubnonces, startedAt }) => ({ attempt, roastSession, signers: [...signers], pubnonces: [...pubnonces], startedAt }));
  }

  async responses(id: string): Promise<ResponseRow[]> {
    return this.#responses.filter((r) => r.requestId === id).map(({ requestId: _id, ...r }) => ({ ...r }));
  }

  async misbehaviourCounts(): Promise<Map<number, { count: number; last: string | null }>> {
    return new Map([...this.#misbehaviour].map(([k, v]) => [k, { ...v }]));
  }
}
